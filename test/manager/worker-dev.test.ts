// `npm run worker:dev` on a fresh clone (no .dev.vars, no local D1 state): wrangler dev on a free
// loopback port answers /healthz and an enrolment with the documented local admin token, offline.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/net.ts';
import { which } from '../support/system.ts';
import { waitUntil } from '../support/wait.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const isCheckout = (() => {
  try {
    return (
      which('git') !== undefined &&
      execFileSync('git', ['-C', root, 'rev-parse', '--is-inside-work-tree'], { encoding: 'utf8' }).trim() === 'true'
    );
  } catch {
    return false;
  }
})();
if (!isCheckout) console.warn('skipping: npm run worker:dev needs a git checkout to clone fresh');

describe.skipIf(!isCheckout)('npm run worker:dev on a fresh clone', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hairpin-worker-dev-'));
  let stop: (() => Promise<void>) | undefined;
  afterAll(async () => {
    await stop?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers /healthz and an enrolment with the local token from .dev.vars.example', async () => {
    const clone = join(dir, 'hairpin');
    execFileSync('git', ['clone', '--quiet', '--shared', root, clone]);
    symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'));
    const port = await freePort();
    // Its own process group, so that wrangler's workerd children end with it.
    const child = spawn(
      'npm',
      [
        'run',
        '-s',
        'worker:dev',
        '--',
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--show-interactive-dev-session=false',
      ],
      {
        cwd: clone,
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, CI: 'true' },
      },
    );
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    stop = async () => {
      if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGTERM');
      await exited;
    };
    const url = `http://127.0.0.1:${port}`;
    await waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`worker:dev exited: ${output}`);
        return fetch(`${url}/healthz`).then(
          (r) => r.status === 200,
          () => false,
        );
      },
      { timeoutMs: 120_000, everyMs: 500, timeout: () => `worker:dev did not answer /healthz: ${output}` },
    );
    expect(await (await fetch(`${url}/healthz`)).json()).toMatchObject({ status: 'ok', zone: 'example.test' });
    const enrolled = await fetch(`${url}/v1/licences/1234/nodes`, {
      method: 'POST',
      headers: { authorization: 'Bearer dev-admin-token', 'content-type': 'application/json' },
      body: JSON.stringify({ node: 'nur1' }),
    });
    expect(enrolled.status, await enrolled.clone().text()).toBe(201);
    expect(await enrolled.json()).toMatchObject({
      names: { external: 'nur1.pl-1234.example.test' },
      credential: expect.stringMatching(/^hpn_/),
    });
    expect(output).toContain('made .dev.vars from .dev.vars.example');
    expect(output).not.toContain('ENOTFOUND');
  }, 180_000);
});
