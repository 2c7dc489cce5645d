/**
 * A signal that aborts when the parent does (with the parent's reason, so a caller's abort stays
 * the caller's) or after `ms` (with a `TimeoutError`). `AbortSignal.any` would do, but React Native
 * and older Safari lack it.
 *
 * @example
 *   const bound = timeBound(init.signal, 5_000);
 *   try { return await fetch(url, { signal: bound.signal }); } finally { bound.clear(); }
 */
export function timeBound(parent: AbortSignal | null | undefined, ms: number) {
  const controller = new AbortController();
  let timedOut = false;
  const onAbort = () => controller.abort(parent?.reason);
  const expire = () => {
    timedOut = true;
    controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError'));
  };
  const timer = setTimeout(expire, ms);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    /** Ends the attempt now as if its time were up (a failed liveness check). */
    expire,
    /** Stops the clock (headers are in) but keeps following the parent, which may still cancel the body. */
    stopClock: () => clearTimeout(timer),
    clear: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onAbort);
    },
  };
}

/** Lets the timers of a long-lived client not keep a Node or Deno process alive. */
export function unref(timer: ReturnType<typeof setTimeout>): void {
  (timer as { unref?: () => void }).unref?.();
}

/** Resolves after the current turn of the event loop (setImmediate where it exists, else a 0 ms timer). */
export function nextTurn(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (callback: () => void) => unknown }).setImmediate;
  return new Promise((resolve) => (immediate ? immediate(resolve) : setTimeout(resolve, 0)));
}
