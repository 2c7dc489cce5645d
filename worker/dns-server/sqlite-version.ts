// The counter the zone watch (worker/zone/zone-watch.ts) checks before every cached answer, for
// the SQLite store: it must change on every commit by any connection, this process's store
// connection or another manager process on the same file, and the watch then reads the journal.
//
// In WAL mode (the store's; see sqlite-driver.ts) that is the `iChange` counter of the wal-index
// header at the start of the `-shm` file, which every writer increments with each transaction
// and which readers consult before reading (https://sqlite.org/walformat.html §2.1). One
// 4-byte pread costs about a microsecond; `PRAGMA data_version` (a read transaction on a
// connection of its own) costs five, a tenth of a cached answer's whole budget. A writer bumps
// the counter only once the commit is visible, so a reader that sees the new value reads the new
// data; one that still sees the old value raced the commit and may answer from before it.
// Without a `-shm` file (another journal mode) the pragma is the fallback.
import { closeSync, openSync, readSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';

export interface SqliteVersion {
  version: () => number;
  close(): void;
}

/** Offset of iChange in the first copy of the wal-index header (after iVersion and a pad). */
const I_CHANGE_OFFSET = 8;

function walIndexCounter(path: string): SqliteVersion | undefined {
  let fd: number;
  try {
    fd = openSync(`${path}-shm`, 'r');
  } catch {
    return undefined;
  }
  const word = new Uint32Array(1);
  const bytes = new Uint8Array(word.buffer);
  return {
    // Native byte order, as SQLite writes it; only equality matters.
    version: () => (readSync(fd, bytes, 0, 4, I_CHANGE_OFFSET) === 4 ? word[0]! : Number.NaN),
    close: () => closeSync(fd),
  };
}

function dataVersion(path: string): SqliteVersion {
  // A connection never sees its own commits in data_version, hence one of its own.
  const db = new DatabaseSync(path, { readOnly: true });
  const statement = db.prepare('PRAGMA data_version');
  return {
    version: () => Number((statement.get() as { data_version: number }).data_version),
    close: () => db.close(),
  };
}

/**
 * Undefined for ':memory:' (nothing outside the connection can see it, so its own changes are all
 * there is to follow). Call it
 * after the store is open, so that the `-shm` file exists.
 *
 * ```ts
 * const watch = sqliteVersion('data/hairpin.sqlite');
 * watch?.version(); // 7
 * ```
 */
export function sqliteVersion(path: string): SqliteVersion | undefined {
  if (path === ':memory:' || path === '') return undefined;
  return walIndexCounter(path) ?? dataVersion(path);
}
