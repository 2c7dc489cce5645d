// Probe reports in the store, and the ISP compatibility tally built from them. Writes go
// through store.batch like every other write; reads are plain Kysely, one query each.
import { sql } from 'kysely';
import { isVerdict, VERDICT_CODES, type Verdict } from '../../contract/verdicts.ts';
import type { ProbeReportTable } from '../../schema/database.ts';
import type { StoreWriter } from './batch.ts';

export interface NetworkInfo {
  publicAddress: string | null;
  asn: number | null;
  organisation: string | null;
  label: string | null;
  /** 'edge' when the runtime told us (request.cf), 'lookup' (HAIRPIN_ASN_LOOKUP), 'node' when the node sent it. */
  source: 'edge' | 'lookup' | 'node' | null;
}

export interface ProbeReport {
  id: string;
  licence: string;
  node: string;
  at: number;
  verdict: Verdict;
  reason: string;
  name: string;
  resolver: string;
  hairpins: boolean | null;
  network: NetworkInfo;
  elapsedMs: number;
  /** The probe's full result, as the node posted it. */
  evidence: unknown;
}

export type VerdictCounts = Record<Verdict, number>;

export interface HairpinCounts {
  yes: number;
  no: number;
  unknown: number;
}

export interface CompatEntry {
  reports: number;
  /** Reports whose verdict is `ok`: the internal name resolved to the right address. */
  resolved: number;
  verdicts: VerdictCounts;
  hairpins: HairpinCounts;
  lastSeen: string;
}

export interface NetworkCompat extends CompatEntry {
  /** Stable key: `AS3215`, `label:<text>`, or `unknown`. */
  network: string;
  asn: number | null;
  organisation: string | null;
  label: string | null;
  resolvers: (CompatEntry & { resolver: string })[];
}

function toReport(row: ProbeReportTable): ProbeReport {
  return {
    id: row.id,
    licence: row.licence,
    node: row.node,
    at: Number(row.at),
    verdict: row.verdict as Verdict,
    reason: row.reason,
    name: row.name,
    resolver: row.resolver,
    hairpins: row.hairpins === null ? null : Number(row.hairpins) === 1,
    network: {
      publicAddress: row.public_address,
      asn: row.asn === null ? null : Number(row.asn),
      organisation: row.organisation,
      label: row.network_label,
      source: row.network_source as NetworkInfo['source'],
    },
    elapsedMs: Number(row.elapsed_ms),
    evidence: JSON.parse(row.evidence) as unknown,
  };
}

function emptyEntry(): CompatEntry {
  return {
    reports: 0,
    resolved: 0,
    verdicts: Object.fromEntries(VERDICT_CODES.map((v) => [v, 0])) as VerdictCounts,
    hairpins: { yes: 0, no: 0, unknown: 0 },
    lastSeen: '',
  };
}

interface TallyRow {
  asn: number | null;
  organisation: string | null;
  network_label: string | null;
  resolver: string;
  verdict: string;
  hairpins: number | null;
  reports: number;
  last_seen: number;
}

function add(entry: CompatEntry, row: TallyRow): void {
  const n = Number(row.reports);
  entry.reports += n;
  if (row.verdict === 'ok') entry.resolved += n;
  if (Object.hasOwn(entry.verdicts, row.verdict)) entry.verdicts[row.verdict as Verdict] += n;
  const hairpins = row.hairpins === null ? 'unknown' : Number(row.hairpins) === 1 ? 'yes' : 'no';
  entry.hairpins[hairpins] += n;
  const seen = new Date(Number(row.last_seen)).toISOString();
  if (seen > entry.lastSeen) entry.lastSeen = seen;
}

type NetworkColumns = Pick<TallyRow, 'asn' | 'network_label'>;

/** A network's stable key: `AS3215`, `label:<text>`, or `unknown`. */
function networkKey(row: NetworkColumns): string {
  return row.asn !== null ? `AS${Number(row.asn)}` : row.network_label ? `label:${row.network_label}` : 'unknown';
}

/** Fold tally rows into networks, each with its resolvers; busiest network first. */
export function compatSummary(rows: readonly TallyRow[]): NetworkCompat[] {
  const networks = new Map<string, NetworkCompat>();
  for (const row of rows) {
    const asn = row.asn === null ? null : Number(row.asn);
    const key = networkKey(row);
    let network = networks.get(key);
    if (!network) {
      network = {
        network: key,
        asn,
        organisation: row.organisation,
        label: asn === null ? row.network_label : null,
        ...emptyEntry(),
        resolvers: [],
      };
      networks.set(key, network);
    }
    network.organisation ??= row.organisation;
    add(network, row);
    let resolver = network.resolvers.find((r) => r.resolver === row.resolver);
    if (!resolver) network.resolvers.push((resolver = { resolver: row.resolver, ...emptyEntry() }));
    add(resolver, row);
  }
  const list = [...networks.values()];
  for (const n of list) n.resolvers.sort((a, b) => b.reports - a.reports || a.resolver.localeCompare(b.resolver));
  return list.sort((a, b) => b.reports - a.reports || a.network.localeCompare(b.network));
}

/** Weeks start on Monday 00:00 UTC (ISO 8601); the Unix epoch fell on a Thursday. */
export const WEEK_MS = 7 * 86_400_000;
const MONDAY_OFFSET_MS = 3 * 86_400_000;

/** The Monday 00:00 UTC (epoch ms) of the week that holds `at`. */
export function weekStart(at: number): number {
  return Math.floor((at + MONDAY_OFFSET_MS) / WEEK_MS) * WEEK_MS - MONDAY_OFFSET_MS;
}

/** Reports of one network with one verdict in one week. */
export interface WeeklyCount {
  network: string;
  /** Monday 00:00 UTC of the week, epoch ms. */
  week: number;
  verdict: Verdict;
  reports: number;
}

/**
 * Reports kept per node. Each carries its evidence (a few KB): without a bound the table grows
 * with nodes × time. Support reads the recent ones; the compat view counts what is kept.
 */
export const PER_NODE_KEPT = 200;

/**
 * The probe_reports table, behind the Store (`store.probeReports`).
 *
 * ```ts
 * await store.probeReports.add(report);
 * const networks = await store.probeReports.compat();
 * ```
 */
export class ProbeReports {
  readonly #store: StoreWriter;

  constructor(store: StoreWriter) {
    this.#store = store;
  }

  /** Stores a report; past PER_NODE_KEPT, the node's oldest go in the same batch. */
  async add(report: ProbeReport): Promise<void> {
    const { db, batch } = this.#store;
    // The at of the node's newest-but-PER_NODE_KEPT-th report; NULL (nothing older goes) while it has fewer.
    const cutoff = db
      .selectFrom('probe_reports')
      .select('at')
      .where('licence', '=', report.licence)
      .where('node', '=', report.node)
      .orderBy('at', 'desc')
      .limit(1)
      .offset(PER_NODE_KEPT - 1);
    await batch([
      db
        .insertInto('probe_reports')
        .values({
          id: report.id,
          licence: report.licence,
          node: report.node,
          at: report.at,
          verdict: report.verdict,
          reason: report.reason,
          name: report.name,
          resolver: report.resolver,
          hairpins: report.hairpins === null ? null : report.hairpins ? 1 : 0,
          public_address: report.network.publicAddress,
          asn: report.network.asn,
          organisation: report.network.organisation,
          network_label: report.network.label,
          network_source: report.network.source,
          elapsed_ms: report.elapsedMs,
          evidence: JSON.stringify(report.evidence),
        })
        .compile(),
      db
        .deleteFrom('probe_reports')
        .where('licence', '=', report.licence)
        .where('node', '=', report.node)
        .where('at', '<', cutoff)
        .compile(),
    ]);
  }

  /** A node's reports, newest first. */
  async forNode(licence: string, node: string, limit: number): Promise<ProbeReport[]> {
    const rows = await this.#store.db
      .selectFrom('probe_reports')
      .selectAll()
      .where('licence', '=', licence)
      .where('node', '=', node)
      .orderBy('at', 'desc')
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.map(toReport);
  }

  /** Per node of a licence: its newest report and its verdict counts. */
  async forLicence(
    licence: string,
  ): Promise<{ node: string; reports: number; verdicts: VerdictCounts; last: ProbeReport }[]> {
    const { db } = this.#store;
    const counts = await db
      .selectFrom('probe_reports')
      .select(['node', 'verdict', (eb) => eb.fn.countAll<number>().as('n'), (eb) => eb.fn.max('at').as('last_at')])
      .where('licence', '=', licence)
      .groupBy(['node', 'verdict'])
      .execute();
    const latest = await db
      .selectFrom('probe_reports as p')
      .selectAll()
      .where('p.licence', '=', licence)
      .where('p.at', '=', (eb) =>
        eb
          .selectFrom('probe_reports as q')
          .select((q) => q.fn.max('q.at').as('m'))
          .whereRef('q.licence', '=', 'p.licence')
          .whereRef('q.node', '=', 'p.node'),
      )
      .orderBy('p.node')
      .orderBy('p.id')
      .execute();
    const nodes = new Map<string, { node: string; reports: number; verdicts: VerdictCounts; last: ProbeReport }>();
    for (const row of latest)
      if (!nodes.has(row.node))
        nodes.set(row.node, { node: row.node, reports: 0, verdicts: emptyEntry().verdicts, last: toReport(row) });
    for (const c of counts) {
      const entry = nodes.get(c.node);
      if (!entry) continue;
      entry.reports += Number(c.n);
      if (Object.hasOwn(entry.verdicts, c.verdict)) entry.verdicts[c.verdict as Verdict] += Number(c.n);
    }
    return [...nodes.values()];
  }

  /** Licences that have sent reports, most recent first, for the support page's drill-down. */
  async licences(limit: number): Promise<{ licence: string; nodes: number; reports: number; lastSeen: string }[]> {
    const rows = await this.#store.db
      .selectFrom('probe_reports')
      .select([
        'licence',
        (eb) => eb.fn.count<number>('node').distinct().as('nodes'),
        (eb) => eb.fn.countAll<number>().as('reports'),
        (eb) => eb.fn.max<number>('at').as('last'),
      ])
      .groupBy('licence')
      .orderBy('last', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      licence: r.licence,
      nodes: Number(r.nodes),
      reports: Number(r.reports),
      lastSeen: new Date(Number(r.last)).toISOString(),
    }));
  }

  /**
   * Reports per network, week and verdict since `since` (ms; 0 for all). The week is integer
   * division of `at` (BIGINT on every store: D1, SQLite and Postgres all divide integers as
   * integers), so the grouping happens in the database, one row per network × week × verdict.
   */
  async weekly(since = 0): Promise<WeeklyCount[]> {
    const week = sql<number>`(at + ${sql.lit(MONDAY_OFFSET_MS)}) / ${sql.lit(WEEK_MS)}`;
    const rows = await this.#store.db
      .selectFrom('probe_reports')
      .select(['asn', 'network_label', 'verdict', week.as('week'), (eb) => eb.fn.countAll<number>().as('reports')])
      .where('at', '>=', since)
      .groupBy(['asn', 'network_label', 'verdict', week])
      .execute();
    const counts = new Map<string, WeeklyCount>();
    for (const row of rows) {
      if (!isVerdict(row.verdict)) continue;
      const entry = {
        network: networkKey(row),
        week: Number(row.week) * WEEK_MS - MONDAY_OFFSET_MS,
        verdict: row.verdict,
        reports: Number(row.reports),
      };
      // One network key can come from several rows (an ASN seen with different labels).
      const key = `${entry.network} ${entry.week} ${entry.verdict}`;
      const seen = counts.get(key);
      if (seen) seen.reports += entry.reports;
      else counts.set(key, entry);
    }
    return [...counts.values()];
  }

  /** The ISP compatibility report over reports since `since` (ms; 0 for all). */
  async compat(since = 0): Promise<NetworkCompat[]> {
    const rows = await this.#store.db
      .selectFrom('probe_reports')
      .select([
        'asn',
        'organisation',
        'network_label',
        'resolver',
        'verdict',
        'hairpins',
        (eb) => eb.fn.countAll<number>().as('reports'),
        (eb) => eb.fn.max<number>('at').as('last_seen'),
      ])
      .where('at', '>=', since)
      .groupBy(['asn', 'organisation', 'network_label', 'resolver', 'verdict', 'hairpins'])
      .execute();
    return compatSummary(rows as TallyRow[]);
  }
}
