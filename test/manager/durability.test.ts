// No acknowledged report is lost: not when the manager is killed with SIGKILL mid-stream, and
// not when two manager processes write to one SQLite file side by side.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { type ManagerProcess, spawnManager } from '../support/process.ts';

const ADMIN = 'durability-admin';
const dir = mkdtempSync(join(tmpdir(), 'hairpin-durability-'));
const running: ManagerProcess[] = [];
afterAll(async () => {
  await Promise.all(running.map((m) => m.stop('SIGKILL')));
  rmSync(dir, { recursive: true, force: true });
});

async function start(db: string, port?: number) {
  const m = await spawnManager({ HAIRPIN_DB: db, HAIRPIN_ADMIN_TOKEN: ADMIN }, port);
  running.push(m);
  return m;
}

async function enrol(url: string, licence: string, node: string): Promise<string> {
  const res = await fetch(`${url}/v1/licences/${licence}/nodes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ node }),
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { credential: string }).credential;
}

/** The i-th report's address: unique per report, so the history proves each one landed. */
function address(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

async function send(url: string, node: string, credential: string, i: number): Promise<boolean> {
  try {
    const res = await fetch(`${url}/v1/licences/7000/nodes/${node}/addresses`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ privateIpv4: address(i), publicIpv4: '203.0.113.50' }),
    });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false; // connection refused or reset while the manager was down: not acknowledged
  }
}

async function serial(url: string): Promise<number> {
  const res = await fetch(`${url}/v1/licences/7000/nodes/nur7`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return ((await res.json()) as { serial: number }).serial;
}

function storedAddresses(db: string, node: string): Set<string> {
  const sqlite = new DatabaseSync(db, { readOnly: true });
  const rows = sqlite
    .prepare('SELECT new_private_ipv4 AS a FROM address_history WHERE licence = ? AND node = ?')
    .all('7000', node) as { a: string }[];
  sqlite.close();
  return new Set(rows.map((r) => r.a));
}

describe('durability', () => {
  it('keeps every acknowledged report across a SIGKILL and restart (1,000 reports)', async () => {
    const db = join(dir, 'kill.sqlite');
    let manager = await start(db);
    const credentials = await Promise.all([0, 1, 2, 3].map((n) => enrol(manager.url, '7000', `nur${n}`)));
    const acknowledged: { node: string; addr: string }[] = [];
    let next = 0;
    let killed = false;
    // Four concurrent reporters (one per node) so the kill lands while writes are in flight.
    const worker = async (n: number) => {
      while (next < 1000) {
        const i = next++;
        if (i === 500 && !killed) {
          killed = true;
          const port = manager.port;
          await manager.stop('SIGKILL');
          manager = await start(db, port);
        }
        // Like an agent, retry a report that got no answer, a bounded number of times.
        for (let attempt = 0; attempt < 100; attempt++) {
          if (await send(manager.url, `nur${n}`, credentials[n]!, i)) {
            acknowledged.push({ node: `nur${n}`, addr: address(i) });
            break;
          }
          await new Promise((r) => setTimeout(r, 50));
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(worker));
    expect(killed).toBe(true);
    expect(acknowledged.length).toBe(1000);
    for (const n of [0, 1, 2, 3]) {
      const stored = storedAddresses(db, `nur${n}`);
      const missing = acknowledged.filter((a) => a.node === `nur${n}` && !stored.has(a.addr));
      expect(missing, `nur${n}`).toEqual([]);
    }
    console.log(
      `durability: ${acknowledged.length} reports acknowledged across a SIGKILL at report 500; all of them stored`,
    );
  }, 120_000);

  it('lets two manager processes on one SQLite file take reports side by side', async () => {
    const db = join(dir, 'shared.sqlite');
    const [a, b] = [await start(db), await start(db)];
    const credential = await enrol(a.url, '7000', 'nur9');
    const other = await enrol(b.url, '7000', 'nur8');
    const results = await Promise.all(
      Array.from({ length: 400 }, (_, i) =>
        i % 2 === 0 ? send(a.url, 'nur9', credential, 2000 + i) : send(b.url, 'nur8', other, 2000 + i),
      ),
    );
    expect(results.filter((ok) => !ok)).toEqual([]);
    expect(storedAddresses(db, 'nur9').size).toBe(200);
    expect(storedAddresses(db, 'nur8').size).toBe(200);
  }, 120_000);

  it('keeps every report when two processes write the same node at once (and the zone serial)', async () => {
    const db = join(dir, 'same-node.sqlite');
    const [a, b] = [await start(db), await start(db)];
    const credential = await enrol(a.url, '7000', 'nur7');
    const serialBefore = await serial(a.url);
    const results = await Promise.all(
      Array.from({ length: 400 }, (_, i) => send(i % 2 === 0 ? a.url : b.url, 'nur7', credential, 5000 + i)),
    );
    expect(results.filter((ok) => !ok)).toEqual([]);
    // Every report changed the address: 400 history rows, and the serial moved once for each.
    expect(storedAddresses(db, 'nur7').size).toBe(400);
    expect(await serial(b.url)).toBe(serialBefore + 400);
  }, 120_000);
});
