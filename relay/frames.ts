// The relay's wire format, spoken over the one WebSocket a node keeps to its manager. Each binary
// message is one frame: a type byte, a 32-bit stream id, a payload. Streams are opened by the
// manager only; the node answers on the id it was given. Text messages are heartbeats only
// (`ping` → `pong`), so that Cloudflare's auto-response answers them without waking the Durable
// Object that holds the socket.

export const HEARTBEAT_PING = 'ping';
export const HEARTBEAT_PONG = 'pong';

export const FrameType = {
  /** manager → node: open a stream (payload: JSON `OpenFrame`). */
  open: 1,
  /** node → manager, HTTP streams: the response head (payload: JSON `HeadFrame`). */
  head: 2,
  /** either way: body or TLS bytes. */
  data: 3,
  /** either way: no more data in this direction. */
  end: 4,
  /** either way: the stream is dead both ways (payload: UTF-8 reason). */
  reset: 5,
  /** either way: the receiver read this many more bytes (payload: uint32); see relay/mux.ts. */
  credit: 6,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/**
 * What a stream carries. `tls`: the raw bytes of a TLS connection the manager routed by SNI
 * (the node's own service terminates TLS; the relay never sees plaintext). `http`: one HTTP
 * request whose TLS ended at the relay (Cloudflare's edge), re-sent by the node's agent to its
 * own service.
 */
export type OpenFrame =
  | { mode: 'tls' }
  | { mode: 'http'; method: string; path: string; headers: Array<[string, string]> };

export interface HeadFrame {
  status: number;
  headers: Array<[string, string]>;
}

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1), and the framing each runtime sets itself: never carried
 * in a head. Bodies are streams; the receiving side frames them again.
 */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-authorization',
  'proxy-authenticate',
  'content-length',
]);

/** The fields of a request or response head worth carrying across the relay. */
export function relayedHeaders(headers: Iterable<[string, string]>): Array<[string, string]> {
  return [...headers].filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase()));
}

export interface Frame {
  type: FrameType;
  stream: number;
  payload: Uint8Array;
}

const HEADER = 5;
/** The largest frame either side sends or accepts (header + payload). */
export const MAX_FRAME = 64 * 1024 + HEADER;

export class RelayProtocolError extends Error {
  static code = 'ERR_RELAY_PROTOCOL';
  code = RelayProtocolError.code;
}

export function encodeFrame(type: FrameType, stream: number, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const frame = new Uint8Array(HEADER + payload.byteLength);
  frame[0] = type;
  new DataView(frame.buffer).setUint32(1, stream);
  frame.set(payload, HEADER);
  return frame;
}

export function decodeFrame(message: ArrayBuffer | Uint8Array): Frame {
  const bytes = message instanceof Uint8Array ? message : new Uint8Array(message);
  if (bytes.byteLength < HEADER || bytes.byteLength > MAX_FRAME)
    throw new RelayProtocolError(`frame of ${bytes.byteLength} bytes`);
  const type = bytes[0]!;
  if (type < FrameType.open || type > FrameType.credit) throw new RelayProtocolError(`unknown frame type ${type}`);
  const stream = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  return { type: type as FrameType, stream, payload: bytes.subarray(HEADER) };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function jsonPayload(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function textPayload(text: string): Uint8Array {
  return encoder.encode(text);
}

export function readText(payload: Uint8Array): string {
  return decoder.decode(payload);
}

export function readJson<T>(payload: Uint8Array): T {
  try {
    return JSON.parse(decoder.decode(payload)) as T;
  } catch {
    throw new RelayProtocolError('frame payload is not JSON');
  }
}

export function creditPayload(bytes: number): Uint8Array {
  const payload = new Uint8Array(4);
  new DataView(payload.buffer).setUint32(0, bytes);
  return payload;
}

export function readCredit(payload: Uint8Array): number {
  if (payload.byteLength !== 4) throw new RelayProtocolError('credit frame of the wrong size');
  return new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0);
}
