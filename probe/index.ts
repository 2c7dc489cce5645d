// The portable probe: web-standard APIs only. Runtime transports live in probe/adapter/<runtime>.
export { VERDICTS, VERDICT_CODES, isVerdict, type Verdict } from './verdicts.ts';
export { ProbeError, type ProbeErrorCode } from './errors.ts';
export { parseResolverAddress, withTcpFallback, firstAnswering, type DnsTransport, type ResolverAddress } from './transport.ts';
export { parseResolvConf, type ResolvConf } from './resolv-conf.ts';
export { observe, type Observation, type ObserveOptions, type RecordEvidence, type ExtendedErrorEvidence } from './observe.ts';
export { judgeAddress, judgeText, type Judgement } from './classify.ts';
export { dohTransport } from './doh.ts';
export { CANARIES } from '../dns/canary.ts';
export { probeNode, type ProbeResult, type ProbeOptions, type Check, type CheckRole } from './probe.ts';
export { postProbeReport, type ProbeReportBody } from './report.ts';
