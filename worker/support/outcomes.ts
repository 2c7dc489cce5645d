// What support asks of a network or a resolver first: did the internal name resolve, was it
// filtered, did it time out. The verdicts folded into those outcomes, and the page's rows sorted
// and filtered by them.
import type { Verdict } from '../../contract/verdicts.ts';
import type { CompatEntry, NetworkCompat } from '../store/probe-reports.ts';
import type { SortKey, SupportFilters } from './filters.ts';

/** "Filtered" is every way a resolver refuses the private answer (SERVFAIL, stripped, REFUSED, NXDOMAIN). */
export const OUTCOMES = {
  resolved: { label: 'resolved', colour: '#2e7d32', verdicts: ['ok'] },
  filtered: {
    label: 'filtered',
    colour: '#c62828',
    verdicts: ['filtered-servfail', 'filtered-nodata', 'filtered-refused', 'nxdomain'],
  },
  timeout: { label: 'timed out', colour: '#455a64', verdicts: ['timeout'] },
  other: { label: 'other', colour: '#f9a825', verdicts: ['not-published', 'mismatch', 'unreachable', 'dns64'] },
} as const satisfies Record<string, { label: string; colour: string; verdicts: readonly Verdict[] }>;

export type Outcome = keyof typeof OUTCOMES;
export const OUTCOME_KEYS = Object.keys(OUTCOMES) as Outcome[];

export function outcomeCount(entry: CompatEntry, outcome: Outcome): number {
  return OUTCOMES[outcome].verdicts.reduce((sum, v) => sum + entry.verdicts[v], 0);
}

/** Share of reports (0 to 1); 0 for an entry without reports. */
export function share(part: number, whole: number): number {
  return whole === 0 ? 0 : part / whole;
}

/** The box hairpins: share of "yes" among the reports whose self-test ran; undefined when none did. */
export function hairpinShare(entry: CompatEntry): number | undefined {
  const tested = entry.hairpins.yes + entry.hairpins.no;
  return tested === 0 ? undefined : entry.hairpins.yes / tested;
}

/** The number a sort key orders an entry by. */
function sortValue(entry: CompatEntry, sort: Exclude<SortKey, 'network'>, verdict: Verdict | undefined): number {
  if (sort === 'reports') return entry.reports;
  if (sort === 'hairpins') return hairpinShare(entry) ?? -1;
  if (sort === 'verdict') return verdict ? share(entry.verdicts[verdict], entry.reports) : 0;
  return share(outcomeCount(entry, sort), entry.reports);
}

export function networkName(n: Pick<NetworkCompat, 'asn' | 'organisation' | 'label'>): string {
  return n.asn !== null ? `AS${n.asn}${n.organisation ? ` ${n.organisation}` : ''}` : (n.label ?? 'unknown network');
}

function compareBy<T extends CompatEntry>(filters: SupportFilters, name: (entry: T) => string): (a: T, b: T) => number {
  const sign = filters.order === 'asc' ? 1 : -1;
  return (a, b) => {
    const byKey =
      filters.sort === 'network'
        ? name(a).localeCompare(name(b))
        : sortValue(a, filters.sort, filters.verdict) - sortValue(b, filters.sort, filters.verdict);
    // Ties: the busier first, then by name, so the order is stable across reloads.
    return sign * byKey || b.reports - a.reports || name(a).localeCompare(name(b));
  };
}

/** The networks (and their resolvers) the filters keep, in the filters' order. */
export function selectNetworks(networks: readonly NetworkCompat[], filters: SupportFilters): NetworkCompat[] {
  const { isp, verdict } = filters;
  const seen = (entry: CompatEntry) => verdict === undefined || entry.verdicts[verdict] > 0;
  return networks
    .filter((n) => (isp === undefined || n.network === isp) && seen(n))
    .map((n) => ({ ...n, resolvers: n.resolvers.filter(seen).sort(compareBy(filters, (r) => r.resolver)) }))
    .sort(compareBy<NetworkCompat>(filters, networkName));
}
