import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Poll `ready` every `everyMs` until it holds; past `timeoutMs`, throw `timeout()`'s message.
 * An error thrown by `ready` ends the wait at once (the process under test exited, say).
 *
 * @example
 *   await waitUntil(() => fetch(`${url}/healthz`).then((r) => r.ok, () => false), { timeout: () => `manager did not start: ${output}` });
 */
export async function waitUntil(
  ready: () => boolean | Promise<boolean>,
  { timeoutMs = 20_000, everyMs = 100, timeout }: { timeoutMs?: number; everyMs?: number; timeout: () => string },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(timeout());
    await sleep(everyMs);
  }
}
