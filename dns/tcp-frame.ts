// DNS over TCP puts a two-byte length in front of each message (RFC 1035 §4.2.2): the framing the
// built-in server, the probe's transports and the tests all use.

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

/** The first whole message in bytes read from a TCP stream, or undefined while more are due. */
export function unframeTcp(buffer: Uint8Array): Uint8Array | undefined {
  if (buffer.byteLength < 2) return undefined;
  const length = (buffer[0]! << 8) | buffer[1]!;
  return buffer.byteLength >= length + 2 ? buffer.slice(2, length + 2) : undefined;
}
