// Node credentials: 256 random bits shown once, stored as their SHA-256. Web Crypto only, so the
// same code runs on Workers, Node and Deno.

const PREFIX = 'hpn_';

function base64url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function newCredential(): string {
  return PREFIX + base64url(crypto.getRandomValues(new Uint8Array(32)));
}

export async function hashCredential(credential: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(credential)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Compare two strings in time independent of where they differ. */
export function timingSafeEqual(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  let diff = x.length ^ y.length;
  for (let i = 0; i < Math.max(x.length, y.length); i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}
