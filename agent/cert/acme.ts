// One certificate for the node's two names through ACME (RFC 8555) DNS-01: the manager serves
// `_acme-challenge.<name>` for both, set with the node's own credential. acme-client speaks the
// protocol; this module decides names, challenge type and the wait for propagation.

import { Agent } from 'node:https';
import * as acme from 'acme-client';
import { CertificateError } from '../errors.ts';
import { type NodeNames, nodeNameList } from '../http/policy.ts';

export interface AcmeOrder {
  directoryUrl: string;
  /** PEM of extra CAs to trust for the ACME server's own HTTPS (a test CA such as Pebble's). */
  directoryCa?: string;
  accountKeyPem: string;
  /** The account URL from an earlier order with this key at this CA (skips a registration). */
  accountUrl?: string;
  /** The certificate key (kept on the node; see ./key.ts). */
  keyPem: string;
  names: NodeNames;
  email?: string;
  /** Publish a DNS-01 value for one of the names and return once the authority serves it. */
  publish(kind: keyof NodeNames, value: string): Promise<void>;
  withdraw(kind: keyof NodeNames, value: string): Promise<void>;
  log?: (line: string) => void;
}

/**
 * The CSR: CN the external name (what the seed asks), SAN both names (RFC 5280 §4.2.1.6: a
 * client checks the SAN, not the CN, so both must be there).
 */
export async function createNodeCsr(names: NodeNames, keyPem: string): Promise<Buffer> {
  const [, csr] = await acme.crypto.createCsr({ commonName: names.external, altNames: nodeNameList(names) }, keyPem);
  return csr;
}

export interface IssuedCertificate {
  /** PEM, leaf first. */
  chain: string;
  accountUrl: string;
}

/**
 * Registered here rather than by auto(): for a key the CA knows already, auto() sends an account
 * "update" holding only termsOfServiceAgreed, which Pebble (rightly) refuses as empty. When the
 * CA knows the key (the account URL file was lost), RFC 8555 §7.3.1 onlyReturnExisting finds it.
 */
async function register(client: acme.Client, email: string | undefined): Promise<void> {
  try {
    await client.createAccount({ termsOfServiceAgreed: true, ...(email ? { contact: [`mailto:${email}`] } : {}) });
  } catch {
    await client.createAccount({ onlyReturnExisting: true });
  }
}

/**
 * Order and fetch the certificate chain.
 *
 * ```ts
 * const { chain } = await orderCertificate({ directoryUrl, accountKeyPem, keyPem, names,
 *   publish: async (kind, value) => { await manager.setChallenge(kind, value); await waitForTxt(...); },
 *   withdraw: (kind, value) => manager.clearChallenge(kind, value).then(() => {}) });
 * ```
 */
export async function orderCertificate(order: AcmeOrder): Promise<IssuedCertificate> {
  const log = order.log ?? (() => {});
  if (order.directoryCa) {
    // acme-client sends everything through its one axios instance: trust is set there.
    acme.axios.defaults.httpsAgent = new Agent({ ca: order.directoryCa });
  }
  const client = new acme.Client({
    directoryUrl: order.directoryUrl,
    accountKey: order.accountKeyPem,
    // Poll order and authorization states briskly at first; the CA's answers come in seconds.
    backoffMin: 250,
    backoffMax: 5_000,
    backoffAttempts: 12,
    ...(order.accountUrl ? { accountUrl: order.accountUrl } : {}),
  });
  if (!order.accountUrl) await register(client, order.email);
  const kindOf = (domain: string): keyof NodeNames => {
    const d = domain.toLowerCase();
    if (d === order.names.external) return 'external';
    if (d === order.names.internal) return 'internal';
    if (d === order.names.relay) return 'relay';
    throw new CertificateError(`the CA asked to validate "${domain}", which is not one of this node's names`);
  };
  const chain = await client.auto({
    csr: await createNodeCsr(order.names, order.keyPem),
    challengePriority: ['dns-01'],
    // We checked the manager's authoritative answer ourselves (publish), which is what the CA
    // asks; acme-client's own check would go through the local resolver and its caches.
    skipChallengeVerification: true,
    challengeCreateFn: async (authz, challenge, keyAuthorization) => {
      if (challenge.type !== 'dns-01')
        throw new CertificateError(`only dns-01 is supported, the CA offered ${challenge.type}`);
      log(`acme: publishing dns-01 for ${authz.identifier.value}`);
      await order.publish(kindOf(authz.identifier.value), keyAuthorization);
    },
    challengeRemoveFn: async (authz, _challenge, keyAuthorization) => {
      await order.withdraw(kindOf(authz.identifier.value), keyAuthorization);
    },
  });
  return { chain, accountUrl: client.getAccountUrl() };
}
