import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openSqlite } from './sqlite-driver.ts';

const dir = mkdtempSync(join(tmpdir(), 'hairpin-sqlite-mode-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openSqlite', () => {
  it('creates the database, its -wal and -shm readable by the owner only, whatever the umask', () => {
    const path = join(dir, 'hairpin.sqlite');
    const umask = process.umask(0o022);
    try {
      const db = openSqlite({ path });
      db.exec('CREATE TABLE t (v TEXT)');
      db.exec("INSERT INTO t VALUES ('x')");
      for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(statSync(file).mode & 0o777, file).toBe(0o600);
      db.close();
    } finally {
      process.umask(umask);
    }
  });
});
