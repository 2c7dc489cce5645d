// Applies ./migrations/*.sql in order on SQLite and Postgres, recording each in
// hairpin_migrations. On D1 the same files go through `wrangler d1 migrations apply`, which keeps
// its own d1_migrations table.
import { type Kysely, sql } from 'kysely';

export interface Migration {
  name: string;
  sql: string;
}

/** Split a migration file into statements (our migrations keep `;` out of strings and bodies). */
export function splitStatements(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * Apply every migration not yet recorded, each inside its own transaction.
 *
 * ```ts
 * await migrate(db, await readMigrations());
 * ```
 */
// biome-ignore lint/suspicious/noExplicitAny: migrations run before the schema they create exists
export async function migrate(db: Kysely<any>, migrations: Migration[]): Promise<string[]> {
  await sql`CREATE TABLE IF NOT EXISTS hairpin_migrations (
    id TEXT PRIMARY KEY, name TEXT UNIQUE, applied_at TEXT NOT NULL)`.execute(db);
  const applied: string[] = [];
  for (const m of migrations) {
    // Checked inside the transaction: two managers starting on one database must not both apply.
    await db.transaction().execute(async (trx) => {
      const done = await sql`SELECT 1 FROM hairpin_migrations WHERE name = ${m.name}`.execute(trx);
      if (done.rows.length > 0) return;
      for (const statement of splitStatements(m.sql)) await sql.raw(statement).execute(trx);
      await sql`INSERT INTO hairpin_migrations (id, name, applied_at)
        VALUES (${m.name}, ${m.name}, ${new Date().toISOString()})`.execute(trx);
      applied.push(m.name);
    });
  }
  return applied;
}
