// IXFR's change journal (RFC 1995 §4) read from address_history, the log the store already
// writes in the same atomic batch as every address change and its serial bump. Enrolments,
// deletions and ACME TXT changes also move the serial but leave no history row: a range that
// crosses one of them has a hole, and the caller falls back to the whole zone in IXFR form,
// which RFC 1995 §4 allows. Nothing else is written for transfers.
import type { DnsRecord } from '../../dns/message.ts';
import type { AddressHistoryTable } from '../../schema/database.ts';
import type { ManagerConfig } from '../config.ts';
import { serialDistance } from '../store/serial.ts';
import type { NodeState, Store } from '../store/store.ts';
import { nodeRecords } from '../zone/records.ts';
import { journalSteps, MAX_JOURNAL_STEPS } from '../zone/zone-watch.ts';

/** One version step: what left the zone and what entered it between two serials. */
export interface ZoneDelta {
  from: number;
  to: number;
  removed: DnsRecord[];
  added: DnsRecord[];
}

type Side = 'old' | 'new';

function stateAt(row: AddressHistoryTable, side: Side): NodeState {
  const privateIpv4 = row[`${side}_private_ipv4`];
  return {
    licence: row.licence,
    node: row.node,
    credentialHash: '',
    createdAt: 0,
    // nodeRecords reads only the addresses; the rest of StoredAddresses does not reach the zone.
    addresses:
      privateIpv4 === null
        ? undefined
        : {
            privateIpv4,
            privateIpv6: row[`${side}_private_ipv6`],
            publicIpv4: row[`${side}_public_ipv4`],
            publicIpv6: row[`${side}_public_ipv6`],
            port: null,
            sourceAddress: null,
            reportedAt: 0,
          },
  };
}

function recordsAt(config: ManagerConfig, row: AddressHistoryTable, side: Side): DnsRecord[] {
  const names = config.names.nodeNames(row.licence, row.node);
  const state = stateAt(row, side);
  return [
    ...nodeRecords(config, 'external', state, names.external),
    ...nodeRecords(config, 'internal', state, names.internal),
  ];
}

const recordKey = (r: DnsRecord) => `${r.name.toLowerCase()} ${r.type} ${JSON.stringify(r.data)}`;

function minus(a: DnsRecord[], b: DnsRecord[]): DnsRecord[] {
  const keys = new Set(b.map(recordKey));
  return a.filter((r) => !keys.has(recordKey(r)));
}

/**
 * The deltas leading from serial `from` to serial `to`, oldest first, or undefined when the
 * journal does not cover every step between them.
 *
 * ```ts
 * const deltas = await journalDeltas(config, store, clientSerial, await store.serial());
 * if (!deltas) sendWholeZone();
 * ```
 */
export async function journalDeltas(
  config: ManagerConfig,
  store: Store,
  from: number,
  to: number,
): Promise<ZoneDelta[] | undefined> {
  const distance = serialDistance(from, to);
  if (distance === 0) return [];
  if (distance > MAX_JOURNAL_STEPS) return undefined;
  const rows = await store.historyBetween(from, to);
  // A step with no row cannot be replayed: the caller sends the whole zone.
  const steps = journalSteps(from, to, rows);
  if (!steps) return undefined;
  let at = from;
  return steps.map((row) => {
    const before = recordsAt(config, row, 'old');
    const after = recordsAt(config, row, 'new');
    const delta = { from: at, to: Number(row.serial), removed: minus(before, after), added: minus(after, before) };
    at = delta.to;
    return delta;
  });
}
