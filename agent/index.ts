// The node agent as a library (Node only): what `hairpin agent` uses, for a node service that
// embeds it instead of running the CLI beside it.
export { NodeAgent, type AgentDeps } from './agent.ts';
export { loadAgentConfig, envName, AgentConfigError, type AgentConfig } from './config.ts';
export { detectAddresses, chooseAddresses, defaultRouteInterfaces, AddressError, type NodeAddresses, type AddressOverride } from './addresses.ts';
export { ManagerClient, ManagerError, type AddressReport, type ManagerClientOptions } from './manager-client.ts';
export { withRetry, RetryableError, DEFAULT_RETRY, type RetryPolicy } from './retry.ts';
export { hairpinSelfTest, type HairpinTest, type HairpinResult } from './hairpin.ts';
export { decidePairingUrl, formatDecision, type PairingInput, type PairingDecision } from './pairing.ts';
export { CertificateKeeper, readCertificateStatus, renewalTime, certificatePaths, type CertificateStatus, type KeeperOptions } from './cert/keeper.ts';
export { orderCertificate, createNodeCsr, type AcmeOrder } from './cert/acme.ts';
export { managerDns01 } from './cert/dns01.ts';
export { waitForTxt, PropagationError } from './cert/propagation.ts';
export * from './http/index.ts';
