// The response cache on Postgres, where no counter tells of another process's commit: the zone
// watch polls the journal. Two manager processes on one database: a report written through one
// is answered by the other's port 53 within a bounded time (the poll is 100 ms; the bound here is
// loose for a loaded machine), and one written through the same manager at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { records } from '../../dns/message.ts';
import { ADMIN_TOKEN, startTestManager, type TestManager } from '../support/manager.ts';
import { postgresBinDir, startPostgres, type TestPostgres } from '../support/postgres.ts';
import { type ManagerProcess, spawnManager } from '../support/process.ts';
import { waitUntil } from '../support/wait.ts';
import { query, udpAsk } from './wire-client.ts';

const available = postgresBinDir() !== undefined;
if (!available && process.env.CI) throw new Error('CI needs postgresql (scripts/install-system-packages.sh)');

describe.skipIf(!available)('response cache on Postgres shared by two manager processes', () => {
  let pg: TestPostgres;
  let manager: TestManager;
  let other: ManagerProcess;
  beforeAll(async () => {
    pg = await startPostgres();
    manager = await startTestManager({ HAIRPIN_DB: pg.url });
    other = await spawnManager({ HAIRPIN_DB: pg.url, HAIRPIN_ADMIN_TOKEN: ADMIN_TOKEN });
  }, 60_000);
  afterAll(async () => {
    await manager?.close();
    await other?.stop();
    await pg?.stop();
  });

  const answer = async (name: string) =>
    records((await udpAsk(manager.dns.udpPort, query(name, 'A')))?.answers).map((r) => String(r.data));

  it("answers another process's report within a bounded time, and its own at once", async () => {
    const credential = await manager.enrol('66', 'nur1');
    const name = 'i-nur1.pl-66.example.test';
    await manager.report('66', 'nur1', credential, { privateIpv4: '10.6.6.1' });
    // Twice: the second from the cache.
    for (let k = 0; k < 2; k++) expect(await answer(name)).toEqual(['10.6.6.1']);

    const put = await fetch(`${other.url}/v1/licences/66/nodes/nur1/addresses`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ privateIpv4: '10.6.6.2' }),
    });
    expect(put.status).toBe(200);
    await waitUntil(async () => (await answer(name))[0] === '10.6.6.2', {
      timeoutMs: 10_000,
      everyMs: 20,
      timeout: () => 'the other process’s report was not answered within 10 s',
    });

    await manager.report('66', 'nur1', credential, { privateIpv4: '10.6.6.3' });
    for (let k = 0; k < 2; k++) expect(await answer(name)).toEqual(['10.6.6.3']);
  });
});
