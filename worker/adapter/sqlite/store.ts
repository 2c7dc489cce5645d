// The Node entry's storage: SQLite through node:sqlite by default, Postgres when HAIRPIN_DB is
// a postgres:// URL. Migrations are applied at start-up on both.
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from '../../../schema/database.ts';
import { migrate } from '../../../schema/migrations.ts';
import { readMigrations } from '../../../schema/read-migrations.ts';
import type { AtomicBatch } from '../../store/batch.ts';
import { transactionBatch } from '../../store/batch.ts';
import { Store } from '../../store/store.ts';
import type { ZoneSource } from '../../zone/answer.ts';
import type { ZoneJournal } from '../../zone/zone-watch.ts';
import { sqliteBatch } from './sqlite-batch.ts';
import { NodeSqliteDialect, openSqlite } from './sqlite-driver.ts';
import { sqliteZoneReads } from './zone-reads.ts';

export interface OpenedStore {
  store: Store;
  /**
   * What the zone answers from and the watch follows: prepared statements read synchronously on a
   * SQLite file (zone-reads.ts), the Store itself elsewhere (':memory:' has no second connection,
   * Postgres no synchronous client).
   */
  reads: ZoneSource & ZoneJournal;
  /** Writes waiting for their turn (SQLite's group commit); 0 where the database queues them. */
  queuedWrites(): number;
  close(): Promise<void>;
}

/**
 * Open (and migrate) the store named by `location`: a file path, ':memory:' or a postgres:// URL.
 *
 * ```ts
 * const { store, close } = await openStore('data/hairpin.sqlite');
 * ```
 */
export async function openStore(location: string): Promise<OpenedStore> {
  let db: Kysely<Database>;
  let batch: AtomicBatch;
  let queuedWrites = () => 0;
  const postgres = /^postgres(ql)?:\/\//.test(location);
  if (postgres) {
    const pg = await import('pg');
    // BIGINT columns hold millisecond times and serials, all below 2^53: numbers, not strings.
    pg.default.types.setTypeParser(20, Number);
    db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: new pg.default.Pool({ connectionString: location, max: 10 }) }),
    });
    batch = transactionBatch(db);
  } else {
    const sqlite = openSqlite({ path: location });
    db = new Kysely<Database>({ dialect: new NodeSqliteDialect(sqlite) });
    const grouped = sqliteBatch(sqlite);
    queuedWrites = () => grouped.queued;
    batch = grouped;
  }
  await migrate(db, await readMigrations());
  const store = new Store(db, batch);
  // After the migrations: the read-only connection needs the tables (and the WAL's -shm file).
  const prepared = location === ':memory:' || location === '' || postgres ? undefined : sqliteZoneReads(db, location);
  return {
    store,
    reads: prepared ?? store,
    queuedWrites,
    close: async () => {
      prepared?.close();
      await db.destroy();
    },
  };
}
