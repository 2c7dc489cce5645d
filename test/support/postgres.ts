// A throwaway PostgreSQL server from Debian's packages: initdb in a temp dir, loopback only,
// run as the postgres user (the server refuses root), removed afterwards.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './net.ts';
import { waitUntil } from './wait.ts';

export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0];
  return version ? join(root, version, 'bin') : undefined;
}

export interface TestPostgres {
  url: string;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'hairpin-pg-'));
  const asPostgres = process.getuid?.() === 0 ? ['runuser', '-u', 'postgres', '--'] : [];
  if (asPostgres.length)
    chownSync(
      dir,
      Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })),
      Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })),
    );
  const run = (cmd: string, args: string[]) =>
    execFileSync(asPostgres[0] ?? cmd, [...asPostgres.slice(1), ...(asPostgres.length ? [cmd] : []), ...args], {
      stdio: 'pipe',
    });
  run(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const port = await freePort();
  const args = ['-D', join(dir, 'data'), '-p', String(port), '-h', '127.0.0.1', '-k', dir, '-c', 'fsync=off'];
  const child: ChildProcess = spawn(
    asPostgres[0] ?? join(bin, 'postgres'),
    [...asPostgres.slice(1), ...(asPostgres.length ? [join(bin, 'postgres')] : []), ...args],
    { stdio: 'ignore' },
  );
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const pgIsReady = () => {
    if (child.exitCode !== null) throw new Error('PostgreSQL did not start');
    try {
      execFileSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  await waitUntil(pgIsReady, { everyMs: 200, timeout: () => 'PostgreSQL did not start' });
  return {
    url,
    async stop() {
      // runuser does not pass signals on; pg_ctl talks to the postmaster itself.
      const exited = new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      run(join(bin, 'pg_ctl'), ['-D', join(dir, 'data'), 'stop', '-m', 'fast', '-w']);
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
