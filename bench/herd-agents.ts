// One process of the herd benchmark (bench/herd.bench.ts): many real NodeAgents started at once
// against one manager, each with its own node, credential and state directory. Started by the
// benchmark through fork(); reports over IPC what its agents' manager calls got back (status and
// latency by kind of call, the causes of transport errors), when each agent reached each step,
// this process's event-loop delay, and every report the manager acknowledged.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { NodeAgent } from '../agent/agent.ts';
import { DEFAULT_START_JITTER_SECONDS } from '../agent/config.ts';

interface Job {
  manager: string;
  dnsPort: number;
  dir: string;
  nodes: { licence: string; node: string; credential: string; privateIpv4: string }[];
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

function kindOf(method: string, path: string): CallKind {
  if (path === '/dns-query') return 'doh';
  if (path.endsWith('/addresses') && method === 'PUT') return 'report';
  if (path.endsWith('/probe-reports')) return 'probe-report';
  if (/^\/v1\/licences\/[^/]+\/nodes\/[^/]+$/.test(path) && method === 'GET') return 'names';
  return 'other';
}

const newStats = (): CallStats => ({ statuses: {}, latencies: [], errors: {} });
const calls: Record<CallKind, CallStats> = {
  names: newStats(),
  report: newStats(),
  doh: newStats(),
  'probe-report': newStats(),
  other: newStats(),
};
const steps = new Map<string, Steps>();
const nodeOf = (path: string) => /\/nodes\/([^/]+)/.exec(path)?.[1];

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
  const sent = Date.now();
  const s = node ? steps.get(node) : undefined;
  if (s && kind === 'report') s.reportSent ??= sent;
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
  }
};

process.send!({ ready: true });
process.once('message', async (job: Job) => {
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const cpuBefore = process.cpuUsage();
  const agents = job.nodes.map((n) => {
    const certDir = join(job.dir, n.node);
    mkdirSync(certDir, { recursive: true });
    const s: Steps = {};
    steps.set(n.node, s);
    return new NodeAgent(
      {
        manager: job.manager,
        licence: n.licence,
        node: n.node,
        credential: n.credential,
        port: 9,
        certDir,
        // The pairing check asks the manager's own DNS; the hairpin self-test meets a closed port.
        resolver: `127.0.0.1:${job.dnsPort}`,
        hairpinAddress: '127.0.0.1',
        pollSeconds: 3600,
        reportEverySeconds: 3600,
        startJitterSeconds: Number(process.env.BENCH_START_JITTER ?? DEFAULT_START_JITTER_SECONDS),
      },
      {
        detect: async () => ({ privateIpv4: n.privateIpv4, interface: 'eth0' }),
        // The agent's own log lines mark its steps.
        log: (line) => {
          if (line.startsWith('reported ')) s.reported ??= Date.now();
          else if (line.startsWith('pairing: ')) s.decided ??= Date.now();
        },
      },
    );
  });
  const outcomes: PromiseSettledResult<void>[] = [];
  agents.forEach((a, i) =>
    a.start().then(
      (value) => (outcomes[i] = { status: 'fulfilled', value }),
      (reason) => (outcomes[i] = { status: 'rejected', reason }),
    ),
  );
  // The benchmark says when its clock stopped (every node current, or its deadline). The pairing
  // decisions and probe reports run on after that: a bounded wait for them.
  await new Promise((resolve) => process.once('message', resolve));
  const settleBy = Date.now() + Number(process.env.BENCH_SETTLE_MS ?? 30_000);
  while (Date.now() < settleBy && agents.some((a) => a.state.pairing === undefined || !a.state.lastProbeReport))
    await new Promise((r) => setTimeout(r, 250));
  loop.disable();
  const cpu = process.cpuUsage(cpuBefore);
  const acknowledged = agents.flatMap((a, i) =>
    a.state.lastGoodReport?.ok ? [[job.nodes[i]!.node, a.state.addresses?.privateIpv4]] : [],
  );
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
});
