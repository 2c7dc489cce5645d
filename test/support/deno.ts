// The Deno binary the `deno` npm package installs, and a vitest test that runs a portable test
// file under it: the same module, checked on a second runtime.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

export const root = fileURLToPath(new URL('../../', import.meta.url));
export const deno = `${root}node_modules/.bin/deno`;

/** True when Deno is installed; under CI its absence is an error (npm ci installs it). */
export function haveDeno(): boolean {
  const present = existsSync(deno);
  if (!present && process.env.CI) throw new Error(`deno is required in CI but ${deno} is missing (npm ci installs it)`);
  if (!present) console.warn(`skipping Deno tests: ${deno} is missing (run npm install)`);
  return present;
}

/** A test that runs `deno test <file>` and expects `passed` tests and no failure. */
export function denoTestFile(file: string, passed: number, flags: string[] = []): void {
  it.skipIf(!haveDeno())(`deno test ${flags.join(' ')} ${file} exits 0`, () => {
    const run = spawnSync(deno, ['test', '--allow-net', ...flags, '--no-check', '--quiet', file], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    });
    expect(run.error).toBeUndefined();
    expect(run.status, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`${passed} passed \\| 0 failed`));
  });
}
