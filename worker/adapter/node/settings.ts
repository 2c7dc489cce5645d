// The Node manager's settings: the HAIRPIN_* variables it reads, also accepted from an optional
// config file (HAIRPIN_CONFIG) and as command-line flags with the same names (--http-port for
// HAIRPIN_HTTP_PORT). Precedence: flag, then environment, then file.
import { readFile } from 'node:fs/promises';
import type { Env } from '../../config.ts';

/** Every variable the Node manager reads (test/manager/settings.test.ts checks the source against it). */
export const MANAGER_VARIABLES = [
  'HAIRPIN_ZONE',
  'HAIRPIN_ADMIN_TOKEN',
  'HAIRPIN_DB',
  'HAIRPIN_HTTP_HOST',
  'HAIRPIN_HTTP_PORT',
  'HAIRPIN_DNS_HOST',
  'HAIRPIN_DNS_PORT',
  'HAIRPIN_TLS_CERT',
  'HAIRPIN_TLS_KEY',
  'HAIRPIN_EXTERNAL_TEMPLATE',
  'HAIRPIN_INTERNAL_TEMPLATE',
  'HAIRPIN_APPS_TEMPLATE',
  'HAIRPIN_APPS_TARGET',
  'HAIRPIN_ADDRESS_TTL',
  'HAIRPIN_INTERNAL_TTL',
  'HAIRPIN_ZONE_TTL',
  'HAIRPIN_NEGATIVE_TTL',
  'HAIRPIN_NAMESERVERS',
  'HAIRPIN_HOSTMASTER',
  'HAIRPIN_CANARY_PRIVATE_IPV4',
  'HAIRPIN_CANARY_ULA_IPV6',
  'HAIRPIN_CANARY_PUBLIC_IPV4',
  'HAIRPIN_TRUSTED_PROXY_HEADER',
  'HAIRPIN_ASN_LOOKUP',
  'HAIRPIN_SUPPORT_SECRET',
  'HAIRPIN_ACCESS_TEAM_DOMAIN',
  'HAIRPIN_ACCESS_AUD',
  'HAIRPIN_SECONDARIES',
  'HAIRPIN_TSIG_KEY',
  'HAIRPIN_DNS_CACHE',
  'HAIRPIN_DNS_WORKERS',
  'HAIRPIN_HTTP_HEADERS_TIMEOUT_MS',
  'HAIRPIN_HTTP_REQUEST_TIMEOUT_MS',
  'HAIRPIN_HTTP_IDLE_TIMEOUT_MS',
  'HAIRPIN_HTTP_MAX_CONNECTIONS',
  'HAIRPIN_HTTP_MAX_CONNECTIONS_PER_SOURCE',
  'HAIRPIN_HTTP_BACKLOG',
  'HAIRPIN_HTTP_MAX_IN_FLIGHT',
  'HAIRPIN_HTTP_MAX_QUEUED_WRITES',
  'HAIRPIN_HTTP_RETRY_AFTER_SECONDS',
  'HAIRPIN_METRICS_TOKEN',
  'HAIRPIN_METRICS_LISTEN',
  'HAIRPIN_LOG_FORMAT',
  'HAIRPIN_LOG_LEVEL',
  'HAIRPIN_RRL_RATE',
  'HAIRPIN_RRL_SLIP',
  'HAIRPIN_RRL_IPV4_PREFIX',
  'HAIRPIN_RRL_IPV6_PREFIX',
  'HAIRPIN_RRL_TABLE_SIZE',
  'HAIRPIN_RELAY_TARGET',
  'HAIRPIN_RELAY_TEMPLATE',
  'HAIRPIN_RELAY_HOST',
  'HAIRPIN_RELAY_PORT',
  'HAIRPIN_RELAY_MAX_STREAMS',
  'HAIRPIN_RELAY_BYTES_PER_SECOND',
] as const;

const KNOWN: ReadonlySet<string> = new Set(MANAGER_VARIABLES);

export class SettingsError extends Error {
  static readonly code = 'ERR_SETTINGS';
  readonly code = SettingsError.code;
}

/** `HAIRPIN_HTTP_PORT` ↔ `http-port`. */
export const flagName = (variable: string) => variable.slice('HAIRPIN_'.length).toLowerCase().replaceAll('_', '-');
export const variableName = (flag: string) => `HAIRPIN_${flag.toUpperCase().replaceAll('-', '_')}`;

/**
 * A config file: `KEY=VALUE` lines, `#` comments, values optionally quoted ('…' or "…", taken as
 * written: no escapes, no expansion) — the format of systemd's EnvironmentFile= and of
 * `docker run --env-file`, so one file serves all three. Unknown keys are errors, naming the line.
 */
export function parseSettingsFile(text: string, origin: string): Env {
  const settings: Env = {};
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^([A-Z][A-Z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw new SettingsError(`${origin}:${i + 1}: expected KEY=VALUE, got "${line.slice(0, 60)}"`);
    const [, key, value] = m as unknown as [string, string, string];
    if (!KNOWN.has(key)) throw new SettingsError(`${origin}:${i + 1}: unknown setting ${key}`);
    const quoted = /^(['"])(.*)\1$/.exec(value);
    settings[key] = quoted ? quoted[2]! : value;
  });
  return settings;
}

/**
 * The environment the manager starts with: the file's settings, overridden by the environment,
 * overridden by flags (already variable-named).
 *
 * ```ts
 * const env = await managerSettings({ env: process.env, flags: { HAIRPIN_HTTP_PORT: '9000' }, file: '/etc/hairpin/manager.env' });
 * ```
 */
export async function managerSettings(options: { env: Env; flags: Env; file?: string | undefined }): Promise<Env> {
  const file = options.file ?? options.env.HAIRPIN_CONFIG;
  let fromFile: Env = {};
  if (file) {
    const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new SettingsError(
        `cannot read the config file ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`,
      );
    });
    fromFile = parseSettingsFile(text, file);
  }
  // An empty variable is unset, as everywhere in the configuration (an empty value clears nothing).
  const defined = (env: Env) => Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  return { ...fromFile, ...defined(options.env), ...defined(options.flags) };
}
