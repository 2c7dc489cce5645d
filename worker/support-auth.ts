// The support role: read-only access to probe reports and the ISP compatibility pages, never
// public. Two ways in: a support token the admin issues (a JWT, HS256), or on Workers behind
// Cloudflare Access the Cf-Access-Jwt-Assertion header, verified against the team's JWKS. The
// admin token is accepted too. A node credential is told apart and refused.
import type { Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify, SignJWT } from 'jose';
import type { SupportConfig } from './config.ts';
import { credentialHash, type ManagerEnv } from './context.ts';
import { timingSafeEqual } from './credential.ts';
import { ProblemError } from './problem.ts';

export type SupportCaller = { via: 'admin' } | { via: 'token' | 'access'; subject: string };

export const SUPPORT_COOKIE = 'hairpin_support';
const ISSUER = 'hairpin-manager';
const AUDIENCE = 'hairpin-support';
const SCOPE = 'support:read';
/** Labels the derived key so it can never equal a key used for anything else. */
const DERIVATION_LABEL = 'hairpin support token v1';

function supportConfig(c: Context<ManagerEnv>): SupportConfig {
  return c.get('deps').config.support;
}

async function signingKey(c: Context<ManagerEnv>): Promise<Uint8Array> {
  const { secret } = supportConfig(c);
  if (secret) return new TextEncoder().encode(secret);
  const admin = c.get('deps').config.adminToken;
  if (!admin)
    throw new ProblemError(
      'admin-disabled',
      'support tokens need HAIRPIN_SUPPORT_SECRET or an admin token to derive their key from',
    );
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(admin),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(DERIVATION_LABEL)));
}

/**
 * Sign a read-only support token.
 *
 * ```ts
 * const { token } = await issueSupportToken(c, 'alice@support', 8 * 3600);
 * // curl -H "Authorization: Bearer $token" https://manager/v1/compat
 * ```
 */
export async function issueSupportToken(
  c: Context<ManagerEnv>,
  subject: string,
  ttlSeconds: number,
): Promise<{ token: string; expiresAt: string }> {
  const now = Math.floor(c.get('deps').now() / 1000);
  const token = await new SignJWT({ scope: SCOPE })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(subject)
    .setIssuedAt(now)
    .setExpirationTime(now + ttlSeconds)
    .sign(await signingKey(c));
  return { token, expiresAt: new Date((now + ttlSeconds) * 1000).toISOString() };
}

// One JWKS per team: createRemoteJWKSet caches keys and rate-limits refetches across requests.
const teamKeys = new Map<string, JWTVerifyGetKey>();

function accessIssuer(domain: string): string {
  return (domain.includes('://') ? domain : `https://${domain}`).replace(/\/+$/, '');
}

async function verifyAccess(c: Context<ManagerEnv>, assertion: string): Promise<SupportCaller> {
  const { accessTeamDomain, accessAud } = supportConfig(c);
  if (!accessTeamDomain || !accessAud)
    throw new ProblemError(
      'unauthorized',
      'Cloudflare Access is not configured here (HAIRPIN_ACCESS_TEAM_DOMAIN, HAIRPIN_ACCESS_AUD)',
    );
  const issuer = accessIssuer(accessTeamDomain);
  let keys = teamKeys.get(issuer);
  if (!keys) teamKeys.set(issuer, (keys = createRemoteJWKSet(new URL(`${issuer}/cdn-cgi/access/certs`))));
  try {
    const { payload } = await jwtVerify(assertion, keys, {
      issuer,
      audience: accessAud,
      algorithms: ['RS256', 'ES256'],
    });
    return { via: 'access', subject: String(payload.email ?? payload.sub ?? 'access') };
  } catch (e) {
    throw new ProblemError(
      'unauthorized',
      `the Cloudflare Access assertion is not valid: ${(e as { code?: string }).code ?? (e as Error).message}`,
    );
  }
}

function presentedToken(c: Context<ManagerEnv>): string | undefined {
  const m = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
  return m?.[1] ?? getCookie(c, SUPPORT_COOKIE);
}

/** Check a support token (or the admin token); undefined when it is neither. */
export async function supportCallerFromToken(
  c: Context<ManagerEnv>,
  token: string,
): Promise<SupportCaller | undefined> {
  const admin = c.get('deps').config.adminToken;
  if (admin !== undefined && timingSafeEqual(token, admin)) return { via: 'admin' };
  if (token.split('.').length !== 3) return undefined;
  try {
    const { payload } = await jwtVerify(token, await signingKey(c), {
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithms: ['HS256'],
    });
    return payload.scope === SCOPE ? { via: 'token', subject: String(payload.sub ?? '') } : undefined;
  } catch {
    return undefined;
  }
}

/** Allow the support role only: support token, Access assertion or admin token. */
export async function requireSupport(c: Context<ManagerEnv>): Promise<SupportCaller> {
  const assertion = c.req.header('cf-access-jwt-assertion');
  if (assertion) return verifyAccess(c, assertion);
  const token = presentedToken(c);
  if (!token)
    throw new ProblemError(
      'unauthorized',
      'send "Authorization: Bearer <support token>" (POST /v1/support-tokens issues one)',
    );
  const caller = await supportCallerFromToken(c, token);
  if (caller) return caller;
  if (await c.get('deps').store.nodeByCredentialHash(await credentialHash(c, token))) {
    throw new ProblemError(
      'forbidden',
      'a node credential cannot read support data; ask the admin for a support token',
    );
  }
  throw new ProblemError('unauthorized', 'the support token is not valid (expired, or signed with another key)');
}
