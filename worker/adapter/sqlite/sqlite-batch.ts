// Group commit for the embedded SQLite store. A commit costs more than the few statements of a
// report (WAL frames for every page touched, the wal-index update), so batches that arrive in the
// same turn of the event loop share one transaction, each inside a savepoint so that one failing
// batch rolls back alone. Every caller is answered only after the COMMIT: an acknowledged write is
// in the WAL exactly as with one transaction per batch, and a crash loses nothing acknowledged.
import type { DatabaseSync } from 'node:sqlite';
import { setImmediate } from 'node:timers';
import type { QueryResult } from 'kysely';
import type { AtomicBatch } from '../../store/batch.ts';
import { runStatement } from './sqlite-driver.ts';

/** Bounds the time one group holds the event loop (and the write lock) under a burst. */
const MAX_GROUP = 128;

type Outcome = { results: QueryResult<unknown>[] } | { error: unknown };

interface Pending {
  queries: Parameters<AtomicBatch>[0];
  signal: AbortSignal | undefined;
  resolve(results: QueryResult<unknown>[]): void;
  reject(error: unknown): void;
}

/**
 * An AtomicBatch on one connection. Synchronous execution cannot interleave with anything else on
 * it, and BEGIN IMMEDIATE makes a second process wait (busy_timeout) instead of failing.
 */
export function sqliteBatch(db: DatabaseSync): AtomicBatch & { readonly queued: number } {
  const pending: Pending[] = [];
  const flush = () => {
    const taken = pending.splice(0, MAX_GROUP);
    if (pending.length > 0) setImmediate(flush);
    // Work for a caller that has gone (its client disconnected while queued) is dropped unrun:
    // under a backlog it would only delay the callers still waiting.
    const group = taken.filter((p) => {
      if (!p.signal?.aborted) return true;
      p.reject(p.signal.reason);
      return false;
    });
    if (group.length === 0) return;
    const outcomes = runGroup(db, group);
    group.forEach((p, i) => {
      const outcome = outcomes[i]!;
      if ('error' in outcome) p.reject(outcome.error);
      else p.resolve(outcome.results);
    });
  };
  const batch: AtomicBatch = (queries, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      // setImmediate runs after the I/O callbacks of this turn: every request read in it joins.
      if (pending.push({ queries, signal, resolve, reject }) === 1) setImmediate(flush);
    });
  // How many batches wait for their group: what the HTTP entry sheds load on.
  return Object.defineProperty(batch, 'queued', { get: () => pending.length }) as AtomicBatch & {
    readonly queued: number;
  };
}

function runGroup(db: DatabaseSync, group: readonly Pending[]): Outcome[] {
  const outcomes: Outcome[] = [];
  try {
    db.exec('BEGIN IMMEDIATE');
    for (const { queries } of group) {
      db.exec('SAVEPOINT batch');
      try {
        outcomes.push({ results: queries.map((q) => runStatement(db, q.sql, q.parameters)) });
        db.exec('RELEASE batch');
      } catch (error) {
        // Throws in turn when SQLite already rolled the whole transaction back (disk full, I/O
        // error): then the outer catch fails every batch of the group, none being committed.
        db.exec('ROLLBACK TO batch');
        db.exec('RELEASE batch');
        outcomes.push({ error });
      }
    }
    db.exec('COMMIT');
    return outcomes;
  } catch (error) {
    try {
      db.exec('ROLLBACK');
    } catch {
      // No transaction left to roll back.
    }
    return group.map(() => ({ error }));
  }
}
