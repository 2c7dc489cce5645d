// Binding a UDP socket or a TCP server reports failure (EADDRINUSE, EACCES on port 53) as an
// 'error' event, not through the callback: one promise for both outcomes.
import type { EventEmitter } from 'node:events';

/**
 * ```ts
 * await listening(socket, (ready) => socket.bind(5353, '127.0.0.1', ready));
 * ```
 */
export function listening(target: EventEmitter, start: (ready: () => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    target.once('error', reject);
    start(() => {
      target.off('error', reject);
      resolve();
    });
  });
}
