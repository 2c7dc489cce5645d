// The Node entry's storage: SQLite through node:sqlite by default, Postgres when HAIRPIN_DB is
// a postgres:// URL. Migrations are applied at start-up on both.
import { Kysely, PostgresDialect } from 'kysely';
import type { Database } from '../../../schema/database.ts';
import { migrate } from '../../../schema/migrations.ts';
import { readMigrations } from '../../../schema/read-migrations.ts';
import type { AtomicBatch } from '../../store/batch.ts';
import { transactionBatch } from '../../store/batch.ts';
import { type NodeState, type OpenSnapshot, type SnapshotReads, Store } from '../../store/store.ts';
import type { ZoneSource } from '../../zone/answer.ts';
import type { ZoneJournal } from '../../zone/zone-watch.ts';
import { sqliteBatch } from './sqlite-batch.ts';
import { NodeSqliteDialect, openSqlite, openSqliteReader } from './sqlite-driver.ts';
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

/** What `location` names: a Postgres URL, a database in this connection's memory, or a SQLite file. */
export function storeKind(location: string): 'postgres' | 'memory' | 'file' {
  if (/^postgres(ql)?:\/\//.test(location)) return 'postgres';
  return location === ':memory:' || location === '' ? 'memory' : 'file';
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
  let snapshot: OpenSnapshot | undefined;
  const postgres = storeKind(location) === 'postgres';
  const memory = storeKind(location) === 'memory';
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
    snapshot = memory ? memorySnapshot(() => store) : fileSnapshot(location, batch);
  }
  await migrate(db, await readMigrations());
  const store = new Store(db, batch, snapshot);
  // After the migrations: the read-only connection needs the tables (and the WAL's -shm file).
  const prepared = memory || postgres ? undefined : sqliteZoneReads(db, location);
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

/**
 * A snapshot on a connection of its own: in WAL mode a read transaction sees the database as of
 * its first read for as long as it stays open, while the writer on the main connection goes on
 * (and checkpoints stop short of the frames it still reads). The main connection cannot hold one:
 * the writes of this process share it.
 */
function fileSnapshot(path: string, batch: AtomicBatch): OpenSnapshot {
  return async () => {
    const reader = openSqliteReader(path);
    reader.exec('BEGIN');
    try {
      // The snapshot starts with the transaction's first read, here rather than at the caller's.
      reader.prepare('SELECT serial FROM zone WHERE id = 1').get();
    } catch (e) {
      reader.close();
      throw e;
    }
    const db = new Kysely<Database>({ dialect: new NodeSqliteDialect(reader) });
    return {
      reads: new Store(db, batch),
      release: async () => {
        reader.exec('ROLLBACK');
        await db.destroy();
      },
    };
  };
}

/**
 * ':memory:' has no second connection to read from: the zone's nodes are read at once, in one
 * turn of the event loop (nothing in this process writes between statements that never wait for
 * I/O), then handed out page by page. For tests and trials; a real store is a file.
 */
function memorySnapshot(store: () => Store): OpenSnapshot {
  return async () => {
    const live = store();
    const [serial, challenges, nodes] = [
      await live.serial(),
      await live.allAcmeChallenges(),
      await live.nodePage(undefined, Number.MAX_SAFE_INTEGER),
    ];
    // Pages are asked for in order, each after the last node of the one before.
    let at = 0;
    const reads: SnapshotReads = {
      serial: async () => serial,
      allAcmeChallenges: async () => challenges,
      nodePage: async (after, limit): Promise<NodeState[]> => {
        if (!after) at = 0;
        const page = nodes.slice(at, at + limit);
        at += page.length;
        return page;
      },
    };
    return { reads, release: async () => {} };
  };
}
