// Writes go through one "atomic batch" so the store needs no interactive transactions: D1 has
// none (its batch() is the transaction), SQLite and Postgres run the list inside one.
import type { CompiledQuery, Kysely, QueryResult } from 'kysely';

/** Run the queries in order, all or nothing; results in the same order. */
export type AtomicBatch = (queries: readonly CompiledQuery[]) => Promise<QueryResult<unknown>[]>;

/** For dialects with real transactions (Postgres; SQLite through Kysely). */
export function transactionBatch(db: Kysely<any>): AtomicBatch {
  return (queries) =>
    db.transaction().execute(async (trx) => {
      const results: QueryResult<unknown>[] = [];
      for (const query of queries) results.push(await trx.executeQuery(query));
      return results;
    });
}
