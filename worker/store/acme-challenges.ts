// ACME DNS-01 data: the TXT values served at `_acme-challenge.<node name>` and the acme-dns
// accounts that may set them. Every change moves the zone serial in the same atomic batch, so
// secondaries fed by NOTIFY/IXFR see a challenge as soon as the port-53 server does.
import { type CompiledQuery, type Kysely, sql } from 'kysely';
import type { AcmeDnsAccountTable, Database } from '../../schema/database.ts';
import type { NameKind } from '../names.ts';
import type { StoreWriter } from './batch.ts';

/**
 * Values kept per name, as acme-dns does: an order covering a name and its wildcard, or an
 * order retried while the old value is still cached, needs two at once. A third trims the oldest.
 */
export const VALUES_PER_NAME = 2;

export interface ChallengeKey {
  licence: string;
  node: string;
  kind: NameKind;
}

export interface ChallengeChange {
  /** The values served now, newest first. */
  values: string[];
  serial: number;
}

/** The TXT values for one of a node's names, newest first (`store.acmeChallenges` outside this folder). */
async function acmeChallenges(db: Kysely<Database>, licence: string, node: string, kind: NameKind): Promise<string[]> {
  const rows = await newestOf(db, { licence, node, kind }).execute();
  return rows.map((r) => r.value);
}

/** The values of one name, newest first (ties broken by value, so the order is total). */
export function newestOf(db: Kysely<Database>, key: ChallengeKey) {
  return db
    .selectFrom('acme_challenges')
    .select('value')
    .where('licence', '=', key.licence)
    .where('node', '=', key.node)
    .where('kind', '=', key.kind)
    .orderBy('created_at', 'desc')
    .orderBy('value', 'desc');
}

/** Every challenge value in the zone, keyed by `challengeKey()`: one query for a whole listing. */
export async function allAcmeChallenges(db: Kysely<Database>): Promise<Map<string, string[]>> {
  const rows = await db
    .selectFrom('acme_challenges')
    .select(['licence', 'node', 'kind', 'value'])
    .orderBy('created_at', 'desc')
    .orderBy('value', 'desc')
    .execute();
  const values = new Map<string, string[]>();
  for (const r of rows) {
    const key = challengeKey(r.licence, r.node, r.kind as NameKind);
    values.set(key, [...(values.get(key) ?? []), r.value]);
  }
  return values;
}

export function challengeKey(licence: string, node: string, kind: NameKind): string {
  return `${licence}/${node}/${kind}`;
}

/** Publish a value (again: a repeat refreshes its age) and trim to the newest two. */
export async function addAcmeChallenge(
  store: StoreWriter,
  key: ChallengeKey,
  value: string,
  at: number,
): Promise<ChallengeChange> {
  const { db } = store;
  const [bump, readSerial] = store.serialQueries();
  const results = await store.batch([
    db
      .insertInto('acme_challenges')
      .values({ licence: key.licence, node: key.node, kind: key.kind, value, created_at: at })
      .onConflict((oc) => oc.columns(['licence', 'node', 'kind', 'value']).doUpdateSet({ created_at: at }))
      .compile(),
    db
      .deleteFrom('acme_challenges')
      .where('licence', '=', key.licence)
      .where('node', '=', key.node)
      .where('kind', '=', key.kind)
      .where('value', 'not in', newestOf(db, key).limit(VALUES_PER_NAME))
      .compile(),
    bump,
    readSerial,
  ]);
  return {
    values: await acmeChallenges(db, key.licence, key.node, key.kind),
    serial: Number((results[3]!.rows[0] as { serial: number }).serial),
  };
}

/**
 * Withdraw one value, or every value of the name when `value` is undefined. Returns undefined
 * when there was nothing to withdraw (the serial does not move).
 */
export async function removeAcmeChallenge(
  store: StoreWriter,
  key: ChallengeKey,
  value: string | undefined,
): Promise<ChallengeChange | undefined> {
  const { db } = store;
  const before = await acmeChallenges(db, key.licence, key.node, key.kind);
  if (value === undefined ? before.length === 0 : !before.includes(value)) return undefined;
  let remove = db
    .deleteFrom('acme_challenges')
    .where('licence', '=', key.licence)
    .where('node', '=', key.node)
    .where('kind', '=', key.kind);
  if (value !== undefined) remove = remove.where('value', '=', value);
  const [bump, readSerial] = store.serialQueries();
  const results = await store.batch([remove.compile(), bump, readSerial]);
  return {
    values: await acmeChallenges(db, key.licence, key.node, key.kind),
    serial: Number((results[2]!.rows[0] as { serial: number }).serial),
  };
}

export interface AcmeDnsAccount extends ChallengeKey {
  username: string;
  passwordHash: string;
  subdomain: string;
  allowFrom: string[];
  createdAt: number;
}

/**
 * acme-dns accounts per node. A node needs one or two (one per name, or one per ACME client);
 * the cap bounds what a leaked credential, or a client that registers on every run, can pile up.
 */
export const ACME_DNS_ACCOUNTS_PER_NODE = 10;

/**
 * Store a new account unless the node has `ACME_DNS_ACCOUNTS_PER_NODE` already. The count and the
 * insert are one statement (INSERT … SELECT … WHERE count < cap): exact on SQLite and D1, whose
 * writes are serialised; on Postgres two registrations racing for the last slot may both get in,
 * which still bounds the table. Returns false when nothing was stored (the cap, or the node
 * deleted meanwhile).
 */
export async function createAcmeDnsAccount(db: Kysely<Database>, account: AcmeDnsAccount): Promise<boolean> {
  const result = await db
    .insertInto('acme_dns_accounts')
    .columns(['username', 'password_hash', 'subdomain', 'licence', 'node', 'kind', 'allow_from', 'created_at'])
    .expression(
      db
        .selectFrom('nodes')
        .select([
          sql<string>`${account.username}`.as('username'),
          sql<string>`${account.passwordHash}`.as('password_hash'),
          sql<string>`${account.subdomain}`.as('subdomain'),
          'licence',
          'node',
          sql<string>`${account.kind}`.as('kind'),
          sql<string>`${JSON.stringify(account.allowFrom)}`.as('allow_from'),
          sql<number>`${account.createdAt}`.as('created_at'),
        ])
        .where('licence', '=', account.licence)
        .where('node', '=', account.node)
        .where(
          (eb) =>
            eb
              .selectFrom('acme_dns_accounts')
              .select((c) => c.fn.countAll<number>().as('n'))
              .where('licence', '=', account.licence)
              .where('node', '=', account.node),
          '<',
          ACME_DNS_ACCOUNTS_PER_NODE,
        ),
    )
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
}

function toAccount({ username, subdomain, licence, node, ...row }: AcmeDnsAccountTable): AcmeDnsAccount {
  return {
    username,
    subdomain,
    licence,
    node,
    passwordHash: row.password_hash,
    kind: row.kind as NameKind,
    allowFrom: JSON.parse(row.allow_from) as string[],
    createdAt: Number(row.created_at),
  };
}

export async function findAcmeDnsAccount(db: Kysely<Database>, username: string): Promise<AcmeDnsAccount | undefined> {
  const row = await db.selectFrom('acme_dns_accounts').selectAll().where('username', '=', username).executeTakeFirst();
  return row && toAccount(row);
}

/** A node's accounts, oldest first. */
export async function listAcmeDnsAccounts(
  db: Kysely<Database>,
  licence: string,
  node: string,
): Promise<AcmeDnsAccount[]> {
  const rows = await db
    .selectFrom('acme_dns_accounts')
    .selectAll()
    .where('licence', '=', licence)
    .where('node', '=', node)
    .orderBy('created_at')
    .orderBy('username')
    .execute();
  return rows.map(toAccount);
}

/** Delete one of a node's accounts; false when the node has no account of that name. */
export async function deleteAcmeDnsAccount(
  db: Kysely<Database>,
  licence: string,
  node: string,
  username: string,
): Promise<boolean> {
  const result = await db
    .deleteFrom('acme_dns_accounts')
    .where('licence', '=', licence)
    .where('node', '=', node)
    .where('username', '=', username)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/** Every account of a node, as a query for a store batch (credential rotation revokes them). */
export function revokeAcmeDnsAccounts(db: Kysely<Database>, licence: string, node: string): CompiledQuery {
  return db.deleteFrom('acme_dns_accounts').where('licence', '=', licence).where('node', '=', node).compile();
}
