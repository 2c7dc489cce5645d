// DNS-01 through the manager: set the value with the node's credential, then wait until the
// manager's authoritative server serves it (./propagation.ts) before the CA is told to look.
import type { DnsTransport } from '../../probe/index.ts';
import type { NodeNames } from '../http/policy.ts';
import type { ManagerClient } from '../manager-client.ts';
import type { AcmeOrder } from './acme.ts';
import { type PropagationOptions, waitForTxt } from './propagation.ts';

/**
 * ```ts
 * const { publish, withdraw } = managerDns01(manager, resolverTransport('192.0.2.53'), names);
 * ```
 */
export function managerDns01(
  manager: ManagerClient,
  authority: DnsTransport,
  names: NodeNames,
  options: PropagationOptions = {},
): Pick<AcmeOrder, 'publish' | 'withdraw'> {
  return {
    async publish(kind, value) {
      await manager.setChallenge(kind, value);
      await waitForTxt(authority, `_acme-challenge.${names[kind]!}`, value, options);
    },
    async withdraw(kind, value) {
      await manager.clearChallenge(kind, value);
    },
  };
}
