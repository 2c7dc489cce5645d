// The same records served by Knot (from the zone file toZoneFile writes) and by the built-in
// server, asked the same questions: rcode, AA, the answer RRset and whether the SOA is in the
// authority section must agree, and no answer of ours may be larger than Knot's (names
// compressed as well as Knot compresses them). Knot is the reference for authoritative behaviour.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DnsMessage, decodeMessage, encodeMessage, headerRcode } from '../../dns/message.ts';
import { listZoneRecords, toZoneFile } from '../../worker/zone/zone-file.ts';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { freePort } from '../support/net.ts';
import { haveSystemPrograms } from '../support/system.ts';
import { type Daemon, startDaemon } from './daemons.ts';
import { writeKnotConfig } from './knot-config.ts';
import { answerSummary, framed, type QueryType, query, tcpExchange, udpExchange } from './wire-client.ts';

const have = haveSystemPrograms('knotd');

const NAMES = [
  'example.test',
  'EXAMPLE.test',
  'ns1.example.test',
  'nur1.pl-1234.example.test',
  'i-nur1.pl-1234.example.test',
  'I-NUR1.PL-1234.example.test',
  'i-nur2.pl-1234.example.test',
  'nur2.pl-1234.example.test',
  'i-nur1.pl-5678.example.test',
  // Empty non-terminals (RFC 8020: NOERROR, no data) and names below or beside them.
  'pl-1234.example.test',
  'pl-5678.example.test',
  'canary.example.test',
  'apps.example.test',
  'pl-9999.example.test',
  'x.i-nur1.pl-1234.example.test',
  'i-nur9.pl-1234.example.test',
  'unknown.example.test',
  'private.canary.example.test',
  'ula.canary.example.test',
  'public.canary.example.test',
  'other.canary.example.test',
  'pl-1234.apps.example.test',
  'pl-9999.apps.example.test',
  // Outside the zone: both refuse.
  'example.com',
  'test',
  'example.test.example.com',
];
const TYPES: QueryType[] = ['A', 'AAAA', 'TXT', 'SOA', 'NS', 'MX', 'CNAME', 'SRV', 'ANY'];

interface Pair {
  manager: TestManager;
  knot: Daemon;
  close(): Promise<void>;
}

/** A manager and a Knot serving the zone file written from the manager's records. */
async function startPair(env: Record<string, string>, fill: (m: TestManager) => Promise<void>): Promise<Pair> {
  const manager = await startTestManager(env);
  let dir: string | undefined;
  try {
    await fill(manager);
    dir = await mkdtemp(join(tmpdir(), 'hairpin-knot-'));
    const zoneFile = join(dir, 'example.test.zone');
    await writeFile(
      zoneFile,
      toZoneFile(manager.config.names.zone, await listZoneRecords(manager.config, manager.store)),
    );
    const port = await freePort();
    const knot = await startDaemon('knotd', ['-c', await writeKnotConfig(dir, port, 'example.test', zoneFile)], {
      port,
      probeName: 'example.test',
    });
    const made = dir;
    return {
      manager,
      knot,
      close: async () => {
        await knot.stop();
        await manager.close();
        await rm(made, { recursive: true, force: true });
      },
    };
  } catch (e) {
    await manager.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    throw e;
  }
}

/** One question to both servers over one transport: the raw answers. */
async function askBoth(
  pair: Pair,
  q: DnsMessage,
  transport: 'udp' | 'tcp',
): Promise<[Uint8Array | undefined, Uint8Array | undefined]> {
  const wire = encodeMessage(q);
  const ask = async (port: number) =>
    transport === 'udp' ? udpExchange(port, wire) : (await tcpExchange(port, framed(wire), 1))[0];
  return Promise.all([ask(pair.manager.dns.udpPort), ask(pair.knot.port)]);
}

const sizeOf = (answer: Uint8Array | undefined) => answer?.byteLength ?? 0;

describe.skipIf(!have)('differential: built-in server against Knot on the same records', () => {
  let pair: Pair;
  beforeAll(async () => {
    // Glue for the name server, and an app-store target: both kinds of records in the comparison.
    pair = await startPair(
      { HAIRPIN_NAMESERVERS: 'ns1.example.test=192.0.2.53', HAIRPIN_APPS_TARGET: '192.0.2.80' },
      async (manager) => {
        const c1 = await manager.enrol('1234', 'nur1');
        await manager.report('1234', 'nur1', c1, {
          privateIpv4: '10.1.2.3',
          privateIpv6: 'fd00::5',
          publicIpv4: '198.51.100.7',
        });
        await manager.enrol('1234', 'nur2');
        const c3 = await manager.enrol('5678', 'nur1');
        await manager.report('5678', 'nur1', c3, { privateIpv4: '192.168.1.10' });
      },
    );
  });
  afterAll(async () => pair?.close());

  it('gives the same rcode, AA, answers and negative SOA for every question, never in more bytes', async () => {
    const differences: string[] = [];
    const larger: string[] = [];
    const seen = new Set<string>();
    let asked = 0;
    for (const name of NAMES) {
      for (const type of TYPES) {
        for (const edns of [undefined, 1232]) {
          for (const transport of ['udp', 'tcp'] as const) {
            const [oursWire, theirsWire] = await askBoth(pair, query(name, type, edns), transport);
            const [ours, theirs] = [oursWire && decodeMessage(oursWire), theirsWire && decodeMessage(theirsWire)];
            asked++;
            seen.add(answerSummary(theirs).replace(/ \[.*/, ''));
            const label = `${name} ${type} ${transport}${edns ? ' edns' : ''}`;
            if (answerSummary(ours) !== answerSummary(theirs)) {
              differences.push(`${label}\n  built-in: ${answerSummary(ours)}\n  knot:     ${answerSummary(theirs)}`);
            }
            // ANY is left out: each server may pick a different RRset to answer it with.
            if (type !== 'ANY' && sizeOf(oursWire) > sizeOf(theirsWire))
              larger.push(`${label}: ${sizeOf(oursWire)} bytes, knot ${sizeOf(theirsWire)}`);
          }
        }
      }
    }
    expect(asked).toBeGreaterThan(0);
    expect(differences.join('\n')).toBe('');
    expect(larger).toEqual([]);
    // The questions cover every outcome, not one repeated: answers, NODATA, NXDOMAIN, REFUSED.
    expect([...seen].sort()).toEqual([
      'NOERROR aa=true soa-in-authority=false',
      'NOERROR aa=true soa-in-authority=true',
      'NXDOMAIN aa=true soa-in-authority=true',
      'REFUSED aa=false soa-in-authority=false',
    ]);
  });
});

describe.skipIf(!have)('answer sizes against Knot with a large name-server set', () => {
  // Forty name servers with glue: the apex NS answer is where compression matters most.
  const nameServers = Array.from(
    { length: 40 },
    (_, i) => `ns${i}.example.test=192.0.2.${i + 1},2001:db8::${i + 1}`,
  ).join(' ');
  let pair: Pair;
  beforeAll(async () => {
    pair = await startPair({ HAIRPIN_NAMESERVERS: nameServers }, async () => {});
  });
  afterAll(async () => pair?.close());

  it('answers the apex NS set, SOA and glue in no more bytes than Knot', async () => {
    const larger: string[] = [];
    for (const [name, type] of [
      ['example.test', 'NS'],
      ['example.test', 'SOA'],
      ['ns7.example.test', 'A'],
      ['ns7.example.test', 'AAAA'],
      ['nope.example.test', 'A'],
    ] as const) {
      for (const transport of ['udp', 'tcp'] as const) {
        const [ours, theirs] = await askBoth(pair, query(name, type, 1232), transport);
        expect(ours && theirs && headerRcode(decodeMessage(ours))).toBe(theirs && headerRcode(decodeMessage(theirs)));
        if (sizeOf(ours) > sizeOf(theirs))
          larger.push(`${name} ${type} ${transport}: ${sizeOf(ours)} bytes, knot ${sizeOf(theirs)}`);
      }
    }
    expect(larger).toEqual([]);
  });
});
