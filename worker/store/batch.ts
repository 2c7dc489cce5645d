// Writes go through one "atomic batch" so the store needs no interactive transactions: D1 has
// none (its batch() is the transaction), SQLite and Postgres run the list inside one.
import type { CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Database } from '../../schema/database.ts';

/**
 * Run the queries in order, all or nothing; results in the same order. A batch whose `signal` has
 * aborted (its caller went away) before it starts is not run: it rejects with the signal's reason.
 */
export type AtomicBatch = (queries: readonly CompiledQuery[], signal?: AbortSignal) => Promise<QueryResult<unknown>[]>;

/**
 * What a query file (acme-challenges.ts, probe-reports.ts) needs of the Store to write: the
 * database to compile against, the atomic batch, and the serial bump that goes in the same batch.
 * The Store implements it; query files name this, not the Store, so neither imports the other.
 */
export interface StoreWriter {
  readonly db: Kysely<Database>;
  readonly batch: AtomicBatch;
  serialQueries(): readonly [CompiledQuery, CompiledQuery];
}

/** For dialects with real transactions (Postgres; SQLite through Kysely). */
// biome-ignore lint/suspicious/noExplicitAny: runs compiled queries, whatever the schema
export function transactionBatch(db: Kysely<any>): AtomicBatch {
  return async (queries, signal) => {
    signal?.throwIfAborted();
    return db.transaction().execute(async (trx) => {
      const results: QueryResult<unknown>[] = [];
      for (const query of queries) results.push(await trx.executeQuery(query));
      return results;
    });
  };
}
