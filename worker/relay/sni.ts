// The server name a TLS client asks for (RFC 6066 §3), read from its ClientHello without
// terminating TLS: all the relay needs to route a connection to the node whose name it is.

/** The largest ClientHello waited for: one TLS record (RFC 8446 §5.1: 2^14 bytes) and its header. */
export const MAX_CLIENT_HELLO = 16_384 + 5;

/**
 * `more`: the record is not complete yet; `null`: not a ClientHello with a host name (or not
 * TLS at all); else the name, lower-case. Only a ClientHello in one record is read, which is
 * what browsers and TLS libraries send (post-quantum key shares included, ~1.8 KB).
 */
export function serverName(bytes: Uint8Array): string | null | 'more' {
  if (bytes.length < 5) return 'more';
  // Handshake record, TLS 1.0–1.3 record version (ClientHellos say 3.1 for compatibility).
  if (bytes[0] !== 0x16 || bytes[1] !== 0x03) return null;
  const recordLength = (bytes[3]! << 8) | bytes[4]!;
  if (recordLength > MAX_CLIENT_HELLO - 5) return null;
  if (bytes.length < 5 + recordLength) return 'more';
  const body = bytes.subarray(5, 5 + recordLength);
  let at = 0;
  const need = (n: number) => at + n <= body.length;
  const u8 = () => body[at++]!;
  const u16 = () => (u8() << 8) | u8();
  if (!need(4) || u8() !== 0x01) return null; // ClientHello
  at += 3; // handshake length
  if (!need(2 + 32 + 1)) return null;
  at += 2 + 32; // legacy_version, random
  const skip = (length: number) => {
    if (!need(length)) return false;
    at += length;
    return true;
  };
  if (!skip(u8())) return null; // legacy_session_id
  if (!need(2) || !skip(u16())) return null; // cipher_suites
  if (!need(1) || !skip(u8())) return null; // legacy_compression_methods
  if (!need(2)) return null;
  const extensionsEnd = at + u16();
  if (extensionsEnd > body.length) return null;
  while (at + 4 <= extensionsEnd) {
    const type = u16();
    const length = u16();
    if (at + length > extensionsEnd) return null;
    if (type !== 0x0000) {
      at += length;
      continue;
    }
    // server_name: a list of (name_type, name); host_name is type 0.
    const listEnd = at + 2 + ((body[at]! << 8) | body[at + 1]!);
    at += 2;
    while (at + 3 <= listEnd) {
      const nameType = u8();
      const nameLength = u16();
      if (at + nameLength > listEnd) return null;
      if (nameType === 0) return new TextDecoder().decode(body.subarray(at, at + nameLength)).toLowerCase();
      at += nameLength;
    }
    return null;
  }
  return null;
}

/** A fatal TLS alert record: `unrecognized_name` (112), what a server says for a name it has not. */
export const UNRECOGNIZED_NAME_ALERT = new Uint8Array([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 112]);
