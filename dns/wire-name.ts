// Domain names between the wire (length-prefixed labels, RFC 1035 §3.1) and the strings the rest
// of the code compares. A label is any 1–63 bytes, a '.' or '\' byte included, so the string form
// is the presentation format of RFC 1035 §5.1: `\.` and `\\` for those two bytes, `\DDD` for bytes
// outside printable ASCII. Without the escapes the one label `example.test` would read as the two
// labels of our zone's apex and be answered as it.

const DOT = 0x2e;
const BACKSLASH = 0x5c;
/** RFC 1035 §2.3.4: 63 bytes a label, 255 a name on the wire. */
export const MAX_LABEL = 63;
export const MAX_WIRE_NAME = 255;

function escapeByte(byte: number): string {
  if (byte === DOT || byte === BACKSLASH) return `\\${String.fromCharCode(byte)}`;
  if (byte <= 0x20 || byte >= 0x7f) return `\\${byte.toString().padStart(3, '0')}`;
  return String.fromCharCode(byte);
}

/**
 * The name at `offset`, following compression pointers (only backwards, as dns-packet does, so a
 * pointer loop cannot exist); `bytes` is what it takes at `offset` itself.
 *
 * ```ts
 * decodeName(Uint8Array.from([12, ...bytesOf('example.test'), 0]), 0); // { name: 'example\\.test', bytes: 14 }
 * ```
 */
export function decodeName(buf: Uint8Array, offset: number): { name: string; bytes: number } {
  let at = offset;
  let floor = offset;
  let bytes = 0;
  let total = 0;
  let jumped = false;
  let name = '';
  for (;;) {
    if (at >= buf.length) throw new Error('Cannot decode name (buffer overflow)');
    const length = buf[at]!;
    if (length === 0) {
      if (!jumped) bytes = at + 1 - offset;
      break;
    }
    if ((length & 0xc0) === 0xc0) {
      if (at + 1 >= buf.length) throw new Error('Cannot decode name (buffer overflow)');
      const target = ((length & 0x3f) << 8) | buf[at + 1]!;
      if (target >= floor) throw new Error('Cannot decode name (bad pointer)');
      if (!jumped) bytes = at + 2 - offset;
      jumped = true;
      at = floor = target;
      continue;
    }
    if ((length & 0xc0) !== 0) throw new Error('Cannot decode name (bad label)');
    if (at + 1 + length > buf.length) throw new Error('Cannot decode name (buffer overflow)');
    total += length + 1;
    if (total + 1 > MAX_WIRE_NAME) throw new Error('Cannot decode name (name too long)');
    if (name) name += '.';
    for (let i = at + 1; i <= at + length; i++) name += escapeByte(buf[i]!);
    at += length + 1;
  }
  return { name: name || '.', bytes };
}

/**
 * The offset just past the name at `offset`: its labels and the root byte, or a compression
 * pointer (RFC 1035 §4.1.4), which ends it in place; -1 where the bytes hold no name (a label type
 * other than 0 or 3, a run past the end, more than 255 bytes). With `pointers` false a pointer is
 * no name either: a query's question has nothing earlier to point at.
 */
export function nameEnd(buf: Uint8Array, offset: number, pointers = true): number {
  let at = offset;
  for (;;) {
    if (at >= buf.length) return -1;
    const length = buf[at]!;
    if (length === 0) return at + 1;
    if ((length & 0xc0) === 0xc0) return pointers && at + 2 <= buf.length ? at + 2 : -1;
    if (length > MAX_LABEL) return -1;
    at += length + 1;
    if (at - offset + 1 > MAX_WIRE_NAME) return -1;
  }
}

/**
 * A name as uncompressed wire labels (RFC 1035 §3.1), the canonical form of RFC 4034 §6.2 when
 * the name is lower-cased first.
 *
 * ```ts
 * nameWire('example.test'); // [7, ...'example', 4, ...'test', 0]
 * ```
 */
export function nameWire(name: string): Uint8Array {
  const labels = nameLabels(name);
  const out = new Uint8Array(labels.reduce((n, l) => n + l.length + 1, 1));
  let at = 0;
  for (const label of labels) {
    out[at++] = label.length;
    out.set(label, at);
    at += label.length;
  }
  return out;
}

const encoder = new TextEncoder();

/**
 * The labels of a name in presentation form, as bytes: `\.`, `\\`, `\DDD` undone; a trailing dot
 * (or the root, `.` or empty) adds none.
 *
 * ```ts
 * nameLabels('a\\.b.test.').map((l) => l.length); // [3, 4]
 * ```
 */
export function nameLabels(name: string): Uint8Array[] {
  const labels: Uint8Array[] = [];
  let current: number[] = [];
  const close = () => {
    if (current.length === 0) throw new RangeError(`empty label in ${JSON.stringify(name)}`);
    if (current.length > MAX_LABEL)
      throw new RangeError(`label longer than ${MAX_LABEL} bytes in ${JSON.stringify(name)}`);
    labels.push(Uint8Array.from(current));
    current = [];
  };
  if (name === '.' || name === '') return labels;
  for (let i = 0; i < name.length; i++) {
    const char = name.charCodeAt(i);
    if (char === DOT) {
      close();
    } else if (char === BACKSLASH && i + 1 < name.length) {
      const digits = /^\d{3}/.exec(name.slice(i + 1, i + 4));
      if (digits && Number(digits[0]) <= 255) {
        current.push(Number(digits[0]));
        i += 3;
      } else {
        const next = name.codePointAt(i + 1)!;
        current.push(...encoder.encode(String.fromCodePoint(next)));
        i += next > 0xffff ? 2 : 1;
      }
    } else if (char < 0x80) {
      current.push(char);
    } else {
      const point = name.codePointAt(i)!;
      current.push(...encoder.encode(String.fromCodePoint(point)));
      if (point > 0xffff) i++;
    }
  }
  if (current.length > 0) close();
  if (labels.reduce((n, l) => n + l.length + 1, 1) > MAX_WIRE_NAME)
    throw new RangeError(`name longer than ${MAX_WIRE_NAME} bytes: ${JSON.stringify(name)}`);
  return labels;
}

/** A name's wire labels as text, one char a byte (see wireLabels). */
export interface WireLabels {
  /** Each label's length, then its bytes; no root byte. */
  text: string;
  /** `text` with ASCII letters lower-cased (RFC 4343): equal for names equal in DNS. */
  key: string;
  /** Where each label starts in `text`: `text.slice(starts[i])` is the suffix from label i on. */
  starts: number[];
}

/**
 * A name's labels as they go on the wire, as a string of one char per byte: what a compressing
 * encoder writes, and looks earlier suffixes up by. Plain names (ASCII, no escapes: every name the
 * zone holds) are read in one pass without a byte array per label; the rest through nameLabels,
 * which also throws for what no name can be.
 *
 * ```ts
 * wireLabels('Nur1.example.test'); // { text: '\x04Nur1\x07example\x04test', key: '\x04nur1…', starts: [0, 5, 13] }
 * ```
 */
export function wireLabels(name: string): WireLabels {
  const end = name.endsWith('.') ? name.length - 1 : name.length;
  const starts: number[] = [];
  let text = '';
  let start = 0;
  for (let i = 0; i <= end; i++) {
    const char = i < end ? name.charCodeAt(i) : DOT;
    if (char === BACKSLASH || char >= 0x80) return escapedWireLabels(name);
    if (char !== DOT) continue;
    const length = i - start;
    if (length === 0 || length > MAX_LABEL) return escapedWireLabels(name);
    starts.push(text.length);
    text += String.fromCharCode(length) + name.slice(start, i);
    start = i + 1;
  }
  if (text.length + 1 > MAX_WIRE_NAME) return escapedWireLabels(name);
  return { text, key: text.toLowerCase(), starts };
}

/** wireLabels for names with escapes or non-ASCII (and the root, and names nameLabels refuses). */
function escapedWireLabels(name: string): WireLabels {
  const starts: number[] = [];
  let text = '';
  for (const label of nameLabels(name)) {
    starts.push(text.length);
    text += String.fromCharCode(label.length, ...label);
  }
  // Only A-Z: toLowerCase would also fold the bytes 0xC0-0xDE, which DNS keeps apart.
  return { text, key: text.replace(/[A-Z]+/g, (letters) => letters.toLowerCase()), starts };
}

/** The labels of a name in presentation form, each still escaped: `a\.b.test` → ['a\.b', 'test']. */
export function splitName(name: string): string[] {
  const labels: string[] = [];
  let start = 0;
  for (let i = 0; i < name.length; i++) {
    if (name[i] === '\\') i++;
    else if (name[i] === '.') {
      labels.push(name.slice(start, i));
      start = i + 1;
    }
  }
  if (start < name.length) labels.push(name.slice(start));
  return labels;
}
