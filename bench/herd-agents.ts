// One process of the herd benchmark (bench/herd.bench.ts): many real NodeAgents started at once
// against one manager, each with its own node, credential and state directory. Started by the
// benchmark through fork(); reports what its agents' manager calls got back, and every report the
// manager acknowledged, over IPC.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { NodeAgent } from '../agent/agent.ts';
import { DEFAULT_START_JITTER_SECONDS } from '../agent/config.ts';

interface Job {
  manager: string;
  dnsPort: number;
  dir: string;
  nodes: { licence: string; node: string; credential: string; privateIpv4: string }[];
}

// Every answer the agents' calls to the manager get, counted by status (0: transport error).
const statuses: Record<number, number> = {};
const realFetch = globalThis.fetch;
globalThis.fetch = async (input, init) => {
  const toManager = String(input instanceof Request ? input.url : input).startsWith(process.env.BENCH_MANAGER ?? '');
  try {
    const response = await realFetch(input, init);
    if (toManager) statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    return response;
  } catch (e) {
    if (toManager) {
      statuses[0] = (statuses[0] ?? 0) + 1;
      if (process.env.BENCH_DEBUG && statuses[0] < 3) console.error(String(input), e, (e as Error).cause);
    }
    throw e;
  }
};

process.send!({ ready: true });
process.once('message', async (job: Job) => {
  const agents = job.nodes.map((n) => {
    const certDir = join(job.dir, n.node);
    mkdirSync(certDir, { recursive: true });
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
      { detect: async () => ({ privateIpv4: n.privateIpv4, interface: 'eth0' }), log: () => {} },
    );
  });
  const outcomes = await Promise.allSettled(agents.map((a) => a.start()));
  const acknowledged = agents.flatMap((a, i) =>
    a.state.lastGoodReport?.ok ? [[job.nodes[i]!.node, a.state.addresses?.privateIpv4]] : [],
  );
  const failed = outcomes
    .filter((o) => o.status === 'rejected')
    .map((o) => String((o as PromiseRejectedResult).reason?.message ?? o));
  process.send!({ acknowledged, failed: failed.length, firstFailure: failed[0], statuses });
  await Promise.all(agents.map((a) => a.stop()));
  process.disconnect();
});
