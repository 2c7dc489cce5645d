// One process of the herd benchmark (bench/herd.bench.ts): many real NodeAgents started at once
// against one manager, each with its own node, credential and state directory. Started by the
// benchmark through fork(). For the power-cut scenario it first writes each node's state as the
// cut left it (below, not timed); then, on the benchmark's word, starts every agent and
// reports over IPC what their manager calls got back (status and latency by kind of call, the
// causes of transport errors), when each agent reached each step, this process's event-loop
// delay, and every report the manager acknowledged.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { NodeAgent, PAIRING_EVERY_MS } from '../agent/agent.ts';
import { type AgentConfig, envName, loadAgentConfig } from '../agent/config.ts';
import { internalPairing, pairingResolver } from '../agent/pairing.ts';
import { writeState } from '../agent/state.ts';
import { DEFAULT_INTERNAL_TTL } from '../worker/config.ts';

export interface HerdNode {
  licence: string;
  node: string;
  credential: string;
  privateIpv4: string;
  /** The shop's public address now: the source the manager sees this node's calls come from. */
  publicIpv4: string;
  /** The power-cut scenario: the shop's public address before the cut. */
  publicIpv4BeforeCut?: string;
}

export interface Job {
  manager: string;
  dnsPort: number;
  dir: string;
  nodes: HerdNode[];
  /** The power-cut scenario: how long the power was off. */
  cutMinutes?: number;
}

/** The kinds of call an agent makes to the manager at start. */
export type CallKind = 'names' | 'report' | 'doh' | 'probe-report' | 'other';
/** When (epoch ms) an agent reached each step of its start. */
export type Steps = Partial<Record<'reportSent' | 'reported' | 'decided' | 'probeReported', number>>;

export interface CallStats {
  /** Answers by status; 0 is a transport error. */
  statuses: Record<string, number>;
  /** Milliseconds from send to answer, for answered calls. */
  latencies: number[];
  /** Transport errors by cause (error name and code). */
  errors: Record<string, number>;
}

/** Nodes reporting before the cut at once, per process. */
const BEFORE_CUT_CONCURRENCY = 50;

function kindOf(method: string, path: string): CallKind {
  if (path === '/dns-query') return 'doh';
  if (path.endsWith('/addresses') && method === 'PUT') return 'report';
  if (path.endsWith('/probe-reports')) return 'probe-report';
  if (/^\/v1\/licences\/[^/]+\/nodes\/[^/]+$/.test(path) && method === 'GET') return 'names';
  return 'other';
}

const newStats = (): CallStats => ({ statuses: {}, latencies: [], errors: {} });
const newCalls = (): Record<CallKind, CallStats> => ({
  names: newStats(),
  report: newStats(),
  doh: newStats(),
  'probe-report': newStats(),
  other: newStats(),
});
/** The herd's calls (the life before the cut makes its own, not counted). */
let calls = newCalls();
const steps = new Map<string, Steps>();
/** Each node's public address as the manager should see it: before the cut, then after. */
const sourceOf = new Map<string, string>();
const nodeOf = (path: string) => /\/nodes\/([^/]+)/.exec(path)?.[1];
/** Manager calls and pairing decisions in flight, and when the last began or ended: the run's end waits for quiet. */
const busy = { calls: 0, decisions: 0, lastAt: 0 };

function causeOf(e: unknown): string {
  const error = e as Error & { code?: string; cause?: Error & { code?: string } };
  const inner = error.cause ?? error;
  return [error.name, inner.name !== error.name ? inner.name : '', inner.code ?? ''].filter(Boolean).join(' ');
}

const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const href = String(input instanceof Request ? input.url : input);
  if (!href.startsWith(process.env.BENCH_MANAGER ?? '')) return realFetch(input, init);
  const url = new URL(href);
  const method = init?.method ?? 'GET';
  const kind = kindOf(method, url.pathname);
  const stats = calls[kind];
  const node = nodeOf(url.pathname);
  // Every agent here connects from 127.0.0.1, no public address: the manager, told to trust this
  // header as behind a proxy, takes the shop's address from it, as it would take the source.
  const source = node && sourceOf.get(node);
  if (source) {
    const headers = new Headers(init?.headers);
    headers.set('x-forwarded-for', source);
    init = { ...init, headers };
  }
  const sent = Date.now();
  const s = node ? steps.get(node) : undefined;
  if (s && kind === 'report') s.reportSent ??= sent;
  busy.calls++;
  busy.lastAt = sent;
  try {
    const response = await realFetch(input, init);
    stats.statuses[response.status] = (stats.statuses[response.status] ?? 0) + 1;
    stats.latencies.push(Date.now() - sent);
    if (s && kind === 'probe-report' && response.status === 201) s.probeReported ??= Date.now();
    return response;
  } catch (e) {
    stats.statuses[0] = (stats.statuses[0] ?? 0) + 1;
    const cause = causeOf(e);
    stats.errors[cause] = (stats.errors[cause] ?? 0) + 1;
    throw e;
  } finally {
    busy.calls--;
    busy.lastAt = Date.now();
  }
};

/** The real agent, counting its pairing decisions in flight (whatever starts them). */
class HerdAgent extends NodeAgent {
  override async decidePairing(options?: { resolver?: string }) {
    busy.decisions++;
    busy.lastAt = Date.now();
    try {
      return await super.decidePairing(options);
    } finally {
      busy.decisions--;
      busy.lastAt = Date.now();
    }
  }
}

/**
 * A node's agent configuration as the node's own would be: its settings, through the agent's
 * loader, so every other setting (the 5-minute report, the 60 s poll, the 30 s start jitter) is
 * the default a node runs with.
 */
function configOf(job: Job, n: HerdNode): Promise<AgentConfig> {
  const settings: Record<string, string | number | undefined> = {
    manager: job.manager,
    licence: n.licence,
    node: n.node,
    credential: n.credential,
    port: 9,
    certDir: join(job.dir, n.node),
    // The pairing check asks the manager's own DNS; the hairpin self-test meets a closed port.
    resolver: `127.0.0.1:${job.dnsPort}`,
    hairpinAddress: '127.0.0.1',
    startJitterSeconds: process.env.BENCH_START_JITTER,
  };
  return loadAgentConfig(
    undefined,
    Object.fromEntries(Object.entries(settings).map(([key, value]) => [envName(key), value?.toString()])),
  );
}

/** The node's addresses as the agent detects them: its DHCP lease, the same before the cut and after. */
const detectOf = (n: HerdNode) => async () => ({ privateIpv4: n.privateIpv4, interface: 'eth0' });

/** `run` over `items`, at most `size` at a time. */
async function inPool<T>(items: T[], size: number, run: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      await run(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: size }, worker));
}

/**
 * Each node's state as the cut left it. Its last report is the real agent's: a NodeAgent on a
 * clock set back to that moment (it reports every 5 minutes, so within the 5 before the cut)
 * reports from the shop's public address of then, so the manager stores it through its API, and
 * writes its state (addresses, public address, last report) as it does. Beside it, through the
 * agent's state module and typed as the agent keeps them, the pairing it decided `decidedAgo`
 * before the cut (decisions come hourly: spread over the hour across the fleet) and the probe
 * report that went with it: deciding it for real takes a probe of some twenty DNS questions per
 * node, which made this step as long as a first start (50 s for 2,000 nodes on the shared
 * machine). The agent reads back their kind, verdict and time; the words are those
 * agent/pairing.ts gives an internal decision (the self-test meets a closed port: no hairpin).
 */
async function liveUntilTheCut(job: Job, cutMinutes: number): Promise<void> {
  const cutAt = Date.now() - cutMinutes * 60_000;
  await inPool(job.nodes, BEFORE_CUT_CONCURRENCY, async (n, i) => {
    sourceOf.set(n.node, n.publicIpv4BeforeCut!);
    const config = await configOf(job, n);
    const decidedAgo = Math.floor((i * PAIRING_EVERY_MS) / job.nodes.length);
    const reportedAt = cutAt - (decidedAgo % (config.reportEverySeconds * 1000));
    mkdirSync(config.certDir, { recursive: true });
    const agent = new NodeAgent(config, { detect: detectOf(n), log: () => {}, now: () => reportedAt });
    await agent.checkAddresses();
    const { names } = await agent.view();
    const resolver = (await pairingResolver(config.resolver)).label;
    const decidedAt = new Date(cutAt - decidedAgo).toISOString();
    await writeState(config.certDir, {
      ...agent.state,
      pairing: {
        ...internalPairing({ names, port: config.port }, [n.privateIpv4], resolver),
        internal: { verdict: 'ok', reason: `A ${n.privateIpv4} as published`, resolver, answers: [n.privateIpv4] },
        decidedAt,
      },
      addressTtl: DEFAULT_INTERNAL_TTL,
      lastProbeReport: { at: decidedAt, verdict: 'ok', resolver, hairpins: false },
    });
  });
}

process.send!({ ready: true });
const nextMessage = <T>() => new Promise<T>((resolve) => process.once('message', resolve));
const job = await nextMessage<Job>();
if (job.cutMinutes !== undefined) await liveUntilTheCut(job, job.cutMinutes);
for (const n of job.nodes) sourceOf.set(n.node, n.publicIpv4);
const configs = await Promise.all(job.nodes.map((n) => configOf(job, n)));
process.send!({ prepared: true });
// The benchmark starts its clock, then says so.
await nextMessage();
const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const cpuBefore = process.cpuUsage();
const startedAt = Date.now();
calls = newCalls();
const agents = job.nodes.map((n, i) => {
  mkdirSync(configs[i]!.certDir, { recursive: true });
  const s: Steps = {};
  steps.set(n.node, s);
  return new HerdAgent(configs[i]!, {
    detect: detectOf(n),
    // The agent's own log lines mark its steps.
    log: (line) => {
      if (line.startsWith('reported ')) s.reported ??= Date.now();
      else if (line.startsWith('pairing: ')) s.decided ??= Date.now();
    },
  });
});
const outcomes: PromiseSettledResult<void>[] = [];
agents.forEach((a, i) =>
  a.start().then(
    (value) => (outcomes[i] = { status: 'fulfilled', value }),
    (reason) => (outcomes[i] = { status: 'rejected', reason }),
  ),
);
// The benchmark says when its clock stopped (every node current, or its deadline). The pairing
// decisions and probe reports run on after that: a bounded wait until every agent has started
// and nothing has been in flight for the hairpin self-test's bound (3 s: an internal decision's
// probe report leaves after it).
await nextMessage();
const settleBy = Date.now() + Number(process.env.BENCH_SETTLE_MS ?? 30_000);
const settled = () =>
  Object.keys(outcomes).length === agents.length &&
  busy.calls === 0 &&
  busy.decisions === 0 &&
  Date.now() - busy.lastAt >= 3000;
while (Date.now() < settleBy && !settled()) await new Promise((r) => setTimeout(r, 250));
loop.disable();
const cpu = process.cpuUsage(cpuBefore);
// Reports acknowledged in this run (the state read at start holds the one before the cut).
const acknowledged = agents.flatMap((a, i) => {
  const report = a.state.lastGoodReport;
  return report?.ok && Date.parse(report.at) >= startedAt
    ? [[job.nodes[i]!.node, a.state.addresses?.privateIpv4, a.state.publicIpv4]]
    : [];
});
const verdicts: Record<string, number> = {};
for (const a of agents) {
  const v = a.state.pairing?.internal.verdict ?? 'undecided';
  verdicts[v] = (verdicts[v] ?? 0) + 1;
}
const failed = outcomes
  .filter((o) => o?.status === 'rejected')
  .map((o) => String((o as PromiseRejectedResult).reason?.message ?? o));
// Disconnected once the result is written: a disconnect right after send() dropped the
// result of 5,000 agents (a few MB, still in the pipe) and left the benchmark waiting.
process.send!(
  {
    acknowledged,
    failed: failed.length,
    starting: agents.length - Object.keys(outcomes).length,
    firstFailure: failed[0],
    calls,
    steps: [...steps.values()],
    verdicts,
    loopDelayMs: {
      p50: loop.percentile(50) / 1e6,
      p99: loop.percentile(99) / 1e6,
      max: loop.max / 1e6,
    },
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  },
  () => process.disconnect(),
);
await Promise.all(agents.map((a) => a.stop()));
