// Follows the store's change journal by serial, so that answer caches drop exactly what a change
// touched. The journal is address_history, the same one IXFR sends (worker/transfer/journal.ts):
// every address change writes its row and its serial bump in one atomic batch. A serial step with
// no row (an enrolment, a deletion, an ACME TXT change) or a gap longer than MAX_JOURNAL_STEPS
// means "anything may have changed". Any writer counts: this process, or another manager on the
// same SQLite file or Postgres database, since the journal is read from the store itself.
import { nextStoreSerial, serialDistance } from '../store/serial.ts';
import type { JournalRow } from '../store/store.ts';
import type { Maybe } from './answer.ts';

/** What the watch reads: the serial, and the journal rows in (from, to]. */
export interface ZoneJournal {
  serial(): Maybe<number>;
  journal(from: number, to: number): Maybe<JournalRow[]>;
}

/** The zone moved to `serial`; `nodes` are the nodes whose addresses changed, or undefined for "anything". */
export interface ZoneChange {
  serial: number;
  nodes: readonly JournalRow[] | undefined;
}

export interface ZoneWatchOptions {
  journal: ZoneJournal;
  /**
   * A counter that moves with every commit and costs about a microsecond to read (SQLite's
   * wal-index counter, worker/dns-server/sqlite-version.ts): when given, `check()` reads the
   * journal only when it moved, so every answer can afford to check first. Without it (Postgres)
   * the journal is polled.
   */
  version?: () => number;
  onError?: (error: unknown) => void;
}

/** Past this many steps reading the journal costs more than starting over (a full transfer, an emptied cache). */
export const MAX_JOURNAL_STEPS = 1000;

const then = <T, R>(value: Maybe<T>, next: (value: T) => Maybe<R>): Maybe<R> =>
  value instanceof Promise ? value.then(next) : next(value);

/**
 * The rows leading from `from` to `to`, one per serial step, or undefined when some step has no
 * row (a change the journal does not describe).
 */
export function journalSteps<R extends { serial: number | null }>(
  from: number,
  to: number,
  rows: readonly R[],
): R[] | undefined {
  // Callers bound the distance (MAX_JOURNAL_STEPS) before they read the rows.
  // Journal order is the distance from `from` round the circle, not numeric order (RFC 1982 wrap).
  const step = (row: R) => serialDistance(from, Number(row.serial));
  const sorted = [...rows].sort((a, b) => step(a) - step(b));
  let at = from;
  // Each bump is one batch with at most one history row; a skipped serial is a change the journal
  // did not record (enrolment, deletion, ACME).
  for (const row of sorted) {
    if (Number(row.serial) !== nextStoreSerial(at)) return undefined;
    at = Number(row.serial);
  }
  return at === to ? sorted : undefined;
}

/**
 * ```ts
 * const watch = await ZoneWatch.start({ journal: reads, version: sqliteVersion(path)?.version });
 * watch.onChange(({ nodes }) => (nodes ? forget(nodes) : clearAll()));
 * watch.check(); // before serving a cached answer: follows any commit since the last check
 * ```
 */
export class ZoneWatch {
  readonly #options: ZoneWatchOptions;
  readonly #listeners: ((change: ZoneChange) => void)[] = [];
  #serial: number;
  #version = Number.NaN;
  /** Changes announced by this process (`changed()`) whose journal has not been followed yet. */
  #unfollowed = 0;
  /** The refresh in flight, for journals read through promises; the next one waits for it. */
  #queue: Promise<void> | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  /** Moves with every change followed or announced: what was computed across one may be stale. */
  epoch = 0;

  private constructor(options: ZoneWatchOptions, serial: number) {
    this.#options = options;
    this.#serial = serial;
    if (options.version) this.#version = options.version();
  }

  static async start(options: ZoneWatchOptions): Promise<ZoneWatch> {
    return new ZoneWatch(options, await options.journal.serial());
  }

  /** The serial followed so far. */
  get serial(): number {
    return this.#serial;
  }

  /** False while a change is known and its journal not followed yet: cache nothing then. */
  get current(): boolean {
    return this.#unfollowed === 0;
  }

  onChange(listener: (change: ZoneChange) => void): void {
    this.#listeners.push(listener);
  }

  /**
   * Follows the journal if the version counter moved: synchronously for a synchronous journal;
   * for one read through promises, nothing is current until it is followed.
   */
  check(): void {
    const version = this.#options.version;
    if (!version) return;
    let now: number;
    try {
      now = version();
    } catch (error) {
      this.#failed(error);
      return;
    }
    if (now === this.#version) return;
    this.#version = now;
    this.#catchUp();
  }

  /**
   * This process changed the zone: what is cached is suspect until the journal is followed. With
   * a counter there is nothing to do: the commit moved it, so the next `check()` (before the next
   * answer) follows the change. Following it here, at every report, read the journal on the main
   * thread for a DoH cache that may not be asked before the next change.
   */
  changed(): void {
    if (this.#options.version) return;
    this.#catchUp();
  }

  #catchUp(): void {
    const followed = this.refresh();
    if (!(followed instanceof Promise)) return;
    this.#unfollowed++;
    this.epoch++;
    void followed.finally(() => {
      this.#unfollowed--;
    });
  }

  /** Reads the serial and, if it moved, the journal since; listeners hear of it. */
  refresh(): Maybe<void> {
    if (this.#queue) return (this.#queue = this.#queue.then(() => this.#follow()));
    let followed: Maybe<void>;
    try {
      followed = this.#follow();
    } catch (error) {
      return this.#failed(error);
    }
    if (!(followed instanceof Promise)) return;
    const queued: Promise<void> = followed.finally(() => {
      if (this.#queue === queued) this.#queue = undefined;
    });
    this.#queue = queued;
    return queued;
  }

  /** Polls every `ms` (for stores without a version counter: another process's writes). */
  poll(ms: number): void {
    this.#timer = setInterval(() => void this.refresh(), ms);
    this.#timer.unref?.();
  }

  close(): void {
    clearInterval(this.#timer);
    this.#closed = true;
  }

  /** Closed with its store: whoever builds from the store in the background stops. */
  get closed(): boolean {
    return this.#closed;
  }

  #follow(): Maybe<void> {
    const journal = this.#options.journal;
    const followed = then(journal.serial(), (to) => {
      const from = this.#serial;
      if (to === from) return;
      if (serialDistance(from, to) > MAX_JOURNAL_STEPS) return this.#emit({ serial: to, nodes: undefined });
      return then(journal.journal(from, to), (rows) => this.#emit({ serial: to, nodes: journalSteps(from, to, rows) }));
    });
    return followed instanceof Promise ? followed.catch((error) => this.#failed(error)) : followed;
  }

  #emit(change: ZoneChange): void {
    this.#serial = change.serial;
    this.epoch++;
    for (const listener of this.#listeners) listener(change);
  }

  /** A failed read leaves the cache unknowable: everything goes, and the next check reads again. */
  #failed(error: unknown): void {
    this.#options.onError?.(error);
    this.#version = Number.NaN;
    this.epoch++;
    for (const listener of this.#listeners) listener({ serial: this.#serial, nodes: undefined });
  }
}
