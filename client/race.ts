/**
 * Happy Eyeballs (RFC 8305 §5) over origins: start the first attempt at once, the next one after
 * `delayMs` or as soon as the previous one fails, keep the first that succeeds and abort the rest.
 * Rejects with an `AggregateError` of every failure (in attempt order) when all fail, or with
 * the caller's abort reason.
 *
 * @example
 *   const { index, value } = await raceWithDelay(
 *     [(s) => verifyIdentity(internal, { fetch, signal: s }), (s) => verifyIdentity(external, { fetch, signal: s })],
 *     250,
 *   );
 */
export function raceWithDelay<T>(
  attempts: ReadonlyArray<(signal: AbortSignal) => Promise<T>>,
  delayMs: number,
  signal?: AbortSignal | null,
): Promise<{ index: number; value: T }> {
  return new Promise((resolve, reject) => {
    const controllers: AbortController[] = [];
    const errors: unknown[] = new Array(attempts.length);
    let failed = 0;
    let started = 0;
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const finish = () => {
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      for (const c of controllers) c.abort();
    };
    const onAbort = () => {
      if (settled) return;
      finish();
      reject(signal?.reason);
    };
    const startNext = () => {
      clearTimeout(timer);
      if (settled || started >= attempts.length) return;
      const index = started++;
      const controller = new AbortController();
      controllers.push(controller);
      attempts[index]!(controller.signal).then(
        (value) => {
          if (settled) return;
          finish();
          resolve({ index, value });
        },
        (error: unknown) => {
          if (settled) return;
          errors[index] = error;
          if (++failed === attempts.length) {
            finish();
            reject(new AggregateError(errors, 'every attempt failed'));
          } else {
            startNext();
          }
        },
      );
      if (started < attempts.length) timer = setTimeout(startNext, delayMs);
    };

    if (signal?.aborted) return reject(signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    startNext();
  });
}
