// A TCP socket and a relay stream joined both ways, with back-pressure each way: the manager's
// TLS listener joins a caller's connection, the agent joins its connection to the node's service.
// Node only (net.Socket); the rest of relay/ is web-standard.
import type { Socket } from 'node:net';
import type { RelayStream } from './mux.ts';

/** Both ways between a caller's TCP socket and a relay stream, with back-pressure each way. */
export function splice(socket: Socket, stream: RelayStream, first?: Uint8Array): void {
  const writer = stream.writable.getWriter();
  const failed = () => {
    stream.reset('connection failed');
    socket.destroy();
  };
  if (first) {
    socket.pause();
    writer.write(first).then(() => socket.resume(), failed);
  }
  socket.on('data', (chunk: Buffer) => {
    socket.pause();
    writer.write(chunk).then(() => socket.resume(), failed);
  });
  // A clean end (FIN) is a half-close: the END frame follows the data already written, and the
  // other direction goes on. Only a close without it (reset, error) kills the stream — a reset
  // right after the end would overtake data still waiting for credit (a `Connection: close` answer).
  let ended = false;
  socket.on('end', () => {
    ended = true;
    void writer.close().catch(() => {});
  });
  socket.on('error', failed);
  socket.on('close', () => {
    if (!ended) stream.reset('connection closed');
  });
  void (async () => {
    const reader = stream.readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        // Gone already: drain what still comes, so the other side can finish its stream.
        if (socket.destroyed) continue;
        if (!socket.write(value))
          await new Promise((resolve) => {
            socket.once('drain', resolve);
            socket.once('close', resolve);
          });
      }
      if (!socket.destroyed) socket.end();
    } catch {
      socket.destroy();
    }
  })();
}
