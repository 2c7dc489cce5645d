import { IdentityMismatch } from './errors.ts';

/** What a node answers at `GET /.well-known/hairpin?nonce=…` (served by the node agent). */
export interface NodeIdentity {
  service: 'hairpin';
  licence: string;
  node: string;
  names: { external: string; internal: string; relay?: string };
  nonce: string;
}

export const IDENTITY_PATH = '/.well-known/hairpin';

/**
 * Asks an origin who it is and checks the answer is the node: `service` is "hairpin", the nonce
 * is echoed (no cache, no replay) and the origin's own hostname is one of the node's names (a
 * captive portal or a stale DNS answer pointing elsewhere fails here). Transport errors are
 * thrown as the runtime raised them, for `classify`.
 *
 * @example
 *   const id = await verifyIdentity('https://i-nur1.pl-1234.example.test:8443', { fetch, signal });
 *   console.log(id.node); // "nur1"
 */
export async function verifyIdentity(
  origin: string,
  options: { fetch: typeof fetch; signal?: AbortSignal; init?: RequestInit },
): Promise<NodeIdentity> {
  const nonce = randomNonce();
  const url = new URL(IDENTITY_PATH, origin);
  url.searchParams.set('nonce', nonce);
  const response = await options.fetch(url, {
    ...options.init,
    method: 'GET',
    cache: 'no-store',
    headers: { accept: 'application/json' },
    signal: options.signal ?? null,
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new IdentityMismatch(origin, `HTTP ${response.status}`);
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new IdentityMismatch(origin, 'answer is not JSON');
  }
  const id = body as Partial<NodeIdentity> | null;
  if (id?.service !== 'hairpin') throw new IdentityMismatch(origin, 'service is not "hairpin"');
  if (id.nonce !== nonce) throw new IdentityMismatch(origin, 'nonce not echoed');
  const host = url.hostname.toLowerCase();
  const names = [id.names?.external, id.names?.internal, id.names?.relay]
    .filter((n): n is string => typeof n === 'string')
    .map((n) => n.toLowerCase());
  if (!names.includes(host))
    throw new IdentityMismatch(origin, `${host} is not one of its names (${names.join(', ')})`);
  return id as NodeIdentity;
}

function randomNonce(): string {
  const bytes = new Uint8Array(16);
  // React Native has no crypto without a polyfill; the nonce defeats caches and replays, it is no secret.
  if (globalThis.crypto?.getRandomValues) globalThis.crypto.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
