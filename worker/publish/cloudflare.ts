// Publishing to Cloudflare DNS, for the Workers deployment (no port 53 there): after a report,
// enrolment or deletion, the node's names in Cloudflare are made to match what the zone module
// answers, and with an enrolment or a deletion also its licence's app-store name and the canary
// names. Idempotent: list, diff, apply only the difference, so a second run sends no writes.
import { CANARIES } from '../../dns/canary.ts';
import type { DnsRecord } from '../../dns/message.ts';
import { normalizeName } from '../../dns/name.ts';
import type { Env } from '../config.ts';
import type { Zone } from '../zone/answer.ts';
import {
  CloudflareApi,
  type CloudflareApiOptions,
  type CloudflareRecord,
  type PublishedType,
  type RecordInput,
} from './cloudflare-api.ts';

const PUBLISHED: readonly string[] = ['A', 'AAAA', 'CNAME', 'TXT'] satisfies PublishedType[];
/** Marks what the manager wrote, for whoever reads the Cloudflare dashboard. */
export const COMMENT = 'managed by hairpin';
/** Cloudflare's floor for non-enterprise zones; 1 would mean "automatic" (300 s), too long for addresses. */
const MIN_TTL = 60;

export interface PublishResult {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
}

/** Cloudflare wants TXT content as quoted RFC 1035 character-strings; older records are bare. */
function content(record: DnsRecord): string {
  if (record.type !== 'TXT') return String(record.data);
  const strings = Array.isArray(record.data) ? record.data : [record.data];
  return strings.map((s) => `"${String(s).replace(/["\\]/g, '\\$&')}"`).join(' ');
}

const comparable = (type: string, value: string) => (type === 'TXT' && !value.startsWith('"') ? `"${value}"` : value);

/** The records the zone serves at `name`, in Cloudflare's shape. */
async function desiredAt(zone: Zone, name: string): Promise<RecordInput[]> {
  const found = await zone.lookup(name);
  if (found.status !== 'exists') return [];
  return found.records
    .filter((r) => PUBLISHED.includes(r.type))
    .map((r) => ({
      name,
      type: r.type,
      content: content(r),
      ttl: Math.max(MIN_TTL, r.ttl ?? MIN_TTL),
      proxied: false,
      comment: COMMENT,
    }));
}

/**
 * Make Cloudflare hold exactly `desired` among the published types at one name: equal records are
 * kept (their TTL fixed if it drifted), the rest paired off as in-place updates; what is left
 * over is deleted before anything is created, since a CNAME may not share its name.
 */
async function reconcile(
  api: CloudflareApi,
  existing: CloudflareRecord[],
  desired: RecordInput[],
  result: PublishResult,
): Promise<void> {
  const left = existing.filter((r) => PUBLISHED.includes(r.type));
  const todo: RecordInput[] = [];
  for (const want of desired) {
    const i = left.findIndex((r) => r.type === want.type && comparable(r.type, r.content) === want.content);
    if (i < 0) {
      todo.push(want);
      continue;
    }
    const [have] = left.splice(i, 1);
    if (have!.ttl === want.ttl) result.unchanged++;
    else {
      await api.update(have!.id, { ttl: want.ttl });
      result.updated++;
    }
  }
  const creates: RecordInput[] = [];
  for (const want of todo) {
    const i = left.findIndex((r) => r.type === want.type);
    if (i < 0) {
      creates.push(want);
      continue;
    }
    const [have] = left.splice(i, 1);
    await api.update(have!.id, want);
    result.updated++;
  }
  for (const stale of left) {
    await api.delete(stale.id);
    result.deleted++;
  }
  for (const want of creates) {
    await api.create(want);
    result.created++;
  }
}

/** List each name in Cloudflare and reconcile it with the zone. */
async function reconcileNames(
  api: CloudflareApi,
  zone: Zone,
  names: readonly string[],
  result: PublishResult,
): Promise<void> {
  const byName = new Map(await Promise.all(names.map(async (n) => [n, await api.list({ name: n })] as const)));
  for (const [name, existing] of byName) await reconcile(api, existing, await desiredAt(zone, name), result);
}

/** The names a node owns in the zone: its two (or three, with the relay) names and their ACME challenge names. */
function nodeOwnedNames(zone: Zone, licence: string, node: string): string[] {
  const owned = Object.values(zone.config.names.nodeNames(licence, node));
  return [...owned, ...owned.map((name) => `_acme-challenge.${name}`)];
}

/**
 * Names whose records follow from nodes coming and going: the licence's app-store name (it exists
 * while the licence has nodes) and the canaries, which the Worker has no other moment to publish.
 */
function sharedNames(zone: Zone, licence: string): string[] {
  const { names } = zone.config;
  return [names.appsName(licence), ...Object.values(CANARIES).map((canary) => `${canary}.${names.zone}`)];
}

/**
 * Push one node's records (or, with node undefined, every name of a deleted licence) to
 * Cloudflare.
 *
 * ```ts
 * const api = new CloudflareApi({ apiToken, zoneId });
 * await publishNode(api, zone, '1234', 'nur1'); // { created: 3, updated: 0, deleted: 0, unchanged: 0 }
 * ```
 */
export async function publishNode(
  api: CloudflareApi,
  zone: Zone,
  licence: string,
  node: string | undefined,
): Promise<PublishResult> {
  const result: PublishResult = { created: 0, updated: 0, deleted: 0, unchanged: 0 };
  if (node !== undefined) {
    await reconcileNames(api, zone, nodeOwnedNames(zone, licence, node), result);
    // Records created or deleted mean the node came or went (a report only updates in place).
    if (result.created > 0 || result.deleted > 0) await reconcileNames(api, zone, sharedNames(zone, licence), result);
    return result;
  }
  // A whole licence went: find its names among everything published (one paginated walk).
  const { names } = zone.config;
  const byName = new Map<string, CloudflareRecord[]>();
  for (const record of await api.list()) {
    const name = normalizeName(record.name);
    const owner = names.parse(name.replace(/^_acme-challenge\./, ''))?.licence ?? names.parseApps(name);
    if (owner === licence) byName.set(name, [...(byName.get(name) ?? []), record]);
  }
  for (const [name, existing] of byName) await reconcile(api, existing, await desiredAt(zone, name), result);
  return result;
}

/**
 * The Workers entry's ManagerDeps.onZoneChange when CLOUDFLARE_API_TOKEN and CLOUDFLARE_ZONE_ID
 * are bound, else undefined.
 */
export function cloudflarePublisher(
  env: Env,
  zone: Zone,
  options: Partial<CloudflareApiOptions> = {},
): ((licence: string, node: string | undefined) => Promise<void>) | undefined {
  const { CLOUDFLARE_API_TOKEN: apiToken, CLOUDFLARE_ZONE_ID: zoneId } = env;
  if (!apiToken || !zoneId) return undefined;
  const api = new CloudflareApi({ apiToken, zoneId, ...options });
  return async (licence, node) => {
    await publishNode(api, zone, licence, node);
  };
}
