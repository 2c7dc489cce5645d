// The whole zone as a list of records, and that list as an RFC 1035 §5 master file: what NSD and
// Knot load in the benchmark and the differential test, and what a full transfer (AXFR) sends.

import { CANARIES } from '../../dns/canary.ts';
import type { DnsRecord } from '../../dns/message.ts';
import { absoluteName as absolute } from '../../dns/name.ts';
import type { ManagerConfig } from '../config.ts';
import { challengeKey } from '../store/acme-challenges.ts';
import type { NodeState } from '../store/store.ts';
import type { ZoneSource } from './answer.ts';
import { apexRecords, appsRecords, canaryRecords, nameServerRecords, nodeRecords } from './records.ts';

/** What listing the zone needs from storage; the Store provides it. */
export interface ZoneListingSource extends Pick<ZoneSource, 'serial'> {
  allAcmeChallenges(): Promise<Map<string, string[]>>;
  listLicences(): Promise<{ licence: string; nodes: number }[]>;
  listNodes(licence: string): Promise<NodeState[]>;
}

/**
 * Every record the zone serves, SOA first (the order AXFR needs, RFC 5936 §2.2), built by the
 * same functions the zone answers from so the two cannot drift apart.
 *
 * ```ts
 * const records = await listZoneRecords(config, store);
 * await writeFile('example.test.zone', toZoneFile(config.names.zone, records));
 * ```
 */
export async function listZoneRecords(config: ManagerConfig, source: ZoneListingSource): Promise<DnsRecord[]> {
  const { names } = config;
  const out = apexRecords(config, await source.serial());
  for (const ns of config.nameServers) out.push(...(nameServerRecords(config, ns.name) ?? []));
  for (const label of Object.values(CANARIES)) {
    out.push(...(canaryRecords(config, label, `${label}.${names.zone}`) ?? []));
  }
  const challenges = await source.allAcmeChallenges();
  for (const { licence, nodes } of await source.listLicences()) {
    if (nodes === 0) continue;
    out.push(...appsRecords(config, names.appsName(licence)));
    for (const state of await source.listNodes(licence)) {
      const nodeNames = names.nodeNames(licence, state.node);
      for (const kind of ['external', 'internal', 'relay'] as const) {
        const name = nodeNames[kind];
        if (!name) continue;
        out.push(...nodeRecords(config, kind, state, name));
        const values = challenges.get(challengeKey(licence, state.node, kind)) ?? [];
        out.push(
          ...values.map(
            (v): DnsRecord => ({
              type: 'TXT',
              name: `_acme-challenge.${name}`,
              ttl: config.addressTtl,
              class: 'IN',
              data: [v],
            }),
          ),
        );
      }
    }
  }
  return out;
}

// RFC 1035 §5.1: a character-string is quoted; `"` and `\` are escaped, and so is anything
// outside printable ASCII, as \DDD (decimal).
function characterString(value: string | Uint8Array): string {
  const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : value;
  let text = '';
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) text += `\\${String.fromCharCode(b)}`;
    else if (b < 0x20 || b > 0x7e) text += `\\${String(b).padStart(3, '0')}`;
    else text += String.fromCharCode(b);
  }
  return `"${text}"`;
}

/** A record's data in master-file form (RFC 1035 §5.1), for the types the zone serves. */
export function presentationData(record: DnsRecord): string {
  switch (record.type) {
    case 'A':
    case 'AAAA':
      return record.data;
    case 'NS':
    case 'CNAME':
      return absolute(record.data);
    case 'TXT': {
      const data = record.data;
      return (Array.isArray(data) ? data : [data]).map(characterString).join(' ');
    }
    case 'SOA': {
      const s = record.data;
      return `${absolute(s.mname)} ${absolute(s.rname)} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
    }
    default:
      throw new Error(`no zone-file form for ${record.type} records`);
  }
}

/**
 * Records as master-file text with absolute owner names (one record a line), loadable by NSD,
 * Knot and BIND.
 *
 * ```ts
 * toZoneFile('example.test', [{ type: 'A', name: 'x.example.test', ttl: 60, class: 'IN', data: '192.0.2.1' }]);
 * // '$ORIGIN example.test.\nx.example.test. 60 IN A 192.0.2.1\n'
 * ```
 */
export function toZoneFile(zone: string, records: readonly DnsRecord[]): string {
  const lines = records.map(
    (r) => `${absolute(r.name)} ${r.ttl ?? 0} ${r.class ?? 'IN'} ${r.type} ${presentationData(r)}`,
  );
  return `$ORIGIN ${absolute(zone)}\n${lines.join('\n')}\n`;
}
