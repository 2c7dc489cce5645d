// DNS over TCP frames each message with a two-byte length (RFC 1035 §4.2.2), and TCP hands them
// over in chunks of any size. Chunks are kept as they come and joined only once a message is
// complete: joining on every chunk would copy a frame trickled a byte at a time 65,535 times.
// Each byte is copied at most twice (once with the frame before it, once with its own).

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
  #chunks: Buffer[] = [];
  #length = 0;

  /** Bytes received and not yet returned as a message: 0 between frames. */
  get buffered(): number {
    return this.#length;
  }

  push(chunk: Buffer): void {
    if (chunk.byteLength === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.byteLength;
  }

  /** The next whole message (without its length prefix), or undefined until it has all arrived. */
  next(): Buffer | undefined {
    if (this.#length < 2) return undefined;
    const [first, second] = this.#chunks as [Buffer, Buffer | undefined];
    // The prefix itself may straddle two chunks.
    const size = first.byteLength >= 2 ? first.readUInt16BE(0) : (first[0]! << 8) | second![0]!;
    if (this.#length < 2 + size) return undefined;
    const joined = this.#chunks.length === 1 ? first : Buffer.concat(this.#chunks, this.#length);
    const rest = joined.subarray(2 + size);
    this.#chunks = rest.byteLength > 0 ? [rest] : [];
    this.#length = rest.byteLength;
    return joined.subarray(2, 2 + size);
  }
}
