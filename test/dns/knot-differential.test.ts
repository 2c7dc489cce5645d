// The same records served by Knot (from the zone file toZoneFile writes) and by the built-in
// server, asked the same questions: rcode, AA, the answer RRset and whether the SOA is in the
// authority section must agree. Knot is the reference for authoritative behaviour here.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FLAG_AA, headerRcode, records, type DnsMessage } from '../../dns/message.ts';
import { normalizeName } from '../../dns/name.ts';
import { rcodeName } from '../../dns/rcode.ts';
import { listZoneRecords, toZoneFile } from '../../worker/zone/zone-file.ts';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { haveSystemPrograms } from '../support/system.ts';
import { freePort } from '../support/net.ts';
import { startDaemon, type Daemon } from './daemons.ts';
import { writeKnotConfig } from './knot-config.ts';
import { query, tcpAsk, udpAsk, type QueryType } from './wire-client.ts';

const have = haveSystemPrograms('knotd');

const NAMES = [
  'example.test', 'EXAMPLE.test', 'ns1.example.test',
  'nur1.pl-1234.example.test', 'i-nur1.pl-1234.example.test', 'I-NUR1.PL-1234.example.test',
  'i-nur2.pl-1234.example.test', 'nur2.pl-1234.example.test', 'i-nur1.pl-5678.example.test',
  // Empty non-terminals (RFC 8020: NOERROR, no data) and names below or beside them.
  'pl-1234.example.test', 'pl-5678.example.test', 'canary.example.test', 'apps.example.test',
  'pl-9999.example.test', 'x.i-nur1.pl-1234.example.test', 'i-nur9.pl-1234.example.test', 'unknown.example.test',
  'private.canary.example.test', 'ula.canary.example.test', 'public.canary.example.test', 'other.canary.example.test',
  'pl-1234.apps.example.test', 'pl-9999.apps.example.test',
  // Outside the zone: both refuse.
  'example.com', 'test', 'example.test.example.com',
];
const TYPES: QueryType[] = ['A', 'AAAA', 'TXT', 'SOA', 'NS', 'MX', 'CNAME', 'SRV', 'ANY'];

/**
 * What must agree: rcode, AA, the answer RRset (order-free, owner case-free), SOA in authority.
 * For ANY, RFC 8482 §4.2 lets each server pick which one RRset to give (at the apex we give the
 * SOA, Knot the NS): only the number of RRsets must agree.
 */
function summary(m: DnsMessage | undefined): string {
  if (!m) return 'no answer';
  const any = (m.questions?.[0]?.type as QueryType | undefined) === 'ANY';
  const answers = any ? [`${new Set(records(m.answers).map((r) => r.type)).size} rrset(s)`] : records(m.answers)
    .map((r) => `${normalizeName(r.name)} ${r.ttl} ${r.type} ${JSON.stringify(r.data, (_k, v) => (typeof v === 'string' ? v.toLowerCase() : v))}`)
    .sort();
  const soa = records(m.authorities).some((r) => r.type === 'SOA');
  return `${rcodeName(headerRcode(m))} aa=${((m.flags ?? 0) & FLAG_AA) !== 0} soa-in-authority=${soa} [${answers.join('; ')}]`;
}

describe.skipIf(!have)('differential: built-in server against Knot on the same records', () => {
  let manager: TestManager;
  let knot: Daemon;
  let dir: string;
  beforeAll(async () => {
    // Glue for the name server, and an app-store target: both kinds of records in the comparison.
    manager = await startTestManager({ HAIRPIN_NAMESERVERS: 'ns1.example.test=192.0.2.53', HAIRPIN_APPS_TARGET: '192.0.2.80' });
    const c1 = await manager.enrol('1234', 'nur1');
    await manager.report('1234', 'nur1', c1, { privateIpv4: '10.1.2.3', privateIpv6: 'fd00::5', publicIpv4: '198.51.100.7' });
    await manager.enrol('1234', 'nur2');
    const c3 = await manager.enrol('5678', 'nur1');
    await manager.report('5678', 'nur1', c3, { privateIpv4: '192.168.1.10' });

    dir = await mkdtemp(join(tmpdir(), 'hairpin-knot-'));
    const zoneFile = join(dir, 'example.test.zone');
    await writeFile(zoneFile, toZoneFile(manager.config.names.zone, await listZoneRecords(manager.config, manager.store)));
    const port = await freePort();
    knot = await startDaemon('knotd', ['-c', await writeKnotConfig(dir, port, 'example.test', zoneFile)], { port, probeName: 'example.test' });
  });
  afterAll(async () => {
    await knot?.stop();
    await manager?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gives the same rcode, AA, answers and negative SOA for every question', async () => {
    const differences: string[] = [];
    const seen = new Set<string>();
    let asked = 0;
    for (const name of NAMES) {
      for (const type of TYPES) {
        for (const edns of [undefined, 1232]) {
          for (const [transport, ask] of [['udp', udpAsk], ['tcp', tcpAsk]] as const) {
            const q = query(name, type, edns);
            const [ours, theirs] = await Promise.all([ask(manager.dns.udpPort, q), ask(knot.port, q)]);
            asked++;
            seen.add(summary(theirs).replace(/ \[.*/, ''));
            if (summary(ours) !== summary(theirs)) {
              differences.push(`${name} ${type} ${transport}${edns ? ' edns' : ''}\n  built-in: ${summary(ours)}\n  knot:     ${summary(theirs)}`);
            }
          }
        }
      }
    }
    console.log(`differential: ${asked} questions asked of both servers, ${differences.length} differences`);
    expect(differences.join('\n')).toBe('');
    // The questions cover every outcome, not one repeated: answers, NODATA, NXDOMAIN, REFUSED.
    expect([...seen].sort()).toEqual([
      'NOERROR aa=true soa-in-authority=false', 'NOERROR aa=true soa-in-authority=true',
      'NXDOMAIN aa=true soa-in-authority=true', 'REFUSED aa=false soa-in-authority=false',
    ]);
  });
});
