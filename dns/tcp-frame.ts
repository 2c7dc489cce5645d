// DNS over TCP puts a two-byte length in front of each message (RFC 1035 §4.2.2): the framing the
// built-in server, the probe's transports and the tests all use. TCP hands the frames over in
// chunks of any size: chunks are kept as they come and joined only once a message is complete
// (joining on every chunk would copy a frame trickled a byte at a time 65,535 times), so each byte
// is copied at most twice (once with the frame before it, once with its own).

import { concatBytes } from './wire.ts';

/** RFC 1035 §4.2.2: over TCP each message goes with a two-byte length in front. */
export function frameTcp(message: Uint8Array): Uint8Array {
  // A larger message would go out with its length wrapped, and the stream would desynchronise.
  if (message.byteLength > 0xffff)
    throw new RangeError(`a DNS message of ${message.byteLength} bytes cannot be framed (at most 65535)`);
  const framed = new Uint8Array(message.byteLength + 2);
  framed.set([message.byteLength >> 8, message.byteLength & 0xff]);
  framed.set(message, 2);
  return framed;
}

/**
 * ```ts
 * const frames = new FrameReader();
 * socket.on('data', (chunk) => {
 *   frames.push(chunk);
 *   for (let m = frames.next(); m; m = frames.next()) answer(m);
 * });
 * ```
 */
export class FrameReader {
  #chunks: Uint8Array[] = [];
  #length = 0;

  /** Bytes received and not yet returned as a message: 0 between frames. */
  get buffered(): number {
    return this.#length;
  }

  /** Keeps `chunk` as it is (no copy): the caller must not reuse its buffer. */
  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.byteLength;
  }

  /** The next whole message (without its length prefix), or undefined until it has all arrived. */
  next(): Uint8Array | undefined {
    if (this.#length < 2) return undefined;
    const [first, second] = this.#chunks as [Uint8Array, Uint8Array | undefined];
    // The prefix itself may straddle two chunks.
    const size = (first[0]! << 8) | (first.byteLength >= 2 ? first[1]! : second![0]!);
    if (this.#length < 2 + size) return undefined;
    const joined = this.#chunks.length === 1 ? first : concatBytes(this.#chunks, this.#length);
    const rest = joined.subarray(2 + size);
    this.#chunks = rest.byteLength > 0 ? [rest] : [];
    this.#length = rest.byteLength;
    return joined.subarray(2, 2 + size);
  }
}
