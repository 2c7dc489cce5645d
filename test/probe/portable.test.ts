// The probe's portable core under Deno: runs probe/portable.deno.ts and expects every test to pass.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const deno = `${root}node_modules/.bin/deno`;
const missing = !existsSync(deno);
if (missing && process.env.CI) throw new Error(`deno is required in CI but ${deno} is missing (npm ci installs it)`);

describe('probe core under Deno', () => {
  it.skipIf(missing)('deno test --unstable-net probe/portable.deno.ts exits 0', () => {
    const run = spawnSync(deno, ['test', '--allow-net', '--unstable-net', '--no-check', '--quiet', 'probe/portable.deno.ts'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    });
    expect(run.error).toBeUndefined();
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/4 passed \| 0 failed/);
  });
});
