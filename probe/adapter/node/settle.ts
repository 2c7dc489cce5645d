// The shape both Node socket transports share: one answer or one error, the socket closed either
// way, and the exchange ended at once when the probe's signal aborts.
import { asProbeError } from '../../errors.ts';

export type Settle = (error: unknown, response?: Uint8Array) => void;

/**
 * ```ts
 * return settleOnce(label, signal, () => socket.close(), (settle) => { socket.on('message', (m) => settle(undefined, m)); … });
 * ```
 */
export function settleOnce(
  label: string,
  signal: AbortSignal,
  close: () => void,
  start: (settle: Settle) => void,
): Promise<Uint8Array> {
  return new Promise<Uint8Array>((resolve, reject) => {
    let settled = false;
    const settle: Settle = (error, response) => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      close();
      if (response) resolve(response);
      else reject(asProbeError(label, error, signal));
    };
    const onAbort = () => settle(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    start(settle);
  });
}
