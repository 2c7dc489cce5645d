// AXFR streamed from a snapshot of a SQLite file (RFC 5936 §2.2, §6): a real kdig receives the
// whole zone; the store is read page by page as the client takes messages, so a transfer held
// midway holds one page, other questions are answered meanwhile, a client that goes releases the
// snapshot, and reports written during a transfer do not reach it.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, records } from '../../dns/message.ts';
import { FrameReader, frameTcp } from '../../dns/tcp-frame.ts';
import { type RunningDns, startDnsServer } from '../../worker/dns-server/server.ts';
import { type OpenSnapshot, Store } from '../../worker/store/store.ts';
import { transferHandler } from '../../worker/transfer/handler.ts';
import type { DnsHandler } from '../../worker/zone/handler.ts';
import { LISTING_PAGE, listZoneRecords } from '../../worker/zone/zone-file.ts';
import { addReportedNodes, licenceOf } from '../support/bulk-nodes.ts';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { haveSystemPrograms } from '../support/system.ts';
import { waitUntil } from '../support/wait.ts';
import { allMessages, query, udpAsk } from './wire-client.ts';

const NODES = 5_000;
const run = promisify(execFile);
const AXFR = encodeMessage({ id: 5, type: 'query', questions: [{ name: 'example.test', type: 'AXFR', class: 'IN' }] });

describe.skipIf(!haveSystemPrograms('kdig'))('AXFR streamed from a SQLite snapshot', () => {
  let dir: string;
  let manager: TestManager;
  let handler: DnsHandler;
  let dns: RunningDns;
  const counts = { open: 0, pages: 0 };
  const transfer = async () => {
    const messages = await handler(decodeMessage(AXFR), { transport: 'tcp', peer: '127.0.0.1', raw: AXFR });
    return (messages as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hairpin-axfr-'));
    manager = await startTestManager({ HAIRPIN_DB: join(dir, 'hairpin.sqlite') });
    await addReportedNodes(manager.store, NODES);
    // The manager's own snapshot (a second SQLite connection), counted: open ones and pages read.
    const inner = manager.store.snapshot;
    const counted: OpenSnapshot = async () => {
      const snapshot = await inner();
      counts.open++;
      return {
        reads: {
          serial: () => snapshot.reads.serial(),
          allAcmeChallenges: () => snapshot.reads.allAcmeChallenges(),
          nodePage: (after, limit) => {
            counts.pages++;
            return snapshot.reads.nodePage(after, limit);
          },
        },
        release: async () => {
          counts.open--;
          await snapshot.release();
        },
      };
    };
    handler = transferHandler({
      config: manager.config,
      store: new Store(manager.store.db, manager.store.batch, counted),
      zone: manager.zone,
      transfer: { secondaries: [{ address: '127.0.0.1', port: 53 }], key: undefined },
    });
    dns = await startDnsServer({ zone: manager.zone, host: '127.0.0.1', port: 0, handlers: [handler] });
  }, 60_000);
  afterAll(async () => {
    await dns?.close();
    await manager?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('kdig receives the whole zone, SOA first and last, and the snapshot is released', async () => {
    const { stdout } = await run('kdig', ['@127.0.0.1', '-p', String(dns.tcpPort), 'example.test', 'AXFR'], {
      maxBuffer: 1 << 26,
    });
    const lines = stdout.split('\n').filter((l) => l && !l.startsWith(';'));
    const expected = await listZoneRecords(manager.config, manager.store);
    // One line per record, the SOA twice; several records to a message.
    expect(lines).toHaveLength(expected.length + 1);
    expect(lines[0]).toMatch(/\tSOA\t/);
    expect(lines.at(-1)).toBe(lines[0]);
    // The same owner and type for every record (kdig writes the data in its own presentation).
    const got = lines.slice(1).map((l) => {
      const [owner, , , type] = l.split(/\s+/);
      return `${owner!.toLowerCase()} ${type}`;
    });
    expect(got.sort()).toEqual(expected.map((r) => `${r.name.toLowerCase()}. ${r.type}`).sort());
    const messages = Number(/\((\d+) messages, (\d+) records\)/.exec(stdout)?.[1]);
    expect(messages).toBeGreaterThan(1);
    expect(messages).toBeLessThan(expected.length / 20);
    expect(counts.open).toBe(0);
  });

  it('reads the store as the client takes messages: held midway, one page read and questions answered', async () => {
    const pagesBefore = counts.pages;
    const stream = await transfer();
    expect((await stream.next()).done).toBe(false);
    expect(counts.open).toBe(1);
    // The first message needs the first page of nodes, not the whole zone (NODES / LISTING_PAGE pages).
    expect(counts.pages - pagesBefore).toBeLessThanOrEqual(2);
    expect(NODES / LISTING_PAGE).toBeGreaterThan(5);
    const answer = await udpAsk(dns.udpPort, query(`i-nur7.pl-${licenceOf(7)}.example.test`, 'A'));
    expect(records(answer?.answers).map((r) => r.data)).toEqual(['10.0.0.7']);
    // The client going (the transport ends the stream) releases the snapshot.
    await stream.return?.(undefined);
    expect(counts.open).toBe(0);
  });

  it('is one version of the zone: a report written during the transfer is not in it', async () => {
    const before = await manager.store.serial();
    const stream = await transfer();
    const first = await stream.next();
    const late = await manager.enrol(licenceOf(NODES - 1), 'late');
    await manager.report(licenceOf(NODES - 1), 'late', late, { privateIpv4: '10.77.0.2' });
    expect(await manager.store.serial()).toBe(before + 2);
    const rest: Uint8Array[] = [first.value as Uint8Array];
    for (let m = await stream.next(); !m.done; m = await stream.next()) rest.push(m.value);
    const rs = rest.flatMap((m) => records(decodeMessage(m).answers));
    expect(rs[0]).toMatchObject({ type: 'SOA', data: { serial: before } });
    expect(rs.at(-1)).toMatchObject({ type: 'SOA', data: { serial: before } });
    expect(rs.some((r) => r.name.startsWith('i-late.'))).toBe(false);
    expect(counts.open).toBe(0);
    // The next transfer has it.
    const next = (
      await allMessages(await handler(decodeMessage(AXFR), { transport: 'tcp', peer: '127.0.0.1', raw: AXFR }))
    ).flatMap((m) => records(decodeMessage(m).answers));
    expect(next.some((r) => r.name.startsWith('i-late.') && r.type === 'A' && r.data === '10.77.0.2')).toBe(true);
  });

  it('a TCP client that goes midway ends the stream and releases the snapshot', async () => {
    const socket = connect(dns.tcpPort, '127.0.0.1');
    const frames = new FrameReader();
    let got = 0;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      frames.push(chunk);
      while (frames.next()) got++;
    });
    // Paused from the first message on: the server fills the socket buffers and waits.
    socket.write(frameTcp(AXFR));
    await waitUntil(() => got > 0, { everyMs: 10, timeout: () => 'no transfer message arrived' });
    socket.destroy();
    await waitUntil(() => counts.open === 0, { everyMs: 10, timeout: () => 'the snapshot was not released' });
  });
});
