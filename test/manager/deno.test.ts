// The Deno entry starts on the same code and gives the same DoH answers as the Node entry, on
// one shared SQLite file.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deno, haveDeno, root } from '../support/deno.ts';
import { ADMIN_TOKEN, startTestManager, type TestManager } from '../support/manager.ts';
import { freePort } from '../support/net.ts';
import { base64url, query } from './api-suite.ts';

const have = haveDeno();

describe.skipIf(!have)('manager on Deno', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hairpin-deno-'));
  const db = join(dir, 'hairpin.sqlite');
  let node: TestManager;
  let child: ChildProcess;
  let denoUrl: string;

  beforeAll(async () => {
    node = await startTestManager({ HAIRPIN_DB: db });
    const credential = await node.enrol('1234', 'nur1');
    await node.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.3', publicIpv4: '203.0.113.7' });
    const port = await freePort();
    denoUrl = `http://127.0.0.1:${port}`;
    child = spawn(
      deno,
      [
        'run',
        '--allow-net',
        '--allow-read',
        '--allow-write',
        '--allow-env',
        '--allow-ffi',
        'worker/adapter/deno/index.ts',
      ],
      {
        cwd: root,
        env: {
          ...process.env,
          HAIRPIN_DB: db,
          HAIRPIN_HTTP_PORT: String(port),
          HAIRPIN_ADMIN_TOKEN: ADMIN_TOKEN,
          DENO_NO_UPDATE_CHECK: '1',
        },
        stdio: 'ignore',
      },
    );
    const deadline = Date.now() + 45_000;
    while (
      !(await fetch(`${denoUrl}/healthz`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error('the Deno entry did not start');
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 60_000);
  afterAll(async () => {
    child?.kill('SIGKILL');
    await node?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('gives byte-identical DoH answers to the Node entry', async () => {
    for (const [name, type] of [
      ['i-nur1.pl-1234.example.test', 'A'],
      ['nur1.pl-1234.example.test', 'A'],
      ['nope.pl-1234.example.test', 'A'],
      ['example.test', 'SOA'],
      ['example.com', 'A'],
    ] as const) {
      const dns = base64url(query(name, type));
      const [fromNode, fromDeno] = await Promise.all(
        [node.url, denoUrl].map(
          async (url) => new Uint8Array(await (await fetch(`${url}/dns-query?dns=${dns}`)).arrayBuffer()),
        ),
      );
      expect(Buffer.from(fromDeno!).toString('hex'), `${name} ${type}`).toBe(Buffer.from(fromNode!).toString('hex'));
    }
  });
});
