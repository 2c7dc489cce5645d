// Code written once for a source that answers at once (prepared SQLite statements, the in-memory
// index of nodes) and for one that answers through promises (the Store on D1 or Postgres): a
// generator yields each read, and `run` goes on synchronously until a read is a promise. A
// question answered from memory then costs no promise and no microtask turn; with async/await it
// cost a chain of them, several microseconds of a miss that otherwise took about ten.

/** A value now, or later: the Store answers through promises, prepared SQLite statements at once. */
export type Maybe<T> = T | Promise<T>;

/**
 * Steps towards a `T`, each `yield* wait(read)`. (`never` as what a step is sent: `wait` says
 * what each read gives, `run` sends it.)
 */
export type Steps<T> = Generator<unknown, T, never>;

/** One read inside Steps: its value, whether it came at once or through a promise. */
export function* wait<T>(read: Maybe<T>): Generator<Maybe<T>, T, T> {
  return yield read;
}

/**
 * The steps' result: at once while every read is, else a promise from the first read that is one.
 * A read's rejection is thrown inside the steps, where their own try/catch sees it.
 *
 * ```ts
 * function* serialPlusOne(source: ZoneSource): Steps<number> {
 *   return (yield* wait(source.serial())) + 1;
 * }
 * const n = run(serialPlusOne(source)); // a number for SQLite, a promise for D1
 * ```
 */
export function run<T>(steps: Steps<T>): Maybe<T> {
  const send = sender(steps);
  let next = send();
  while (!next.done) {
    if (next.value instanceof Promise) return later(steps, next.value);
    next = send(next.value);
  }
  return next.value;
}

const sender = <T>(steps: Steps<T>) => steps.next.bind(steps) as (value?: unknown) => IteratorResult<unknown, T>;

async function later<T>(steps: Steps<T>, pending: Promise<unknown>): Promise<T> {
  const send = sender(steps);
  let read: unknown = pending;
  for (;;) {
    let next: IteratorResult<unknown, T>;
    if (read instanceof Promise) {
      // Only the read's own rejection goes into the steps; what they throw themselves ends them.
      const settled = await read.then(
        (value: unknown) => ({ value }),
        (error: unknown) => ({ error }),
      );
      next = 'error' in settled ? steps.throw(settled.error) : send(settled.value);
    } else next = send(read);
    if (next.done) return next.value;
    read = next.value;
  }
}
