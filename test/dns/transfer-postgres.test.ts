// AXFR from the Postgres store while reports keep changing the zone: every transfer is one
// consistent state (the serial in its SOA, and the addresses as of that serial).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DnsRecord, decodeMessage, encodeMessage, records } from '../../dns/message.ts';
import { transferHandler } from '../../worker/transfer/handler.ts';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { postgresBinDir, startPostgres, type TestPostgres } from '../support/postgres.ts';
import { waitUntil } from '../support/wait.ts';
import { allMessages } from './wire-client.ts';

const available = postgresBinDir() !== undefined;
if (!available && process.env.CI) throw new Error('CI needs postgresql (scripts/install-system-packages.sh)');

const NODES = 40;
const TRANSFERS = 15;

describe.skipIf(!available)('AXFR on Postgres under writes', () => {
  let pg: TestPostgres;
  let manager: TestManager;
  const credentials: string[] = [];
  beforeAll(async () => {
    pg = await startPostgres();
    manager = await startTestManager({ HAIRPIN_DB: pg.url });
    for (let i = 0; i < NODES; i++) credentials.push(await manager.enrol('4321', `nur${i}`));
  }, 60_000);
  afterAll(async () => {
    await manager?.close();
    await pg?.stop();
  });

  it('every transfer is one state of the zone: n reports in, the serial says n', async () => {
    const handler = transferHandler({
      config: manager.config,
      store: manager.store,
      zone: manager.zone,
      transfer: { secondaries: [{ address: '127.0.0.1', port: 53 }], key: undefined },
    });
    const base = await manager.store.serial();
    // Report k (k = 1, 2, …) gives node k % NODES the address 10.0.<k>; the serial moves by one each.
    let sent = 0;
    let writing = true;
    const writer = (async () => {
      while (writing && sent < 2_000) {
        const k = ++sent;
        await manager.report('4321', `nur${k % NODES}`, credentials[k % NODES]!, {
          privateIpv4: `10.0.${k >> 8}.${k & 255}`,
        });
      }
    })();
    try {
      for (let t = 0; t < TRANSFERS; t++) {
        // Each transfer starts with reports in flight and new ones since the last.
        const seen = sent;
        await waitUntil(() => sent > seen + 2, { everyMs: 5, timeout: () => 'the writer stalled' });
        const query = encodeMessage({
          id: t,
          type: 'query',
          questions: [{ name: 'example.test', type: 'AXFR', class: 'IN' }],
        });
        const out = await handler(decodeMessage(query), { transport: 'tcp', peer: '127.0.0.1', raw: query });
        const rs: DnsRecord[] = (await allMessages(out)).flatMap((w) => records(decodeMessage(w).answers));
        const soa = rs[0];
        expect(soa?.type).toBe('SOA');
        const n = (soa as unknown as { data: { serial: number } }).data.serial - base;
        // As of report n, node i holds the address of the last k <= n with k % NODES === i.
        for (let i = 0; i < NODES; i++) {
          const last = n - ((((n - i) % NODES) + NODES) % NODES);
          const want = last >= 1 ? [`10.0.${last >> 8}.${last & 255}`] : [];
          const got = rs
            .filter((r) => r.type === 'A' && r.name === `i-nur${i}.pl-4321.example.test`)
            .map((r) => String(r.data));
          expect(got, `transfer ${t} at report ${n}, node ${i}`).toEqual(want);
        }
      }
    } finally {
      writing = false;
      await writer;
    }
    expect(sent).toBeGreaterThan(3 * TRANSFERS);
  }, 120_000);
});
