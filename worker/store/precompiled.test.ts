import { DummyDriver, Kysely, SqliteAdapter, SqliteIntrospector, SqliteQueryCompiler } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../schema/database.ts';
import { precompile } from './precompiled.ts';

const db = new Kysely<Database>({
  dialect: {
    createAdapter: () => new SqliteAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (k) => new SqliteIntrospector(k),
    createQueryCompiler: () => new SqliteQueryCompiler(),
  },
});

describe('precompiled queries', () => {
  it('gives the SQL and parameters Kysely would build for the same values', () => {
    const build = (p: { licence: string; node: string }) =>
      db
        .selectFrom('nodes')
        .select('node')
        .where('licence', '=', p.licence)
        .where('created_at', '>', 5)
        .where('node', '=', p.node);
    const filled = precompile(build)({ licence: '1234', node: 'nur1' });
    const direct = build({ licence: '1234', node: 'nur1' }).compile();
    expect(filled.sql).toBe(direct.sql);
    expect(filled.parameters).toEqual(direct.parameters);
    expect(filled.parameters).toEqual(['1234', 5, 'nur1']);
  });
});
