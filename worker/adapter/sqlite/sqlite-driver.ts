// Kysely on node:sqlite (built into Node >= 22.13 and Deno >= 2.2), so the embedded default needs
// no native addon to compile. Written in the shape of Kysely's own SqliteDialect pieces.
import { closeSync, openSync } from 'node:fs';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
} from 'kysely';

export interface NodeSqliteOptions {
  /** File path, or ':memory:'. */
  path: string;
  /** How long a writer waits for another process's lock before failing (ms). */
  busyTimeoutMs?: number;
  /** 'FULL' survives power loss; 'NORMAL' (default) survives a killed process, faster. */
  synchronous?: 'NORMAL' | 'FULL';
}

/** Open the file with the settings every hairpin process shares. */
export function openSqlite(options: NodeSqliteOptions): DatabaseSync {
  // Created 0600 whatever the umask: the file holds credential hashes and every node's addresses.
  // SQLite gives the -wal and -shm files the database file's mode.
  if (options.path !== ':memory:') closeSync(openSync(options.path, 'a', 0o600));
  const db = new DatabaseSync(options.path);
  // WAL lets readers run beside the one writer; the busy timeout lets two processes share a file.
  db.exec(`PRAGMA busy_timeout = ${options.busyTimeoutMs ?? 10_000}`);
  if (options.path !== ':memory:') db.exec('PRAGMA journal_mode = WAL');
  db.exec(`PRAGMA synchronous = ${options.synchronous ?? 'NORMAL'}`);
  db.exec('PRAGMA foreign_keys = ON');
  return db;
}

/**
 * A read-only connection beside the main one: in WAL mode it reads the last commit of any
 * connection or process, and a transaction on it keeps one version for as long as it is open.
 */
export function openSqliteReader(path: string): DatabaseSync {
  const db = new DatabaseSync(path, { readOnly: true });
  db.exec('PRAGMA busy_timeout = 10000');
  return db;
}

// Kysely emits the same few SQL strings again and again; preparing each once saves most of the
// per-query cost. The number of distinct strings is bounded by the code, not by input, since
// values travel as parameters — the cap only guards against a future query built per request.
const STATEMENT_CACHE_LIMIT = 500;
const statementCaches = new WeakMap<DatabaseSync, Map<string, { statement: StatementSync; reader: boolean }>>();

function prepared(db: DatabaseSync, sql: string): { statement: StatementSync; reader: boolean } {
  let cache = statementCaches.get(db);
  if (!cache) statementCaches.set(db, (cache = new Map()));
  let entry = cache.get(sql);
  if (!entry) {
    if (cache.size >= STATEMENT_CACHE_LIMIT) cache.clear();
    const statement = db.prepare(sql);
    entry = { statement, reader: statement.columns().length > 0 };
    cache.set(sql, entry);
  }
  return entry;
}

/** Run one statement; the single place that maps Kysely parameters to node:sqlite's. */
export function runStatement(db: DatabaseSync, sql: string, parameters: readonly unknown[]): QueryResult<unknown> {
  const { statement, reader } = prepared(db, sql);
  const params = parameters as SQLInputValue[];
  if (reader) {
    return { rows: statement.all(...params) };
  }
  const { changes, lastInsertRowid } = statement.run(...params);
  return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
}

class NodeSqliteConnection implements DatabaseConnection {
  readonly db: DatabaseSync;
  constructor(db: DatabaseSync) {
    this.db = db;
  }
  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return runStatement(this.db, query.sql, query.parameters) as QueryResult<R>;
  }
  // biome-ignore lint/correctness/useYield: Kysely's interface wants a generator; this one only refuses.
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on node:sqlite');
  }
}

/** One connection, handed out to one user at a time (Kysely's SqliteDriver does the same). */
class NodeSqliteDriver implements Driver {
  readonly #db: DatabaseSync;
  readonly #connection: NodeSqliteConnection;
  #queue: Promise<void> = Promise.resolve();
  #release: (() => void) | undefined;

  constructor(db: DatabaseSync) {
    this.#db = db;
    this.#connection = new NodeSqliteConnection(db);
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.#queue;
    let release!: () => void;
    this.#queue = new Promise((resolve) => (release = resolve));
    await previous;
    this.#release = release;
    return this.#connection;
  }
  // IMMEDIATE takes the write lock up front: a deferred transaction that reads and then writes
  // can fail with SQLITE_BUSY at once when another process writes, without waiting.
  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('BEGIN IMMEDIATE'));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('COMMIT'));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('ROLLBACK'));
  }
  async releaseConnection(): Promise<void> {
    this.#release?.();
  }
  async destroy(): Promise<void> {
    this.#db.close();
  }
}

export class NodeSqliteDialect implements Dialect {
  readonly #db: DatabaseSync;
  constructor(db: DatabaseSync) {
    this.#db = db;
  }
  createDriver(): Driver {
    return new NodeSqliteDriver(this.#db);
  }
  createQueryCompiler() {
    return new SqliteQueryCompiler();
  }
  createAdapter() {
    return new SqliteAdapter();
  }
  // biome-ignore lint/suspicious/noExplicitAny: Kysely's Dialect interface declares it so
  createIntrospector(db: Kysely<any>) {
    return new SqliteIntrospector(db);
  }
}
