// One logger for the manager and the agent: levels, human text for a terminal or JSON lines for a
// collector (HAIRPIN_LOG_FORMAT), every byte that came from outside escaped, repeated lines
// throttled and counted. Web-standard: the Workers entry uses it too.
//
// Escaping is the point: names, TSIG key names, URLs and problem details reach the log from the
// network. A raw newline in one of them forges a second line (a fake "admin token" was injected
// this way from one datagram); a raw ESC drives the operator's terminal. Both formats escape
// C0/C1 controls, DEL, U+2028/2029 and lone surrogates, in the message and in every field.

export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Fields = Record<string, unknown>;
export type LogFormat = 'text' | 'json';

const LEVELS: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  /** One line per HTTP request: never throttled (an access log that drops lines is no access log). */
  access(fields: Fields): void;
  /** Say what was suppressed so far (at shutdown). */
  flush(): void;
}

export interface LoggerOptions {
  format?: LogFormat;
  level?: Level;
  /** Where a finished line goes (without its newline). */
  write?: (line: string) => void;
  now?: () => number;
  /** At most `lines` lines with the same level and message per `windowMs`; `maxKeys` messages tracked. */
  throttle?: { lines: number; windowMs: number; maxKeys: number };
}

export const DEFAULT_THROTTLE = { lines: 20, windowMs: 60_000, maxKeys: 1000 };

// eslint-disable-next-line no-control-regex
const UNSAFE =
  /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Whatever escapeText would change: a backslash, an UNSAFE character, any surrogate. */
const ESCAPED = /[\\\u0000-\u001f\u007f-\u009f\u2028\u2029\ud800-\udfff]/;

/** Text form: `\n`, `\x1b`, `\u2028`…; a backslash doubled so that escapes read back unambiguously. */
export function escapeText(value: string): string {
  // Nearly every value (a method, a path, an address) has nothing to escape: one test, no copies.
  if (!ESCAPED.test(value)) return value;
  return value.replace(/\\/g, '\\\\').replace(UNSAFE, (ch) => {
    const code = ch.charCodeAt(0);
    if (ch === '\n') return '\\n';
    if (ch === '\r') return '\\r';
    if (ch === '\t') return '\\t';
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** JSON.stringify escapes C0 controls and quotes; DEL, C1, U+2028/2029 it leaves raw. */
function jsonLine(record: Fields): string {
  return JSON.stringify(record).replace(UNSAFE, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return Array.from(value, (b) => b.toString(16).padStart(2, '0')).join('');
  if (value instanceof Error) return value.message;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function textValue(value: unknown): string {
  const v = plain(value);
  const s = typeof v === 'string' ? escapeText(v) : escapeText(JSON.stringify(v) ?? String(v));
  return s === '' || /[\s"=]/.test(s) ? `"${s.replace(/"/g, '\\"')}"` : s;
}

/**
 * ```ts
 * const log = createLogger({ format: 'json' });
 * log.warn('tsig: rejected', { peer: '192.0.2.1', key: keyNameFromTheWire });
 * log.access({ method: 'GET', route: '/healthz', status: 200, ms: 1.2 });
 * ```
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const format = options.format ?? 'text';
  const threshold = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => console.log(line));
  const now = options.now ?? Date.now;
  const throttle = options.throttle ?? DEFAULT_THROTTLE;
  let windowStart = now();
  /** Lines per (level, message) in this window; past the limit, counted only. */
  const seen = new Map<string, { level: Level; msg: string; lines: number; suppressed: number }>();

  // The time's text, made once per millisecond: an access line a request, thousands a second.
  let lastMs = Number.NaN;
  let lastTime = '';
  const timeText = () => {
    const ms = now();
    if (ms !== lastMs) {
      lastMs = ms;
      lastTime = new Date(ms).toISOString();
    }
    return lastTime;
  };

  const emit = (level: Level, msg: string, fields: Fields | undefined) => {
    const time = timeText();
    if (format === 'json') {
      const record: Fields = { time, level, msg };
      for (const [k, v] of Object.entries(fields ?? {})) if (!(k in record)) record[k] = plain(v);
      write(jsonLine(record));
      return;
    }
    let line = `${time} ${level.toUpperCase()} ${escapeText(msg)}`;
    if (fields) for (const k of Object.keys(fields)) line += ` ${escapeText(k)}=${textValue(fields[k])}`;
    write(line);
  };

  const summarize = () => {
    for (const entry of seen.values()) {
      if (entry.suppressed > 0)
        emit(entry.level, entry.msg, {
          suppressed: entry.suppressed,
          windowSeconds: Math.round(throttle.windowMs / 1000),
        });
    }
    seen.clear();
  };

  const log = (level: Level, msg: string, fields?: Fields) => {
    if (LEVELS[level] < threshold) return;
    if (now() - windowStart >= throttle.windowMs) {
      summarize();
      windowStart = now();
    }
    const key = `${level} ${msg}`;
    let entry = seen.get(key);
    if (!entry) {
      // Too many distinct messages this window (a flood that varies the text): one shared bucket.
      const full = seen.size >= throttle.maxKeys;
      const bucket = full ? `${level} *` : key;
      entry = seen.get(bucket) ?? {
        level,
        msg: full ? 'distinct messages over the limit' : msg,
        lines: full ? throttle.lines : 0,
        suppressed: 0,
      };
      seen.set(bucket, entry);
    }
    if (entry.lines >= throttle.lines) {
      entry.suppressed++;
      return;
    }
    entry.lines++;
    emit(level, msg, fields);
  };

  return {
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
    access: (fields) => emit('info', 'access', fields),
    flush: summarize,
  };
}

/**
 * The logger as configured: `HAIRPIN_LOG_FORMAT` (`text`, the default, or `json`) and
 * `HAIRPIN_LOG_LEVEL` (`debug`, `info`, `warn`, `error`; default `info`).
 */
export function loggerFromEnv(env: Record<string, string | undefined>, write?: (line: string) => void): Logger {
  const format = env.HAIRPIN_LOG_FORMAT || 'text';
  const level = env.HAIRPIN_LOG_LEVEL || 'info';
  if (format !== 'text' && format !== 'json')
    throw new LogConfigError(`HAIRPIN_LOG_FORMAT must be text or json, got "${format}"`);
  if (!(level in LEVELS))
    throw new LogConfigError(`HAIRPIN_LOG_LEVEL must be debug, info, warn or error, got "${level}"`);
  return createLogger({ format, level: level as Level, ...(write ? { write } : {}) });
}

export class LogConfigError extends Error {
  static readonly code = 'ERR_CONFIG';
  readonly code = LogConfigError.code;
}
