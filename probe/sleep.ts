// A wait that an AbortSignal cuts short. The listener goes with the wait, however it ends: an
// agent passes its lifetime signal to every check, and a listener left per wait would pile up on
// it for as long as the agent runs.

/**
 * ```ts
 * await abortableSleep(2_000, controller.signal); // resolves after 2 s, or at once on abort
 * ```
 */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
  });
}
