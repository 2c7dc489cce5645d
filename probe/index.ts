// The portable probe: web-standard APIs only. Runtime transports live in probe/adapter/<runtime>.

export { isVerdict, VERDICT_CODES, VERDICTS, type Verdict } from '../contract/verdicts.ts';
export { CANARIES } from '../dns/canary.ts';
export { type Judgement, judgeAddress, judgeText } from './classify.ts';
export { discoverPrefixes, IPV4ONLY_ARPA, type Nat64Prefix, synthesise } from './dns64.ts';
export { dohTransport } from './doh.ts';
export { BadResponse, ProbeError, type ProbeErrorCode, ProbeTimeout, ResolverUnreachable } from './errors.ts';
export {
  type ExtendedErrorEvidence,
  type Observation,
  type ObserveOptions,
  observe,
  type RecordEvidence,
} from './observe.ts';
export { type Check, type CheckRole, type ProbeOptions, type ProbeResult, probeNode } from './probe.ts';
export { type ProbeReportBody, postProbeReport } from './report.ts';
export { parseResolvConf, type ResolvConf } from './resolv-conf.ts';
export {
  checkServeStale,
  STALE_INFO,
  STALE_OUTCOMES,
  type StaleCheck,
  type StaleCheckOptions,
  type StaleOutcome,
} from './serve-stale.ts';
export {
  type DnsTransport,
  firstAnswering,
  parseResolverAddress,
  type ResolverAddress,
  withConcurrency,
  withTcpFallback,
} from './transport.ts';
