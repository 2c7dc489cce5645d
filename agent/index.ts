// The node agent as a library (Node only): what `hairpin agent` uses, for a node service that
// embeds it instead of running the CLI beside it.

export {
  AddressError,
  type AddressOverride,
  chooseAddresses,
  defaultRouteInterfaces,
  detectAddresses,
  type NodeAddresses,
} from './addresses.ts';
export { type AgentDeps, NodeAgent } from './agent.ts';
export { type AcmeOrder, createNodeCsr, orderCertificate } from './cert/acme.ts';
export { managerDns01 } from './cert/dns01.ts';
export {
  CertificateKeeper,
  type CertificateStatus,
  certificatePaths,
  type KeeperOptions,
  readCertificateStatus,
  renewalTime,
} from './cert/keeper.ts';
export { PropagationError, waitForTxt } from './cert/propagation.ts';
export { type AgentConfig, AgentConfigError, envName, loadAgentConfig } from './config.ts';
export { AgentError, CertificateError } from './errors.ts';
export { type HairpinResult, type HairpinTest, hairpinSelfTest } from './hairpin.ts';
export * from './http/index.ts';
export { dnsmasqForwarding, type LanDnsOptions, type RunningLanDns, startLanDns } from './lan-dns.ts';
export { type AddressReport, ManagerClient, type ManagerClientOptions, ManagerError } from './manager-client.ts';
export {
  decidePairingUrl,
  formatDecision,
  type PairingDecision,
  type PairingInput,
  SERVE_STALE,
} from './pairing.ts';
export { DEFAULT_RETRY, RetryableError, type RetryPolicy, withRetry } from './retry.ts';
