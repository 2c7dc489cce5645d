// Keeps the node's certificate: obtains it when missing or not covering both names, renews it at
// two thirds of its lifetime (with jitter, so a fleet enrolled the same day does not renew in
// the same minute), writes chain and key atomically, and runs the reload hook after each change.

import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as acme from 'acme-client';
import { type NodeNames, nodeNameList } from '../http/policy.ts';
import { backoffDelay } from '../retry.ts';
import { type AcmeOrder, orderCertificate } from './acme.ts';
import { writeFileAtomic } from './files.ts';
import { ensureKey } from './key.ts';

export interface CertificatePaths {
  /** The certificate key, 0600, kept across renewals. */
  key: string;
  /** Leaf then intermediates (what a TLS server loads as `cert`). */
  chain: string;
  /** The ACME account key, 0600. */
  account: string;
  /** Which CA knows that key under which account URL. */
  accountUrl: string;
}

export function certificatePaths(dir: string): CertificatePaths {
  return {
    key: join(dir, 'key.pem'),
    chain: join(dir, 'fullchain.pem'),
    account: join(dir, 'account-key.pem'),
    accountUrl: join(dir, 'account.json'),
  };
}

export interface CertificateStatus {
  path: string;
  names: string[];
  notBefore: string;
  notAfter: string;
  /** When the keeper will renew it (ISO time). */
  renewAt: string;
}

export interface KeeperOptions {
  dir: string;
  names: NodeNames;
  order: Omit<AcmeOrder, 'accountKeyPem' | 'keyPem' | 'names'>;
  /** Shell command run after each new certificate (e.g. `systemctl reload myservice`). */
  reloadCommand?: string;
  /** Called after each new certificate, after the command. */
  onRenewed?: (status: CertificateStatus) => void | Promise<void>;
  random?: () => number;
  now?: () => number;
  log?: (line: string) => void;
}

/**
 * Two thirds of the lifetime, ± 1/30 of it: a 90-day certificate renews between day 57 and 63,
 * leaving a month for failures to be retried and noticed (Let's Encrypt's own advice).
 */
export function renewalTime(notBefore: number, notAfter: number, random: () => number = Math.random): number {
  const lifetime = notAfter - notBefore;
  return Math.round(notBefore + (lifetime * 2) / 3 + ((random() * 2 - 1) * lifetime) / 30);
}

const run = promisify(execFile);

/** Failed renewals: full jitter under 1 min doubling to 1 h. */
const RENEWAL_RETRY = { baseMs: 60_000, maxMs: 3_600_000 };

/**
 * The certificate at `path` (undefined when there is none), with its renewal time for a given
 * jitter draw (0.5: exactly two thirds).
 */
export async function readCertificateStatus(path: string, jitter = 0.5): Promise<CertificateStatus | undefined> {
  const pem = await readFile(path, 'utf8').catch(() => undefined);
  if (!pem) return undefined;
  const info = acme.crypto.readCertificateInfo(pem);
  const names = [
    ...new Set([info.domains.commonName, ...info.domains.altNames].filter(Boolean).map((n) => n.toLowerCase())),
  ];
  return {
    path,
    names,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    renewAt: new Date(renewalTime(info.notBefore.getTime(), info.notAfter.getTime(), () => jitter)).toISOString(),
  };
}

/**
 * ```ts
 * const keeper = new CertificateKeeper({ dir: '/var/lib/hairpin', names, order: { directoryUrl, publish, withdraw },
 *   reloadCommand: 'systemctl reload myservice' });
 * await keeper.ensure();      // obtains or renews when due
 * keeper.schedule();          // and keeps doing so
 * ```
 */
export class CertificateKeeper {
  readonly options: KeeperOptions;
  readonly paths: CertificatePaths;
  readonly #jitter: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: KeeperOptions) {
    this.options = options;
    this.paths = certificatePaths(options.dir);
    // Drawn once per keeper so that repeated checks agree on one renewal time.
    this.#jitter = (options.random ?? Math.random)();
  }

  status(): Promise<CertificateStatus | undefined> {
    return readCertificateStatus(this.paths.chain, this.#jitter);
  }

  /** Why a new certificate is needed now, or undefined when the current one will do. */
  async #reason(status: CertificateStatus | undefined): Promise<string | undefined> {
    if (!status) return 'no certificate yet';
    const wanted = nodeNameList(this.options.names);
    if (!wanted.every((name) => status.names.includes(name)))
      return `it names ${status.names.join(', ')}, not every node name (${wanted.join(', ')})`;
    if ((this.options.now ?? Date.now)() >= Date.parse(status.renewAt))
      return `renewal time ${status.renewAt} has come`;
    return undefined;
  }

  /** Obtain or renew if due (or if `force`); returns what was done. */
  async ensure(
    options: { force?: boolean } = {},
  ): Promise<{ renewed: boolean; reason?: string; status: CertificateStatus }> {
    const log = this.options.log ?? (() => {});
    const current = await this.status();
    const reason = options.force ? 'forced' : await this.#reason(current);
    if (!reason) return { renewed: false, status: current! };
    log(`certificate: ordering (${reason})`);
    await mkdir(this.options.dir, { recursive: true, mode: 0o700 });
    const [keyPem, accountKeyPem] = await Promise.all([ensureKey(this.paths.key), ensureKey(this.paths.account)]);
    const { directoryUrl } = this.options.order;
    const known = await readFile(this.paths.accountUrl, 'utf8').then(
      (t) => JSON.parse(t) as { directoryUrl: string; accountUrl: string },
      () => undefined,
    );
    const accountUrl = known?.directoryUrl === directoryUrl ? known.accountUrl : undefined;
    const order = { ...this.options.order, names: this.options.names, keyPem, accountKeyPem };
    const issued = await orderCertificate({ ...order, ...(accountUrl ? { accountUrl } : {}) }).catch((e: Error) => {
      // A CA that forgot the account (reset test CA, deactivated account): register again, once.
      if (!accountUrl || !/account/i.test(e.message)) throw e;
      log(`certificate: the CA no longer knows account ${accountUrl}; registering again`);
      return orderCertificate(order);
    });
    if (issued.accountUrl !== accountUrl)
      await writeFileAtomic(
        this.paths.accountUrl,
        JSON.stringify({ directoryUrl, accountUrl: issued.accountUrl }),
        0o644,
      );
    await writeFileAtomic(this.paths.chain, issued.chain, 0o644);
    const status = (await this.status())!;
    log(`certificate: new, valid until ${status.notAfter}, renewal at ${status.renewAt}`);
    await this.#reload(status);
    return { renewed: true, reason, status };
  }

  async #reload(status: CertificateStatus): Promise<void> {
    if (this.options.reloadCommand) {
      await run('/bin/sh', ['-c', this.options.reloadCommand], {
        timeout: 60_000,
        env: {
          ...process.env,
          HAIRPIN_CERT_CHAIN: this.paths.chain,
          HAIRPIN_CERT_KEY: this.paths.key,
          HAIRPIN_CERT_NOT_AFTER: status.notAfter,
        },
      });
    }
    await this.options.onRenewed?.(status);
  }

  /**
   * Keep the certificate current: wake at the renewal time (re-checked at least daily, so a
   * clock jump or a replaced file is noticed), retry failures with full jitter under a ceiling
   * from 1 minute doubling to 1 hour, so nodes that failed together (the ACME server down) do not
   * come back together.
   */
  schedule(onError: (e: unknown) => void = () => {}): void {
    let failures = 0;
    const tick = async () => {
      let wait: number;
      try {
        const { status } = await this.ensure();
        failures = 0;
        wait = Date.parse(status.renewAt) - (this.options.now ?? Date.now)();
      } catch (e) {
        onError(e);
        wait = backoffDelay(failures++, RENEWAL_RETRY);
      }
      this.#timer = setTimeout(tick, Math.max(1_000, Math.min(wait, 86_400_000)));
      this.#timer.unref();
    };
    this.#timer = setTimeout(tick, 0);
    this.#timer.unref();
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
