// The whole zone as a list of records, and that list as an RFC 1035 §5 master file: what NSD and
// Knot load in the benchmark and the differential test, and what a full transfer (AXFR) sends.

import { CANARIES } from '../../dns/canary.ts';
import type { DnsRecord } from '../../dns/message.ts';
import { absoluteName as absolute } from '../../dns/name.ts';
import type { ManagerConfig } from '../config.ts';
import { challengeKey } from '../store/acme-challenges.ts';
import type { NodeState, SnapshotReads } from '../store/store.ts';
import { apexRecords, appsRecords, canaryRecords, nameServerRecords, nodeRecords } from './records.ts';

/** Nodes read per page: a few thousand records, a few milliseconds of work between yields. */
export const LISTING_PAGE = 500;

/**
 * Every record the zone serves, SOA first (the order AXFR needs, RFC 5936 §2.2), page by page in
 * (licence, node) order, built by the same functions the zone answers from so the two cannot
 * drift apart. Pages are read as they are asked for: a transfer streams a zone of any size.
 *
 * ```ts
 * for await (const page of zoneRecordPages(config, store)) send(page);
 * ```
 */
export async function* zoneRecordPages(
  config: ManagerConfig,
  source: SnapshotReads,
  pageSize = LISTING_PAGE,
): AsyncGenerator<DnsRecord[]> {
  const { names } = config;
  const head = apexRecords(config, await source.serial());
  for (const ns of config.nameServers) head.push(...(nameServerRecords(config, ns.name) ?? []));
  for (const label of Object.values(CANARIES)) {
    head.push(...(canaryRecords(config, label, `${label}.${names.zone}`) ?? []));
  }
  yield head;
  const challenges = await source.allAcmeChallenges();
  let after: NodeState | undefined;
  for (;;) {
    const nodes = await source.nodePage(after, pageSize);
    const out: DnsRecord[] = [];
    for (const state of nodes) {
      // The apps name of a licence once, before its first node (a licence without nodes has none).
      if (state.licence !== after?.licence) out.push(...appsRecords(config, names.appsName(state.licence)));
      after = state;
      const nodeNames = names.nodeNames(state.licence, state.node);
      for (const kind of ['external', 'internal', 'relay'] as const) {
        const name = nodeNames[kind];
        if (!name) continue;
        out.push(...nodeRecords(config, kind, state, name));
        const values = challenges.get(challengeKey(state.licence, state.node, kind)) ?? [];
        for (const v of values)
          out.push({ type: 'TXT', name: `_acme-challenge.${name}`, ttl: config.addressTtl, class: 'IN', data: [v] });
      }
    }
    if (out.length > 0) yield out;
    if (nodes.length < pageSize) return;
  }
}

/**
 * The whole zone at once (zone files, tests): zoneRecordPages collected.
 *
 * ```ts
 * const records = await listZoneRecords(config, store);
 * await writeFile('example.test.zone', toZoneFile(config.names.zone, records));
 * ```
 */
export async function listZoneRecords(config: ManagerConfig, source: SnapshotReads): Promise<DnsRecord[]> {
  const out: DnsRecord[] = [];
  for await (const page of zoneRecordPages(config, source)) for (const r of page) out.push(r);
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
