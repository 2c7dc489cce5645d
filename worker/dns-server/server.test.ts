import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DnsMessage,
  decodeMessage,
  encodeMessage,
  FLAG_AA,
  FLAG_RA,
  FLAG_TC,
  headerRcode,
  records,
} from '../../dns/message.ts';
import { Rcode } from '../../dns/rcode.ts';
import { framed, query, tcpAsk, tcpExchange, udpAsk, udpExchange } from '../../test/dns/wire-client.ts';
import { ADMIN_TOKEN, startTestManager, type TestManager } from '../../test/support/manager.ts';
import { metricSample } from '../../test/support/metrics.ts';
import { type ManagerProcess, spawnManager } from '../../test/support/process.ts';
import type { DnsHandler } from '../zone/handler.ts';
import { type RunningDns, startDnsServer } from './server.ts';

// Enough name servers with glue that the NS answer (names compressed) outgrows 512 bytes but fits 1232.
const NS_COUNT = 24;
const MANY_NS = Array.from({ length: NS_COUNT }, (_, i) => `ns${i}.example.test=192.0.2.${i + 1}`).join(' ');

const answersOf = (m: DnsMessage | undefined) => records(m?.answers).map((r) => `${r.type} ${String(r.data)}`);

describe('built-in DNS server', () => {
  let manager: TestManager;
  let port: number;
  beforeAll(async () => {
    manager = await startTestManager({ HAIRPIN_NAMESERVERS: MANY_NS });
    port = manager.dns.udpPort;
    const credential = await manager.enrol('1234', 'nur1');
    await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.3', publicIpv4: '192.0.2.7' });
  });
  afterAll(async () => manager?.close());

  it('listens on one port for UDP and TCP', () => {
    expect(manager.dns.tcpPort).toBe(port);
  });

  it('answers the internal and external names over UDP and TCP, authoritatively, without recursion', async () => {
    for (const ask of [udpAsk, tcpAsk]) {
      const internal = await ask(port, query('i-nur1.pl-1234.example.test', 'A', 1232));
      expect(answersOf(internal)).toEqual(['A 10.1.2.3']);
      expect(internal!.flags! & FLAG_AA).toBe(FLAG_AA);
      expect(internal!.flags! & FLAG_RA).toBe(0);
      expect(answersOf(await ask(port, query('NUR1.pl-1234.example.test', 'A')))).toEqual(['A 192.0.2.7']);
    }
  });

  it('shows a report in the very next answer', async () => {
    const credential = await manager.enrol('1234', 'nur2');
    expect(headerRcode((await udpAsk(port, query('i-nur2.pl-1234.example.test', 'A')))!)).toBe(Rcode.NOERROR);
    for (const address of ['10.9.0.1', '10.9.0.2', '10.9.0.3']) {
      await manager.report('1234', 'nur2', credential, { privateIpv4: address });
      expect(answersOf(await udpAsk(port, query('i-nur2.pl-1234.example.test', 'A')))).toEqual([`A ${address}`]);
    }
  });

  it('refuses names outside the zone', async () => {
    const refused = await udpAsk(port, query('example.com', 'A'));
    expect(headerRcode(refused!)).toBe(Rcode.REFUSED);
    expect(refused!.flags! & FLAG_AA).toBe(0);
  });

  it('truncates over UDP at 512 bytes without EDNS, at min(advertised, 1232) with it, and not over TCP', async () => {
    const plain = await udpAsk(port, query('example.test', 'NS'));
    expect(plain!.flags! & FLAG_TC).toBe(FLAG_TC);
    expect(plain!.answers).toEqual([]);
    // An advertised size under 512 counts as 512 (RFC 6891 §6.2.5).
    expect((await udpAsk(port, query('example.test', 'NS', 300)))!.flags! & FLAG_TC).toBe(FLAG_TC);
    const edns = await udpAsk(port, query('example.test', 'NS', 4096));
    expect(edns!.flags! & FLAG_TC).toBe(0);
    expect(answersOf(edns)).toHaveLength(NS_COUNT);
    const tcp = await tcpAsk(port, query('example.test', 'NS'));
    expect(tcp!.flags! & FLAG_TC).toBe(0);
    expect(records(tcp!.additionals)).toHaveLength(NS_COUNT);
  });

  it('answers FORMERR to garbage behind a header, and nothing to runts or responses', async () => {
    const garbage = new Uint8Array([0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0x40, 1, 2, 3]);
    const formErr = await udpExchange(port, garbage);
    expect(formErr && [formErr[0], formErr[1], formErr[3]! & 0x0f]).toEqual([0xab, 0xcd, Rcode.FORMERR]);
    expect(await udpExchange(port, new Uint8Array([1, 2, 3, 4, 5]), 300)).toBeUndefined();
    const response = encodeMessage({ ...query('example.test', 'SOA'), type: 'response' });
    expect(await udpExchange(port, response, 300)).toBeUndefined();
    expect(answersOf(await udpAsk(port, query('i-nur1.pl-1234.example.test', 'A')))).toEqual(['A 10.1.2.3']);
  });

  it('answers pipelined TCP queries on one connection, each with its ID', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => 1000 + i);
    const payload = framed(
      ...ids.map((id) =>
        encodeMessage(query(id % 2 ? 'i-nur1.pl-1234.example.test' : 'example.test', 'A', undefined, id)),
      ),
    );
    const answers = (await tcpExchange(port, payload, ids.length)).map(decodeMessage);
    expect(answers.map((m) => m.id).sort()).toEqual(ids);
  });

  it("sends all of a handler's messages over TCP and only the first over UDP", async () => {
    const stream: DnsHandler = async (q) =>
      q.questions?.[0]?.type === 'AXFR'
        ? [1, 2, 3].map((i) => encodeMessage({ ...q, type: 'response', id: q.id ?? 0, flags: i }))
        : undefined;
    const dns = await startDnsServer({ zone: manager.zone, host: '127.0.0.1', port: 0, handlers: [stream] });
    try {
      const axfr = encodeMessage(query('example.test', 'AXFR'));
      expect(await tcpExchange(dns.tcpPort, framed(axfr), 3)).toHaveLength(3);
      expect(await udpExchange(dns.udpPort, axfr)).toBeDefined();
      expect(answersOf(await udpAsk(dns.udpPort, query('i-nur1.pl-1234.example.test', 'A')))).toEqual(['A 10.1.2.3']);
    } finally {
      await dns.close();
    }
  });

  describe('TCP bounds', () => {
    let dns: RunningDns;
    beforeAll(async () => {
      dns = await startDnsServer({
        zone: manager.zone,
        host: '127.0.0.1',
        port: 0,
        limits: { idleTimeoutMs: 300, maxConnections: 2, maxInFlightPerConnection: 2 },
      });
    });
    afterAll(async () => dns?.close());

    const closedWithin = (ms: number, open: () => ReturnType<typeof connect>) =>
      new Promise<boolean>((resolve) => {
        const socket = open();
        const timer = setTimeout(() => {
          socket.destroy();
          resolve(false);
        }, ms);
        socket.on('close', () => {
          clearTimeout(timer);
          resolve(true);
        });
        socket.on('error', () => {});
      });

    it('closes an idle connection', async () => {
      expect(await closedWithin(3000, () => connect(dns.tcpPort, '127.0.0.1'))).toBe(true);
    });

    it('still answers every pipelined query with a small in-flight bound', async () => {
      const ids = Array.from({ length: 20 }, (_, i) => i + 1);
      const answers = await tcpExchange(
        dns.tcpPort,
        framed(...ids.map((id) => encodeMessage(query('example.test', 'SOA', undefined, id)))),
        ids.length,
      );
      expect(answers).toHaveLength(ids.length);
    });

    it('refuses connections past the maximum', async () => {
      const held = [connect(dns.tcpPort, '127.0.0.1'), connect(dns.tcpPort, '127.0.0.1')];
      await Promise.all(held.map((s) => new Promise((r) => s.on('connect', r))));
      try {
        expect(await closedWithin(2000, () => connect(dns.tcpPort, '127.0.0.1'))).toBe(true);
      } finally {
        for (const s of held) s.destroy();
      }
    });
  });
});

describe('response cache on a SQLite file shared by two managers', () => {
  let dir: string;
  let a: TestManager;
  let b: TestManager;
  let other: ManagerProcess;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hairpin-dns-'));
    const db = join(dir, 'hairpin.sqlite');
    a = await startTestManager({ HAIRPIN_DB: db });
    b = await startTestManager({ HAIRPIN_DB: db });
    other = await spawnManager({ HAIRPIN_DB: db, HAIRPIN_ADMIN_TOKEN: ADMIN_TOKEN });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await other?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('answers a report made through another manager process at once', async () => {
    const json = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    const enrolled = await fetch(`${other.url}/v1/licences/88/nodes`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ node: 'nur1' }),
    });
    const { credential } = (await enrolled.json()) as { credential: string };
    for (let i = 1; i <= 5; i++) {
      const res = await fetch(`${other.url}/v1/licences/88/nodes/nur1/addresses`, {
        method: 'PUT',
        headers: { ...json, authorization: `Bearer ${credential}` },
        body: JSON.stringify({ privateIpv4: `10.8.8.${i}` }),
      });
      expect(res.status).toBe(200);
      for (let k = 0; k < 2; k++)
        expect(answersOf(await udpAsk(a.dns.udpPort, query('i-nur1.pl-88.example.test', 'A')))).toEqual([
          `A 10.8.8.${i}`,
        ]);
    }
  });

  it('answers a write made through either manager at once', async () => {
    const credential = await b.enrol('77', 'nur1');
    const name = 'i-nur1.pl-77.example.test';
    for (let i = 1; i <= 5; i++) {
      const writer = i % 2 ? b : a;
      await writer.report('77', 'nur1', credential, { privateIpv4: `10.7.7.${i}` });
      for (const reader of [a, b]) {
        // Twice each: the second is served from the cache, and must be just as fresh.
        for (let k = 0; k < 2; k++)
          expect(answersOf(await udpAsk(reader.dns.udpPort, query(name, 'A')))).toEqual([`A 10.7.7.${i}`]);
      }
    }
  });
});

describe('a report drops only its own names from the response cache', () => {
  const hits = (m: TestManager) => metricSample(m.metrics.render(), 'hairpin_dns_cache_hits_total{transport="udp"}');

  // A SQLite file (the wal-index counter tells of every commit) and ':memory:' (the route tells).
  for (const where of ['file', 'memory'] as const) {
    it(`on ${where === 'file' ? 'a SQLite file' : "':memory:'"}`, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'hairpin-dns-'));
      // One DNS thread: each has a cache of its own, and the hits counted here must meet one.
      const manager = await startTestManager(
        where === 'file' ? { HAIRPIN_DB: join(dir, 'hairpin.sqlite'), HAIRPIN_DNS_WORKERS: '1' } : {},
      );
      try {
        const port = manager.dns.udpPort;
        const one = await manager.enrol('1234', 'nur1');
        const two = await manager.enrol('1234', 'nur2');
        await manager.report('1234', 'nur1', one, { privateIpv4: '10.0.0.1' });
        await manager.report('1234', 'nur2', two, { privateIpv4: '10.0.0.2' });
        const ask = async (node: string) => answersOf(await udpAsk(port, query(`i-${node}.pl-1234.example.test`, 'A')));
        for (const node of ['nur1', 'nur2', 'nur1', 'nur2']) await ask(node);
        // Unchanged reports leave every cached answer in place.
        await manager.report('1234', 'nur2', two, { privateIpv4: '10.0.0.2' });
        let before = hits(manager);
        expect(await ask('nur2')).toEqual(['A 10.0.0.2']);
        expect(hits(manager)).toBe(before + 1);
        await manager.report('1234', 'nur1', one, { privateIpv4: '10.0.0.11' });
        before = hits(manager);
        expect(await ask('nur2')).toEqual(['A 10.0.0.2']);
        expect(hits(manager)).toBe(before + 1);
        expect(await ask('nur1')).toEqual(['A 10.0.0.11']);
        expect(hits(manager)).toBe(before + 1);
        expect(await ask('nur1')).toEqual(['A 10.0.0.11']);
        expect(hits(manager)).toBe(before + 2);
      } finally {
        await manager.close();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
