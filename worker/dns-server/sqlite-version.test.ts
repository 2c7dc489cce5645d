import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqliteVersion } from './sqlite-version.ts';

describe('sqliteVersion', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hairpin-version-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  for (const mode of ['WAL', 'DELETE'] as const) {
    it(`moves on every commit and only then (journal_mode ${mode})`, () => {
      const path = join(dir, `${mode}.sqlite`);
      const writer = new DatabaseSync(path);
      writer.exec(`PRAGMA journal_mode = ${mode}; CREATE TABLE t (x)`);
      const watch = sqliteVersion(path)!;
      try {
        const seen = [watch.version()];
        for (let i = 0; i < 3; i++) {
          writer.exec(`INSERT INTO t VALUES (${i})`);
          seen.push(watch.version());
        }
        writer.exec('SELECT * FROM t');
        seen.push(watch.version());
        expect(new Set(seen.slice(0, 4)).size).toBe(4);
        expect(seen[4]).toBe(seen[3]);
      } finally {
        watch.close();
        writer.close();
      }
    });
  }

  it('is undefined for an in-memory store', () => {
    expect(sqliteVersion(':memory:')).toBeUndefined();
  });
});
