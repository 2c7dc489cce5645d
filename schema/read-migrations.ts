// Reads the migration files from disk (Node and Deno); Workers get them through
// `wrangler d1 migrations apply` or the test pool's readD1Migrations instead.
import { readdir, readFile } from 'node:fs/promises';
import type { Migration } from './migrations.ts';

const dir = new URL('./migrations/', import.meta.url);

export async function readMigrations(): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql')).sort();
  return Promise.all(files.map(async (name) => ({ name, sql: await readFile(new URL(name, dir), 'utf8') })));
}
