// Who may transfer the zone and who gets told of changes, from the environment:
//   HAIRPIN_SECONDARIES="192.0.2.53 [2001:db8::53]:5300 127.0.0.1:5301"  (NOTIFY targets, transfer ACL)
//   HAIRPIN_TSIG_KEY="transfer.example.test:hmac-sha256:<base64 secret>"
import { canonicalIpv6, isIpv4, isIpv6, unmapIpv4 } from '../../dns/address.ts';
import { isValidHostName, normalizeName } from '../../dns/name.ts';
import { ConfigError, type Env } from '../config.ts';
import { HMAC_SHA256, type TsigKey } from './tsig.ts';

export interface Secondary {
  address: string;
  port: number;
}

export interface TransferConfig {
  secondaries: Secondary[];
  key: TsigKey | undefined;
}

/** `192.0.2.53`, `192.0.2.53:5300`, `2001:db8::53` or `[2001:db8::53]:5300`; port 53 by default. */
export function parseSecondary(spec: string): Secondary {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(spec);
  const v4 = /^([\d.]+)(?::(\d+))?$/.exec(spec);
  const [address = '', port = '53'] = bracketed ? [bracketed[1], bracketed[2]] : v4 ? [v4[1], v4[2]] : [spec];
  const n = Number(port);
  if (!(isIpv4(address) || isIpv6(address)) || !Number.isInteger(n) || n < 1 || n > 65535) {
    throw new ConfigError(`HAIRPIN_SECONDARIES: "${spec}" is not address[:port]`);
  }
  return { address: isIpv6(address) ? canonicalIpv6(address) : address, port: n };
}

function base64(text: string): Uint8Array {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text)) throw new ConfigError('HAIRPIN_TSIG_KEY: the secret is not base64');
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** `name:hmac-sha256:base64secret` (the order of Knot's `keymgr` output, not dig's `-y`). */
export function parseTsigKey(spec: string): TsigKey {
  const [name = '', algorithm = '', secret = ''] = spec.split(':');
  if (!isValidHostName(name)) throw new ConfigError(`HAIRPIN_TSIG_KEY: invalid key name "${name}"`);
  if (algorithm.toLowerCase() !== HMAC_SHA256)
    throw new ConfigError(`HAIRPIN_TSIG_KEY: only ${HMAC_SHA256} is supported, got "${algorithm}"`);
  const bytes = base64(secret);
  // RFC 8945 §6: a key shorter than the hash output weakens the MAC.
  if (bytes.length < 32) throw new ConfigError('HAIRPIN_TSIG_KEY: the secret must be at least 32 bytes (256 bits)');
  return { name: normalizeName(name), algorithm: HMAC_SHA256, secret: bytes };
}

/**
 * ```ts
 * const transfer = transferConfigFromEnv({ HAIRPIN_SECONDARIES: '127.0.0.1:5301', HAIRPIN_TSIG_KEY: 'k:hmac-sha256:...' });
 * ```
 */
export function transferConfigFromEnv(env: Env): TransferConfig {
  const specs = (env.HAIRPIN_SECONDARIES ?? '').split(/[\s,]+/).filter(Boolean);
  return {
    secondaries: specs.map(parseSecondary),
    key: env.HAIRPIN_TSIG_KEY ? parseTsigKey(env.HAIRPIN_TSIG_KEY) : undefined,
  };
}

/** Is this peer one of the secondaries (by address: a transfer's source port is ephemeral)? */
export function isSecondary(config: TransferConfig, peer: string | undefined): boolean {
  if (!peer) return false;
  const address = unmapIpv4(peer);
  const canonical = isIpv6(address) ? canonicalIpv6(address) : address;
  return config.secondaries.some((s) => s.address === canonical);
}
