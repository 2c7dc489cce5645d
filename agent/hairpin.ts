// The hairpin self-test: from inside the LAN, can the node reach itself through its external
// name (the box's public address and forwarded port)? "Something answered" proves nothing — a
// captive portal, the box's own admin page or another node answer too — so the node asks its
// own /.well-known/hairpin with a fresh nonce and checks the echo and its licence and node.
import { randomBytes } from 'node:crypto';
import { request } from 'node:https';
import type { LookupFunction } from 'node:net';
import { IDENTITY_PATH, identityMismatch } from '../contract/identity.ts';

export interface HairpinTest {
  /** The node's external origin, e.g. `https://nur1.pl-1234.example.test:8443`. */
  origin: string;
  licence: string;
  node: string;
  /** Connect here instead of resolving the name (the public address the manager saw). */
  connectAddress?: string;
  /** Bound (ms); default 3000. A box without hairpin often drops the SYN: only the bound ends it. */
  timeoutMs?: number;
}

export interface HairpinResult {
  hairpins: boolean;
  reason: string;
  elapsedMs: number;
}

/**
 * ```ts
 * const { hairpins, reason } = await hairpinSelfTest({ origin: 'https://nur1.pl-1234.example.test:8443', licence: '1234', node: 'nur1' });
 * ```
 */
export function hairpinSelfTest(test: HairpinTest): Promise<HairpinResult> {
  const started = performance.now();
  const nonce = randomBytes(16).toString('hex');
  const url = new URL(`${IDENTITY_PATH}?nonce=${nonce}`, test.origin);
  const done = (hairpins: boolean, reason: string): HairpinResult => ({
    hairpins,
    reason,
    elapsedMs: Math.round(performance.now() - started),
  });
  const lookup: LookupFunction | undefined = test.connectAddress
    ? (_host, options, callback) => {
        const family = test.connectAddress!.includes(':') ? 6 : 4;
        if ((options as { all?: boolean }).all)
          (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
            { address: test.connectAddress!, family },
          ]);
        else callback(null, test.connectAddress!, family);
      }
    : undefined;
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        timeout: test.timeoutMs ?? 3000,
        // Reachability is the question, not trust: the nonce and identity prove who answered,
        // and the certificate may not be issued yet when pairing first runs.
        rejectUnauthorized: false,
        headers: { accept: 'application/json', host: url.host },
        ...(lookup ? { lookup } : {}),
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          if (body.length > 16_384) req.destroy(new Error('identity answer too large'));
        });
        res.on('end', () => {
          if (res.statusCode !== 200)
            return resolve(done(false, `${url.host} answered HTTP ${res.statusCode}, not the node's identity`));
          let id: unknown;
          try {
            id = JSON.parse(body);
          } catch {
            return resolve(done(false, `${url.host} answered something that is not the node's identity (not JSON)`));
          }
          const mismatch = identityMismatch(id, nonce, test);
          if (mismatch) return resolve(done(false, `${url.host} answered, but not as this node: ${mismatch}`));
          resolve(
            done(
              true,
              `reached itself at ${url.host}${test.connectAddress ? ` via ${test.connectAddress}` : ''} from inside; the nonce came back`,
            ),
          );
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${test.timeoutMs ?? 3000} ms`)));
    req.on('error', (e: NodeJS.ErrnoException) =>
      resolve(
        done(
          false,
          `could not reach ${url.host}${test.connectAddress ? ` via ${test.connectAddress}` : ''} from inside: ${e.code ?? e.message}`,
        ),
      ),
    );
    req.end();
  });
}
