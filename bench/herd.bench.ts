// npm run bench:herd: a regional power cut ends. 10,000 enrolled nodes whose agents (real agent
// code, bench/herd-agents.ts, several hundred per process) all start at once against one manager
// on SQLite (`hairpin manager`, as npm start runs it). Printed: time until every node is current
// (its reported address stored, so served), acknowledged reports lost, 503/429 answered, the
// kernel's listen drops over the run, peak RSS. Goal: all current within 60 s, 0 lost, 0 drops.
import { fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { spawnManager } from '../test/support/process.ts';

const NODES = Number(process.env.BENCH_NODES ?? 10_000);
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 2);
const DEADLINE_S = Number(process.env.BENCH_DEADLINE ?? 180);
const ADMIN = 'bench-admin';
const LICENCE = '9000';

/** TcpExt counters from /proc/net/netstat (what `nstat -az TcpExtListenDrops` reads). */
function tcpExt(): Record<string, number> {
  const lines = readFileSync('/proc/net/netstat', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('TcpExt:'));
  const [names, values] = lines.map((l) => l.split(/\s+/).slice(1));
  return Object.fromEntries(names!.map((n, i) => [n, Number(values![i])]));
}

function peakRssMb(pid: number): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(hwm) / 1024);
}

const dir = mkdtempSync(join(tmpdir(), 'hairpin-herd-'));
const db = join(dir, 'herd.sqlite');
// Every agent here connects from 127.0.0.1: the per-source cap, meant for one node or one
// attacker per address, would count them as one source.
const manager = await spawnManager({
  HAIRPIN_DB: db,
  HAIRPIN_ADMIN_TOKEN: ADMIN,
  HAIRPIN_HTTP_MAX_CONNECTIONS_PER_SOURCE: '100000',
  HAIRPIN_DNS_PORT: '0',
  HAIRPIN_RRL_RATE: '0',
});
const dnsPort = Number(/udp\+tcp [^:]+:(\d+)/.exec(manager.output())?.[1]);
try {
  const nodes: { licence: string; node: string; credential: string; privateIpv4: string }[] = [];
  const names = Array.from({ length: NODES }, (_, i) => `nur${i + 1}`);
  const enrolStart = Date.now();
  for (let i = 0; i < names.length; i += 50) {
    await Promise.all(
      names.slice(i, i + 50).map(async (node, j) => {
        const res = await fetch(`${manager.url}/v1/licences/${LICENCE}/nodes`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ node }),
        });
        if (res.status !== 201) throw new Error(`enrol ${node}: ${res.status} ${await res.text()}`);
        const n = i + j;
        nodes.push({
          licence: LICENCE,
          node,
          credential: ((await res.json()) as { credential: string }).credential,
          privateIpv4: `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`,
        });
      }),
    );
  }
  console.log(`enrolled ${NODES} nodes in ${((Date.now() - enrolStart) / 1000).toFixed(1)} s`);
  const reader = new DatabaseSync(db, { readOnly: true });
  const current = reader.prepare('SELECT count(*) AS n FROM addresses WHERE licence = ?');
  const stored = reader.prepare('SELECT private_ipv4 AS ip FROM addresses WHERE licence = ? AND node = ?');

  const workers = await Promise.all(
    Array.from({ length: PROCESSES }, async (_, p) => {
      const child = fork(join(import.meta.dirname, 'herd-agents.ts'), {
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        execArgv: ['--disable-warning=ExperimentalWarning'],
        env: { ...process.env, BENCH_MANAGER: manager.url },
      });
      // Loaded (TypeScript stripped, modules imported) before any agent starts: the clock measures the herd.
      await new Promise((resolve) => child.once('message', resolve));
      const result = new Promise<{
        acknowledged: [string, string][];
        failed: number;
        firstFailure?: string;
        statuses: Record<string, number>;
      }>((resolve) => child.once('message', resolve as never));
      return { child, result, rss: 0, share: nodes.filter((_, i) => i % PROCESSES === p), p };
    }),
  );
  const before = tcpExt();
  const started = Date.now();
  for (const w of workers)
    w.child.send({ manager: manager.url, dnsPort, dir: join(dir, `agents-${w.p}`), nodes: w.share });
  let allCurrentS: number | undefined;
  while (Date.now() - started < DEADLINE_S * 1000) {
    for (const w of workers)
      if (w.child.pid && w.child.exitCode === null) w.rss = Math.max(w.rss, peakRssMb(w.child.pid));
    if ((current.get(LICENCE) as { n: number }).n >= NODES) {
      allCurrentS = (Date.now() - started) / 1000;
      break;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  const managerRss = peakRssMb(manager.child.pid!);
  const after = tcpExt();
  const results = await Promise.all(workers.map((w) => w.result));
  const acknowledged = results.flatMap((r) => r.acknowledged);
  const lost = acknowledged.filter(
    ([node, ip]) => (stored.get(LICENCE, node) as { ip: string } | undefined)?.ip !== ip,
  ).length;
  const statuses: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  const failed = results.reduce((s, r) => s + r.failed, 0);
  const currentAtEnd = (current.get(LICENCE) as { n: number }).n;
  const drops = after.ListenDrops! - before.ListenDrops!;
  const overflows = after.ListenOverflows! - before.ListenOverflows!;
  reader.close();
  // The agents stop (and write their last state) before the directory goes.
  await Promise.all(
    workers.map((w) => (w.child.exitCode === null ? new Promise((r) => w.child.once('exit', r)) : undefined)),
  );

  console.log(
    `herd: ${NODES} nodes, ${PROCESSES} agent processes, start jitter ${process.env.BENCH_START_JITTER ?? 'default'} s, one manager on SQLite`,
  );
  console.log(
    `all current after: ${allCurrentS === undefined ? `NOT within ${DEADLINE_S} s (${currentAtEnd} current when every agent had finished starting)` : `${allCurrentS.toFixed(1)} s`}`,
  );
  console.log(
    `reports acknowledged: ${acknowledged.length}; lost: ${lost}; agents whose start failed: ${failed}${results.find((r) => r.firstFailure)?.firstFailure ? ` (first: ${results.find((r) => r.firstFailure)!.firstFailure})` : ''}`,
  );
  console.log(
    `answers to agents by status: ${JSON.stringify(statuses)} (0 = transport error); 503: ${statuses['503'] ?? 0}, 429: ${statuses['429'] ?? 0}`,
  );
  console.log(`kernel listen drops: ${drops} (overflows ${overflows}), host-wide counters over the run`);
  console.log(`peak RSS: manager ${managerRss} MB, agent processes ${workers.map((w) => `${w.rss} MB`).join(', ')}`);
  const met = allCurrentS !== undefined && allCurrentS <= 60 && lost === 0 && drops === 0;
  console.log(`goal: all current within 60 s, 0 lost, 0 listen drops -> ${met ? 'met' : 'NOT met'}`);
} finally {
  await manager.stop();
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
}
