// Publishing to Cloudflare DNS, for the Workers deployment (no port 53 there): after a report,
// enrolment or deletion, the node's names in Cloudflare are made to match what the zone module
// answers. Idempotent: list, diff, apply only the difference, so a second run sends no writes.
import type { DnsRecord } from '../../dns/message.ts';
import { normalizeName } from '../../dns/name.ts';
import type { Env } from '../config.ts';
import type { Zone } from '../zone/answer.ts';
import { CloudflareApi, type CloudflareApiOptions, type CloudflareRecord, type PublishedType, type RecordInput } from './cloudflare-api.ts';

const PUBLISHED: readonly string[] = ['A', 'AAAA', 'TXT'] satisfies PublishedType[];
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
    .map((r) => ({ name, type: r.type, content: content(r), ttl: Math.max(MIN_TTL, r.ttl ?? MIN_TTL), proxied: false, comment: COMMENT }));
}

/**
 * Make Cloudflare hold exactly `desired` among the published types at one name: equal records are
 * kept (their TTL fixed if it drifted), the rest paired off as updates, then creates or deletes.
 */
async function reconcile(api: CloudflareApi, existing: CloudflareRecord[], desired: RecordInput[], result: PublishResult): Promise<void> {
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
  for (const want of todo) {
    const i = left.findIndex((r) => r.type === want.type);
    if (i >= 0) {
      const [have] = left.splice(i, 1);
      await api.update(have!.id, want);
      result.updated++;
    } else {
      await api.create(want);
      result.created++;
    }
  }
  for (const stale of left) {
    await api.delete(stale.id);
    result.deleted++;
  }
}

/** The names a node owns in the zone: its two names and their ACME challenge names. */
function nodeOwnedNames(zone: Zone, licence: string, node: string): string[] {
  const { external, internal } = zone.config.names.nodeNames(licence, node);
  return [external, internal, `_acme-challenge.${external}`, `_acme-challenge.${internal}`];
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
export async function publishNode(api: CloudflareApi, zone: Zone, licence: string, node: string | undefined): Promise<PublishResult> {
  const result: PublishResult = { created: 0, updated: 0, deleted: 0, unchanged: 0 };
  let byName: Map<string, CloudflareRecord[]>;
  if (node !== undefined) {
    const names = nodeOwnedNames(zone, licence, node);
    byName = new Map(await Promise.all(names.map(async (n) => [n, await api.list({ name: n })] as const)));
  } else {
    // A whole licence went: find its names among everything published (one paginated walk).
    byName = new Map();
    for (const record of await api.list()) {
      const name = normalizeName(record.name);
      const owner = zone.config.names.parse(name.replace(/^_acme-challenge\./, ''));
      if (owner?.licence === licence) byName.set(name, [...(byName.get(name) ?? []), record]);
    }
  }
  for (const [name, existing] of byName) await reconcile(api, existing, await desiredAt(zone, name), result);
  return result;
}

/**
 * The Workers entry's ManagerDeps.onZoneChange when CLOUDFLARE_API_TOKEN and CLOUDFLARE_ZONE_ID
 * are bound, else undefined.
 */
export function cloudflarePublisher(env: Env, zone: Zone, options: Partial<CloudflareApiOptions> = {}): ((licence: string, node: string | undefined) => Promise<void>) | undefined {
  const { CLOUDFLARE_API_TOKEN: apiToken, CLOUDFLARE_ZONE_ID: zoneId } = env;
  if (!apiToken || !zoneId) return undefined;
  const api = new CloudflareApi({ apiToken, zoneId, ...options });
  return async (licence, node) => {
    await publishNode(api, zone, licence, node);
  };
}
