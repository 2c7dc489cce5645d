// Everything the manager reads and writes, through Kysely's typed builder so one set of queries
// serves D1, SQLite and Postgres. Writes are compiled and handed to an AtomicBatch.
import { type Compilable, type CompiledQuery, type ExpressionBuilder, type Kysely, sql } from 'kysely';
import type { AddressesView } from '../../contract/api.ts';
import type { AddressTable, Database, NodeTable } from '../../schema/database.ts';
import type { NameKind } from '../names.ts';
import {
  type AcmeDnsAccount,
  addAcmeChallenge,
  allAcmeChallenges,
  type ChallengeChange,
  type ChallengeKey,
  createAcmeDnsAccount,
  deleteAcmeDnsAccount,
  findAcmeDnsAccount,
  listAcmeDnsAccounts,
  newestOf,
  removeAcmeChallenge,
  revokeAcmeDnsAccounts,
} from './acme-challenges.ts';
import type { AtomicBatch, StoreWriter } from './batch.ts';
import { precompile } from './precompiled.ts';
import { ProbeReports } from './probe-reports.ts';
import { ReachabilityStore } from './reachability.ts';
import { MAX_SERIAL } from './serial.ts';

/**
 * RFC 1982: serials live in [1, 2^32 - 1]; we skip 0 so "no serial" is never confused with it
 * (the same step as nextStoreSerial in worker/store/serial.ts, which the IXFR journal walks with).
 */
const nextSerial = sql<number>`(serial % ${MAX_SERIAL}) + 1`;

export interface NodeRow {
  licence: string;
  node: string;
  credentialHash: string;
  createdAt: number;
}

/** A node's last report as stored: the API's view of it (contract/api.ts), the time in ms. */
export interface StoredAddresses extends Omit<AddressesView, 'reportedAt'> {
  reportedAt: number;
}

/** What a node looks like to the zone: enrolled, and maybe reported. */
export interface NodeState extends NodeRow {
  addresses: StoredAddresses | undefined;
}

/** The reported values; for each, undefined keeps the stored value and null clears it. */
export interface ReportInput {
  licence: string;
  node: string;
  /** Undefined (kept) only for a node that has reported before: the column cannot be empty. */
  privateIpv4: string | undefined;
  privateIpv6: string | null | undefined;
  publicIpv4: string | null | undefined;
  publicIpv6: string | null | undefined;
  port: number | null | undefined;
  sourceAddress: string | null;
  at: number;
}

/**
 * How stale `reported_at` may be before an unchanged report writes it: liveness to the minute,
 * and a burst of identical reports (retries, a flapping agent) costs no write at all.
 */
export const REPORTED_AT_RESOLUTION_MS = 60_000;

/** The values a report may keep, by their column. */
const KEPT_COLUMNS = {
  privateIpv4: 'private_ipv4',
  privateIpv6: 'private_ipv6',
  publicIpv4: 'public_ipv4',
  publicIpv6: 'public_ipv6',
  port: 'port',
} as const;
type Kept = keyof typeof KEPT_COLUMNS;

/** A report's values as the precompiled report queries take them. */
type ReportParams = {
  [K in keyof ReportInput]: K extends Kept ? Exclude<ReportInput[K], undefined> | null : ReportInput[K];
} & { historyId: string };

export interface ReportResult {
  serial: number;
  changed: boolean;
  addresses: StoredAddresses;
}

export interface HistoryEntry {
  at: number;
  serial: number | null;
  sourceAddress: string | null;
  old: Partial<Record<'privateIpv4' | 'privateIpv6' | 'publicIpv4' | 'publicIpv6', string | null>>;
  new: Partial<Record<'privateIpv4' | 'privateIpv6' | 'publicIpv4' | 'publicIpv6', string | null>>;
}

function toAddresses(row: AddressTable): StoredAddresses {
  return {
    privateIpv4: row.private_ipv4,
    privateIpv6: row.private_ipv6,
    publicIpv4: row.public_ipv4,
    publicIpv6: row.public_ipv6,
    port: row.port === null ? null : Number(row.port),
    sourceAddress: row.source_address,
    reportedAt: Number(row.reported_at),
  };
}

/** Nodes left-joined with their addresses: the columns nodeStateOf reads. */
function nodesWithAddresses(db: Kysely<Database>) {
  return db
    .selectFrom('nodes')
    .leftJoin('addresses', (j) =>
      j.onRef('addresses.licence', '=', 'nodes.licence').onRef('addresses.node', '=', 'nodes.node'),
    )
    .select([
      'nodes.licence',
      'nodes.node',
      'nodes.credential_hash',
      'nodes.created_at',
      'addresses.private_ipv4',
      'addresses.private_ipv6',
      'addresses.public_ipv4',
      'addresses.public_ipv6',
      'addresses.port',
      'addresses.source_address',
      'addresses.reported_at',
    ]);
}

/**
 * Pages of nodes with their addresses in (licence, node) order, the first and those after a
 * node, precompiled: listing the whole zone (AXFR) asks for a page every hundred nodes.
 */
function nodePages(db: Kysely<Database>) {
  const inOrder = () => nodesWithAddresses(db).orderBy('nodes.licence').orderBy('nodes.node');
  return {
    first: precompile((p: { limit: number }) => inOrder().limit(p.limit)),
    // A row-value comparison: SQLite and Postgres seek the primary key to it (an OR of the two
    // columns would scan from the start on every page).
    after: precompile((p: { licence: string; node: string; limit: number }) =>
      inOrder()
        .where((eb) => eb(eb.refTuple('nodes.licence', 'nodes.node'), '>', eb.tuple(p.licence, p.node)))
        .limit(p.limit),
    ),
  };
}

/**
 * SQLite only (group_concat): the nodes after (licence, node) in that order, at most `limit`, as
 * one text of a line each: licence, node and the four addresses (empty when null), separated by
 * spaces, which no label or address holds. node:sqlite makes an object of every row, and at a
 * million nodes that was most of the time an in-memory index took to build (3.4 s against 1.1).
 */
function nodeLines(db: Kysely<Database>) {
  const field = (column: string) => sql`ifnull(${sql.ref(column)}, '')`;
  const line = sql<string>`${sql.join(
    [
      sql.ref('nodes.licence'),
      sql.ref('nodes.node'),
      field('addresses.private_ipv4'),
      field('addresses.private_ipv6'),
      field('addresses.public_ipv4'),
      field('addresses.public_ipv6'),
    ],
    sql` || ' ' || `,
  )}`;
  return precompile((p: { licence: string; node: string; limit: number }) =>
    db
      .selectFrom(
        db
          .selectFrom('nodes')
          .leftJoin('addresses', (j) =>
            j.onRef('addresses.licence', '=', 'nodes.licence').onRef('addresses.node', '=', 'nodes.node'),
          )
          .select(line.as('line'))
          .where((eb) => eb(eb.refTuple('nodes.licence', 'nodes.node'), '>', eb.tuple(p.licence, p.node)))
          .orderBy('nodes.licence')
          .orderBy('nodes.node')
          .limit(p.limit)
          .as('page'),
      )
      .select(sql<string | null>`group_concat(line, char(10))`.as('lines')),
  );
}

/**
 * The journal rows whose serial is in (from, to]. Across the wrap of 2^32 - 1 (RFC 1982:
 * `wrapped`, from >= to) the range is two numeric intervals.
 */
function inSerialRange(p: { from: number; to: number }, wrapped: boolean) {
  return (eb: ExpressionBuilder<Database, 'address_history'>) =>
    wrapped
      ? eb.or([eb('serial', '>', p.from), eb('serial', '<=', p.to)])
      : eb.and([eb('serial', '>', p.from), eb('serial', '<=', p.to)]);
}

/**
 * The zone's reads, precompiled (see precompiled.ts): what every report and every DNS answer
 * reads, and the journal the answer caches follow. The Store runs them through Kysely; the
 * prepared SQLite reads (worker/adapter/sqlite/zone-reads.ts) run the same SQL synchronously.
 */
export function zoneReads(db: Kysely<Database>) {
  const journal = precompile((p: { from: number; to: number }) =>
    db.selectFrom('address_history').select(['serial', 'licence', 'node']).where(inSerialRange(p, false)),
  );
  const journalWrapped = precompile((p: { from: number; to: number }) =>
    db.selectFrom('address_history').select(['serial', 'licence', 'node']).where(inSerialRange(p, true)),
  );
  return {
    serial: precompile(() => db.selectFrom('zone').select('serial').where('id', '=', 1)),
    licenceHasNodes: precompile((p: { licence: string }) =>
      db.selectFrom('nodes').select('node').where('licence', '=', p.licence).limit(1),
    ),
    getNode: precompile((p: { licence: string; node: string }) =>
      nodesWithAddresses(db).where('nodes.licence', '=', p.licence).where('nodes.node', '=', p.node),
    ),
    acmeChallenges: precompile((p: { licence: string; node: string; kind: NameKind }) => newestOf(db, p)),
    /** The journal rows in (from, to]: the nodes whose addresses those serials changed. */
    journal: (p: { from: number; to: number }) => (p.from < p.to ? journal(p) : journalWrapped(p)),
    nodeLines: nodeLines(db),
  };
}

/** A row of `zoneReads().journal`, typed. */
export const journalRowOf = (r: { serial: number | null; licence: string; node: string }): JournalRow => ({
  serial: Number(r.serial),
  licence: r.licence,
  node: r.node,
});

/** A row of `zoneReads().getNode` as the zone sees it. */
export function nodeStateOf(
  row: Pick<NodeTable, 'licence' | 'node' | 'credential_hash' | 'created_at'> & {
    [K in Exclude<keyof AddressTable, 'licence' | 'node'>]: AddressTable[K] | null;
  },
): NodeState {
  return {
    licence: row.licence,
    node: row.node,
    credentialHash: row.credential_hash,
    createdAt: Number(row.created_at),
    addresses: row.private_ipv4 === null ? undefined : toAddresses(row as AddressTable),
  };
}

/** One step of the journal: the serial a change produced and the node it changed. */
export interface JournalRow {
  serial: number;
  licence: string;
  node: string;
}

/** The reads a snapshot offers: what listing the whole zone needs. */
export type SnapshotReads = Pick<Store, 'serial' | 'allAcmeChallenges' | 'nodePage'>;

/** The store as of one moment, unmoved by later writes until released (see OpenSnapshot). */
export interface StoreSnapshot {
  reads: SnapshotReads;
  release(): Promise<void>;
}

/**
 * Opens a read of one version of the data that may span many queries and turns of the event loop
 * (a streamed AXFR is one version of the zone, RFC 5936 §6). The default is a read-only REPEATABLE
 * READ transaction (Postgres); the SQLite adapter passes its own (a second connection).
 */
export type OpenSnapshot = () => Promise<StoreSnapshot>;

/**
 * Liveness of an unchanged report: the time and source, only while the row still holds the
 * addresses the report was compared with (null-safe: IS DISTINCT FROM, as in the migrations).
 */
function touchReport(db: Kysely<Database>) {
  return precompile(
    (p: {
      licence: string;
      node: string;
      at: number;
      source: string | null;
      privateIpv4: string;
      privateIpv6: string | null;
      publicIpv4: string | null;
      publicIpv6: string | null;
      port: number | null;
    }) =>
      db
        .updateTable('addresses')
        .set({ reported_at: p.at, source_address: p.source })
        .where('licence', '=', p.licence)
        .where('node', '=', p.node)
        .where((eb) =>
          eb.not(
            eb.or([
              eb('private_ipv4', 'is distinct from', p.privateIpv4),
              eb('private_ipv6', 'is distinct from', p.privateIpv6),
              eb('public_ipv4', 'is distinct from', p.publicIpv4),
              eb('public_ipv6', 'is distinct from', p.publicIpv6),
              eb('port', 'is distinct from', p.port),
            ]),
          ),
        ),
  );
}

/**
 * The manager's data.
 *
 * ```ts
 * const store = new Store(db, transactionBatch(db));
 * await store.createNode('1234', 'nur1', hash, Date.now());
 * ```
 */
export class Store implements StoreWriter {
  /**
   * For the query files of this folder (acme-challenges.ts, probe-reports.ts, reachability.ts)
   * and tests; routes go through the Store's methods and members.
   */
  readonly db: Kysely<Database>;
  /** Runs compiled writes atomically; store extensions (ACME, probe reports) write through it too. */
  readonly batch: AtomicBatch;
  /** A read of one version across many queries (zone transfers). */
  readonly snapshot: OpenSnapshot;
  /** Probe reports in, the compatibility views out (probe-reports.ts). */
  readonly probeReports: ProbeReports;
  /** The reachability checks' slot and results (reachability.ts). */
  readonly reachability: ReachabilityStore;
  readonly #reads: ReturnType<typeof zoneReads>;
  readonly #nodePages: ReturnType<typeof nodePages>;
  readonly #touch: ReturnType<typeof touchReport>;

  constructor(db: Kysely<Database>, batch: AtomicBatch, snapshot?: OpenSnapshot) {
    this.db = db;
    this.batch = batch;
    this.#reads = zoneReads(db);
    this.#nodePages = nodePages(db);
    this.#touch = touchReport(db);
    this.probeReports = new ProbeReports(this);
    this.reachability = new ReachabilityStore(this);
    this.snapshot =
      snapshot ??
      (async () => {
        const trx = await db
          .startTransaction()
          .setIsolationLevel('repeatable read')
          .setAccessMode('read only')
          .execute();
        return { reads: new Store(trx, batch), release: () => trx.commit().execute() };
      });
  }

  #bumpSerial() {
    return this.db.updateTable('zone').set({ serial: nextSerial }).where('id', '=', 1).compile();
  }

  #selectSerial() {
    return this.db.selectFrom('zone').select('serial').where('id', '=', 1).compile();
  }

  /** A serial bump and its read-back, compiled, for store extensions writing through `batch`. */
  serialQueries() {
    return [this.#bumpSerial(), this.#selectSerial()] as const;
  }

  /** ZoneSource: TXT values at `_acme-challenge.<name>` (worker/store/acme-challenges.ts). */
  async acmeChallenges(licence: string, node: string, kind: NameKind): Promise<string[]> {
    const { rows } = await this.db.executeQuery(this.#reads.acmeChallenges({ licence, node, kind }));
    return rows.map((r) => r.value);
  }

  /** The journal between two serials (see zoneReads), for stores without prepared reads. */
  async journal(from: number, to: number): Promise<JournalRow[]> {
    const { rows } = await this.db.executeQuery(this.#reads.journal({ from, to }));
    return rows.map(journalRowOf);
  }

  /** Every challenge value at once, for listing the whole zone (AXFR, zone files). */
  allAcmeChallenges(): Promise<Map<string, string[]>> {
    return allAcmeChallenges(this.db);
  }

  /** Publish a DNS-01 value (again: a repeat refreshes its age), the newest two kept. */
  addAcmeChallenge(key: ChallengeKey, value: string, at: number): Promise<ChallengeChange> {
    return addAcmeChallenge(this, key, value, at);
  }

  /** Withdraw one value, or all of the name; undefined when there was nothing to withdraw. */
  removeAcmeChallenge(key: ChallengeKey, value: string | undefined): Promise<ChallengeChange | undefined> {
    return removeAcmeChallenge(this, key, value);
  }

  // The acme-dns accounts (worker/store/acme-challenges.ts; routes/acme-dns.ts).
  createAcmeDnsAccount(account: AcmeDnsAccount): Promise<boolean> {
    return createAcmeDnsAccount(this.db, account);
  }

  findAcmeDnsAccount(username: string): Promise<AcmeDnsAccount | undefined> {
    return findAcmeDnsAccount(this.db, username);
  }

  listAcmeDnsAccounts(licence: string, node: string) {
    return listAcmeDnsAccounts(this.db, licence, node);
  }

  deleteAcmeDnsAccount(licence: string, node: string, username: string): Promise<boolean> {
    return deleteAcmeDnsAccount(this.db, licence, node, username);
  }

  async serial(): Promise<number> {
    const row = (await this.db.executeQuery(this.#reads.serial({}))).rows[0];
    if (!row) throw new Error('the zone table has no row: migrations not applied?');
    return Number(row.serial);
  }

  /** Enrol a node (and its licence if new). Returns the new serial, or undefined if it exists. */
  async createNode(licence: string, node: string, credentialHash: string, at: number): Promise<number | undefined> {
    const results = await this.batch([
      this.db
        .insertInto('licences')
        .values({ licence, created_at: at })
        .onConflict((oc) => oc.column('licence').doNothing())
        .compile(),
      this.db
        .insertInto('nodes')
        .values({ licence, node, credential_hash: credentialHash, created_at: at, credential_rotated_at: at })
        .onConflict((oc) => oc.columns(['licence', 'node']).doNothing())
        .compile(),
      this.#bumpSerialIfInserted(licence, node, at),
      this.#selectSerial(),
    ]);
    if (Number(results[1]?.numAffectedRows ?? 0n) === 0) return undefined;
    return Number((results[3]!.rows[0] as { serial: number }).serial);
  }

  // The serial moves only when the node row is new: created_at equal to this call's time and
  // rotated_at as well is how the batch, which cannot branch, sees its own insert.
  #bumpSerialIfInserted(licence: string, node: string, at: number) {
    return this.db
      .updateTable('zone')
      .set({ serial: nextSerial })
      .where('id', '=', 1)
      .where(({ exists, selectFrom }) =>
        exists(
          selectFrom('nodes')
            .select('node')
            .where('licence', '=', licence)
            .where('node', '=', node)
            .where('created_at', '=', at)
            .where('credential_rotated_at', '=', at),
        ),
      )
      .compile();
  }

  async getNode(licence: string, node: string): Promise<NodeState | undefined> {
    const row = (await this.db.executeQuery(this.#reads.getNode({ licence, node }))).rows[0];
    return row && nodeStateOf(row);
  }

  /** Which node holds this credential hash (to tell "wrong node" from "wrong secret"). */
  async nodeByCredentialHash(hash: string): Promise<{ licence: string; node: string } | undefined> {
    return this.db
      .selectFrom('nodes')
      .select(['licence', 'node'])
      .where('credential_hash', '=', hash)
      .executeTakeFirst();
  }

  async licenceHasNodes(licence: string): Promise<boolean> {
    return (await this.db.executeQuery(this.#reads.licenceHasNodes({ licence }))).rows.length > 0;
  }

  async licenceExists(licence: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('licences')
      .select('licence')
      .where('licence', '=', licence)
      .executeTakeFirst();
    return row !== undefined;
  }

  async createLicence(licence: string, at: number): Promise<boolean> {
    const result = await this.db
      .insertInto('licences')
      .values({ licence, created_at: at })
      .onConflict((oc) => oc.column('licence').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async listLicences(): Promise<{ licence: string; createdAt: number; nodes: number }[]> {
    const rows = await this.db
      .selectFrom('licences')
      .leftJoin('nodes', 'nodes.licence', 'licences.licence')
      .select(['licences.licence', 'licences.created_at', (eb) => eb.fn.count<number>('nodes.node').as('nodes')])
      .groupBy(['licences.licence', 'licences.created_at'])
      .orderBy('licences.licence')
      .execute();
    return rows.map((r) => ({ licence: r.licence, createdAt: Number(r.created_at), nodes: Number(r.nodes) }));
  }

  async listNodes(licence: string): Promise<NodeState[]> {
    const rows = await nodesWithAddresses(this.db).where('nodes.licence', '=', licence).orderBy('nodes.node').execute();
    return rows.map(nodeStateOf);
  }

  /**
   * Up to `limit` nodes after `after` in (licence, node) order, with their addresses: keyset pages,
   * so listing the whole zone (AXFR) costs one indexed range scan per page, whatever its size.
   */
  async nodePage(after: { licence: string; node: string } | undefined, limit: number): Promise<NodeState[]> {
    const page = after
      ? this.#nodePages.after({ licence: after.licence, node: after.node, limit })
      : this.#nodePages.first({ limit });
    return (await this.db.executeQuery(page)).rows.map(nodeStateOf);
  }

  /** Delete a node and its records. Returns the new serial, or undefined if there was none. */
  async deleteNode(licence: string, node: string): Promise<number | undefined> {
    const existed = await this.getNode(licence, node);
    if (!existed) return undefined;
    const results = await this.batch([
      this.db.deleteFrom('addresses').where('licence', '=', licence).where('node', '=', node).compile(),
      this.db.deleteFrom('reachability').where('licence', '=', licence).where('node', '=', node).compile(),
      this.db.deleteFrom('nodes').where('licence', '=', licence).where('node', '=', node).compile(),
      this.#bumpSerial(),
      this.#selectSerial(),
    ]);
    return Number((results[4]!.rows[0] as { serial: number }).serial);
  }

  /** Delete a licence with all its nodes. Returns the new serial, or undefined if there was none. */
  async deleteLicence(licence: string): Promise<number | undefined> {
    if (!(await this.licenceExists(licence))) return undefined;
    const results = await this.batch([
      this.db.deleteFrom('addresses').where('licence', '=', licence).compile(),
      this.db.deleteFrom('reachability').where('licence', '=', licence).compile(),
      this.db.deleteFrom('nodes').where('licence', '=', licence).compile(),
      this.db.deleteFrom('licences').where('licence', '=', licence).compile(),
      this.#bumpSerial(),
      this.#selectSerial(),
    ]);
    return Number((results[5]!.rows[0] as { serial: number }).serial);
  }

  /**
   * Replace the node's credential and, in the same batch, revoke its acme-dns accounts: they were
   * registered with the old credential, and a leaked one's accounts must not outlive it. Returns
   * how many accounts were revoked, or undefined when there is no such node.
   */
  async rotateCredential(
    licence: string,
    node: string,
    credentialHash: string,
    at: number,
  ): Promise<number | undefined> {
    const [rotated, revoked] = await this.batch([
      this.db
        .updateTable('nodes')
        .set({ credential_hash: credentialHash, credential_rotated_at: at })
        .where('licence', '=', licence)
        .where('node', '=', node)
        .compile(),
      revokeAcmeDnsAccounts(this.db, licence, node),
    ]);
    if (Number(rotated?.numAffectedRows ?? 0n) === 0) return undefined;
    return Number(revoked?.numAffectedRows ?? 0n);
  }

  /**
   * Store a report atomically: history row (only when something changed), serial bump (idem),
   * current addresses. The batch cannot branch, so "changed" is decided in SQL and the history
   * row's presence is what the serial bump keys on.
   */
  async report(input: ReportInput, historyId: string, signal?: AbortSignal): Promise<ReportResult> {
    return (await this.#unchangedReport(input, signal)) ?? this.#changedReport(input, historyId, signal);
  }

  /**
   * A report that changes nothing the zone serves is liveness only: no history row, no serial
   * move, so no answer anywhere is invalidated. Within REPORTED_AT_RESOLUTION_MS of the stored
   * time, from the same source, it writes nothing at all; past it, one UPDATE of the time and
   * source, guarded by the addresses it compared (a change that won the race makes it a no-op,
   * and the report then takes the full batch). Undefined when the report is a change.
   */
  async #unchangedReport(input: ReportInput, signal?: AbortSignal): Promise<ReportResult | undefined> {
    const stored = (await this.getNode(input.licence, input.node))?.addresses;
    if (!stored) return undefined;
    for (const key of Object.keys(KEPT_COLUMNS) as Kept[])
      if (input[key] !== undefined && input[key] !== stored[key]) return undefined;
    const fresh = input.at >= stored.reportedAt && input.at - stored.reportedAt < REPORTED_AT_RESOLUTION_MS;
    if (fresh && input.sourceAddress === stored.sourceAddress)
      return { serial: await this.serial(), changed: false, addresses: stored };
    const [touched] = await this.batch(
      [this.#touch({ ...stored, licence: input.licence, node: input.node, at: input.at, source: input.sourceAddress })],
      signal,
    );
    if (Number(touched?.numAffectedRows ?? 0n) !== 1) return undefined;
    return {
      serial: await this.serial(),
      changed: false,
      addresses: { ...stored, sourceAddress: input.sourceAddress, reportedAt: input.at },
    };
  }

  async #changedReport(input: ReportInput, historyId: string, signal?: AbortSignal): Promise<ReportResult> {
    // Two SQL shapes per value: "keep the stored one" (undefined) or "set this value"; compiled
    // once per shape in use (the JSON report uses two or four, dyndns2 a few more).
    const kept = new Set((Object.keys(KEPT_COLUMNS) as Kept[]).filter((k) => input[k] === undefined));
    const shape = [...kept].join('/');
    let queries = this.#reportQueries.get(shape);
    if (!queries) {
      queries = this.#buildReportQueries(kept).map((build) => precompile(build));
      this.#reportQueries.set(shape, queries);
    }
    const params: ReportParams = {
      ...input,
      privateIpv4: input.privateIpv4 ?? null,
      privateIpv6: input.privateIpv6 ?? null,
      publicIpv4: input.publicIpv4 ?? null,
      publicIpv6: input.publicIpv6 ?? null,
      port: input.port ?? null,
      historyId,
    };
    const results = await this.batch(
      queries.map((q) => q(params)),
      signal,
    );
    const row = results[4]?.rows[0] as (AddressTable & { zone_serial: number; history_id: string | null }) | undefined;
    if (!row) throw new Error('report batch returned no row');
    return { serial: Number(row.zone_serial), changed: row.history_id !== null, addresses: toAddresses(row) };
  }

  readonly #reportQueries = new Map<string, ((p: ReportParams) => CompiledQuery)[]>();

  #buildReportQueries(kept: ReadonlySet<Kept>): ((p: ReportParams) => Compilable<unknown>)[] {
    // The new value: the stored one (a.<column>) or the reported value.
    const value = <K extends 'privateIpv4' | 'privateIpv6' | 'publicIpv4' | 'publicIpv6'>(p: ReportParams, key: K) =>
      kept.has(key) ? sql<string | null>`a.${sql.ref(KEPT_COLUMNS[key])}` : sql<string | null>`${p[key]}`;

    const insertHistory = (p: ReportParams) =>
      this.db
        .insertInto('address_history')
        .columns([
          'id',
          'licence',
          'node',
          'at',
          'source_address',
          'old_private_ipv4',
          'old_private_ipv6',
          'old_public_ipv4',
          'old_public_ipv6',
          'new_private_ipv4',
          'new_private_ipv6',
          'new_public_ipv4',
          'new_public_ipv6',
        ])
        .expression(
          this.db
            .selectFrom('nodes as n')
            .leftJoin('addresses as a', (j) => j.onRef('a.licence', '=', 'n.licence').onRef('a.node', '=', 'n.node'))
            .select([
              sql<string>`${p.historyId}`.as('id'),
              'n.licence',
              'n.node',
              sql<number>`${p.at}`.as('at'),
              sql<string | null>`${p.sourceAddress}`.as('source_address'),
              'a.private_ipv4',
              'a.private_ipv6',
              'a.public_ipv4',
              'a.public_ipv6',
              value(p, 'privateIpv4').as('new_private_ipv4'),
              value(p, 'privateIpv6').as('new_private_ipv6'),
              value(p, 'publicIpv4').as('new_public_ipv4'),
              value(p, 'publicIpv6').as('new_public_ipv6'),
            ])
            .where('n.licence', '=', p.licence)
            .where('n.node', '=', p.node)
            .where((eb) =>
              eb.or([
                eb('a.private_ipv4', 'is distinct from', value(p, 'privateIpv4')),
                eb('a.private_ipv6', 'is distinct from', value(p, 'privateIpv6')),
                eb('a.public_ipv4', 'is distinct from', value(p, 'publicIpv4')),
                eb('a.public_ipv6', 'is distinct from', value(p, 'publicIpv6')),
              ]),
            ),
        );

    const historyExists = (p: ReportParams) =>
      this.db.selectFrom('address_history').select('id').where('id', '=', p.historyId);

    const bump = (p: ReportParams) =>
      this.db
        .updateTable('zone')
        .set({ serial: nextSerial })
        .where('id', '=', 1)
        .where(({ exists }) => exists(historyExists(p)));

    const stampHistory = (p: ReportParams) =>
      this.db
        .updateTable('address_history')
        .set({ serial: (eb) => eb.selectFrom('zone').select('serial').where('zone.id', '=', 1) })
        .where('id', '=', p.historyId);

    const upsert = (p: ReportParams) =>
      this.db
        .insertInto('addresses')
        .values({
          licence: p.licence,
          node: p.node,
          // NOT NULL is checked before the conflict branch: a kept value is read back here (a node
          // with no row yet must report one; the insert then fails, as it should).
          private_ipv4: kept.has('privateIpv4')
            ? (eb) =>
                eb
                  .selectFrom('addresses')
                  .select('private_ipv4')
                  .where('licence', '=', p.licence)
                  .where('node', '=', p.node)
            : (p.privateIpv4 as string),
          private_ipv6: p.privateIpv6,
          public_ipv4: p.publicIpv4,
          public_ipv6: p.publicIpv6,
          port: p.port,
          source_address: p.sourceAddress,
          reported_at: p.at,
        })
        .onConflict((oc) =>
          oc.columns(['licence', 'node']).doUpdateSet((eb) => ({
            ...Object.fromEntries(
              Object.entries(KEPT_COLUMNS).map(([key, column]) => [
                column,
                eb.ref(`${kept.has(key as Kept) ? 'addresses' : 'excluded'}.${column}`),
              ]),
            ),
            source_address: eb.ref('excluded.source_address'),
            reported_at: eb.ref('excluded.reported_at'),
          })),
        );

    const readBack = (p: ReportParams) =>
      this.db
        .selectFrom('addresses')
        .selectAll()
        .select([
          (eb) => eb.selectFrom('zone').select('serial').where('zone.id', '=', 1).as('zone_serial'),
          (eb) => eb.selectFrom('address_history').select('id').where('id', '=', p.historyId).as('history_id'),
        ])
        .where('licence', '=', p.licence)
        .where('node', '=', p.node);

    return [insertHistory, bump, stampHistory, upsert, readBack];
  }

  /**
   * The history rows with serials in (from, to], across the wrap too: the IXFR journal
   * (worker/transfer/journal.ts).
   */
  historyBetween(from: number, to: number) {
    return this.db
      .selectFrom('address_history')
      .selectAll()
      .where(inSerialRange({ from, to }, from >= to))
      .execute();
  }

  async history(licence: string, node: string, limit: number): Promise<HistoryEntry[]> {
    const rows = await this.db
      .selectFrom('address_history')
      .selectAll()
      .where('licence', '=', licence)
      .where('node', '=', node)
      .orderBy('at', 'desc')
      .limit(limit)
      .execute();
    return rows.map((r) => ({
      at: Number(r.at),
      serial: r.serial === null ? null : Number(r.serial),
      sourceAddress: r.source_address,
      old: {
        privateIpv4: r.old_private_ipv4,
        privateIpv6: r.old_private_ipv6,
        publicIpv4: r.old_public_ipv4,
        publicIpv6: r.old_public_ipv6,
      },
      new: {
        privateIpv4: r.new_private_ipv4,
        privateIpv6: r.new_private_ipv6,
        publicIpv4: r.new_public_ipv4,
        publicIpv6: r.new_public_ipv6,
      },
    }));
  }
}
