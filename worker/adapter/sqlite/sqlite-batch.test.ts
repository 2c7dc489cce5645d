import { DatabaseSync } from 'node:sqlite';
import { CompiledQuery } from 'kysely';
import { describe, expect, it } from 'vitest';
import { sqliteBatch } from './sqlite-batch.ts';

/** An in-memory database whose COMMITs are counted. */
function database() {
  const db = new DatabaseSync(':memory:');
  db.exec('PRAGMA foreign_keys = ON');
  db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  db.exec('CREATE TABLE child (id INTEGER PRIMARY KEY, t_id INTEGER REFERENCES t(id) DEFERRABLE INITIALLY DEFERRED)');
  const commits = { count: 0 };
  const counted = new Proxy(db, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (key === 'exec') {
        return (sql: string) => {
          if (sql === 'COMMIT') commits.count++;
          return target.exec(sql);
        };
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const rows = () => db.prepare('SELECT id, v FROM t ORDER BY id').all();
  return { batch: sqliteBatch(counted), commits, rows };
}

const insert = (id: number, v: string) => CompiledQuery.raw('INSERT INTO t (id, v) VALUES (?, ?)', [id, v]);

describe('sqliteBatch (group commit)', () => {
  it('commits the batches of one turn together; a failing batch rolls back alone', async () => {
    const { batch, commits, rows } = database();
    const outcomes = await Promise.allSettled([
      batch([insert(1, 'a')]),
      batch([insert(2, 'b'), insert(1, 'duplicate')]),
      batch([insert(3, 'c'), CompiledQuery.raw('SELECT count(*) AS n FROM t')]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed/);
    // The third batch sees the first one's row, not the second's rolled-back one.
    expect((outcomes[2] as PromiseFulfilledResult<{ rows: unknown[] }[]>).value[1]!.rows).toEqual([{ n: 2 }]);
    expect(rows()).toEqual([
      { id: 1, v: 'a' },
      { id: 3, v: 'c' },
    ]);
    expect(commits.count).toBe(1);
  });

  it('answers a batch after the group it joined is committed, and bounds the group size', async () => {
    const { batch, commits, rows } = database();
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => batch([insert(i + 1, `v${i}`)])));
    expect(results).toHaveLength(300);
    expect(rows()).toHaveLength(300);
    expect(commits.count).toBe(3);
    await batch([insert(1000, 'later')]);
    expect(commits.count).toBe(4);
  });

  it('fails every batch of the group when the COMMIT itself fails, and stores none of them', async () => {
    const { batch, rows } = database();
    // A deferred foreign key is only checked at COMMIT.
    const outcomes = await Promise.allSettled([
      batch([insert(1, 'a')]),
      batch([CompiledQuery.raw('INSERT INTO child (id, t_id) VALUES (1, 99)')]),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
    expect(String((outcomes[0] as PromiseRejectedResult).reason)).toMatch(/FOREIGN KEY constraint failed/);
    expect(rows()).toEqual([]);
    // The connection is usable afterwards.
    await batch([insert(2, 'b')]);
    expect(rows()).toEqual([{ id: 2, v: 'b' }]);
  });
});

describe('sqliteBatch under load', () => {
  it('drops unrun the batches whose caller went away while they waited, and counts what waits', async () => {
    const { batch, rows } = database();
    const gone = new AbortController();
    const kept = batch([insert(1, 'kept')]);
    const dropped = batch([insert(2, 'dropped')], gone.signal);
    expect(batch.queued).toBe(2);
    gone.abort(new Error('client went away'));
    await expect(dropped).rejects.toThrow('client went away');
    await kept;
    expect(batch.queued).toBe(0);
    expect(rows()).toEqual([{ id: 1, v: 'kept' }]);
    await expect(batch([insert(3, 'late')], gone.signal)).rejects.toThrow('client went away');
  });
});
