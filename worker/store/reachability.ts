// Reachability results in the store, one row per node. The rate limit is the claim: one
// conditional upsert that succeeds only when the node's last check started long enough ago, so
// two requests at once (or two Workers isolates) never both connect.
import { sql } from 'kysely';
import type { ReachResult } from '../reachability/check.ts';
import type { StoreWriter } from './batch.ts';

/** One check per node per minute: enough for support's "try again now", never a port scanner. */
export const REACH_EVERY_MS = 60_000;

export class ReachabilityStore {
  readonly #store: StoreWriter;

  constructor(store: StoreWriter) {
    this.#store = store;
  }

  /** Take the node's check slot; returns the ms to wait instead when it is not free. */
  async claim(
    licence: string,
    node: string,
    at: number,
  ): Promise<{ claimed: true } | { claimed: false; retryAfterMs: number }> {
    const { db } = this.#store;
    const [result] = await this.#store.batch([
      db
        .insertInto('reachability')
        .values({ licence, node, started_at: at, results: null })
        .onConflict((oc) =>
          oc
            .columns(['licence', 'node'])
            .doUpdateSet({ started_at: at })
            .where(sql.ref('reachability.started_at'), '<=', at - REACH_EVERY_MS),
        )
        .returning('node')
        .compile(),
    ]);
    if ((result?.rows.length ?? 0) > 0) return { claimed: true };
    const row = await db
      .selectFrom('reachability')
      .select('started_at')
      .where('licence', '=', licence)
      .where('node', '=', node)
      .executeTakeFirst();
    return { claimed: false, retryAfterMs: Math.max(1000, Number(row?.started_at ?? at) + REACH_EVERY_MS - at) };
  }

  async save(licence: string, node: string, results: ReachResult[]): Promise<void> {
    const { db } = this.#store;
    await this.#store.batch([
      db
        .updateTable('reachability')
        .set({ results: JSON.stringify(results) })
        .where('licence', '=', licence)
        .where('node', '=', node)
        .compile(),
    ]);
  }

  /** The last finished check's results, or undefined when none finished. */
  async last(licence: string, node: string): Promise<ReachResult[] | undefined> {
    const row = await this.#store.db
      .selectFrom('reachability')
      .select('results')
      .where('licence', '=', licence)
      .where('node', '=', node)
      .executeTakeFirst();
    return row?.results ? (JSON.parse(row.results) as ReachResult[]) : undefined;
  }
}
