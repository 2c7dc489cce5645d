// npm run bench:herd: a regional power cut ends. 10,000 enrolled nodes whose agents (real agent
// code, bench/herd-agents.ts, several hundred per process) all start at once against one manager
// on SQLite (`hairpin manager`, as npm start runs it). Printed: time until every node is current
// (its reported address stored, so served), acknowledged reports lost, 503/429 answered, the
// kernel's listen drops over the run, peak RSS. Goal: all current within 60 s, 0 lost, 0 drops.
//
// BENCH_SCENARIO=power-cut (the default): the nodes ran before the cut. Each agent's state
// directory holds what it wrote then, and the manager's store the address it reported, from the
// shop's public address of then; the box comes back with a new one (most French ISPs hand out a
// new address on reconnect), the private address stays (the DHCP lease is renewed): every
// node's report is a change the manager must commit. BENCH_SCENARIO=first-start: brand-new
// nodes, empty state directories, nothing stored (their first report and first pairing).
import { fork } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { spawnManager } from '../test/support/process.ts';
import type { CallKind, CallStats, HerdNode, Job, Steps } from './herd-agents.ts';

const NODES = Number(process.env.BENCH_NODES ?? 10_000);
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 2);
const DEADLINE_S = Number(process.env.BENCH_DEADLINE ?? 180);
const SCENARIO = process.env.BENCH_SCENARIO ?? 'power-cut';
if (SCENARIO !== 'power-cut' && SCENARIO !== 'first-start')
  throw new Error(`BENCH_SCENARIO must be power-cut or first-start, got ${SCENARIO}`);
/**
 * How long the power was off: longer than the agent's 5-minute periodic report, so every node
 * reports at once on its return; shorter than its pairing hour, so the decisions the nodes made
 * over the hour before the cut are partly due again, partly not.
 */
const CUT_MINUTES = Number(process.env.BENCH_CUT_MINUTES ?? 30);
const ADMIN = 'bench-admin';
const LICENCE = '9000';
/**
 * The shops' public addresses, one per node, from the benchmarking range (RFC 2544), which the
 * manager takes as public: 198.18.0.0/16 before the cut, 198.19.0.0/16 since.
 */
const PUBLIC_BEFORE_CUT = '198.18';
const PUBLIC_NOW = '198.19';
if (NODES > 65_536) throw new Error('BENCH_NODES: at most 65,536 (one public address each in a /16)');
const publicIpv4 = (prefix: string, n: number) => `${prefix}.${(n >> 8) & 255}.${n & 255}`;

/** TcpExt counters from /proc/net/netstat (what `nstat -az TcpExtListenDrops` reads). */
function tcpExt(): Record<string, number> {
  const lines = readFileSync('/proc/net/netstat', 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('TcpExt:'));
  const [names, values] = lines.map((l) => l.split(/\s+/).slice(1));
  return Object.fromEntries(names!.map((n, i) => [n, Number(values![i])]));
}

/** CPU seconds a process has used (utime + stime from /proc/PID/stat, in clock ticks of 10 ms). */
function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]! : Number.NaN;
}

/** p50 / p90 / p99 / max of `values`, in seconds when they are ms. */
function spread(values: number[], unit = 1000): string {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return 'none';
  const f = (v: number) => (v / unit).toFixed(unit === 1 ? 0 : 1);
  return `n ${sorted.length}, p50 ${f(percentile(sorted, 50))}, p90 ${f(percentile(sorted, 90))}, p99 ${f(percentile(sorted, 99))}, max ${f(sorted.at(-1)!)}`;
}

/**
 * The sockets a process holds, from /proc/PID/fd: for the manager, its connections (and its few
 * listening sockets), against its cap of 4,096; past it, new connections are closed at once.
 */
function openSockets(pid: number): number {
  const dir = `/proc/${pid}/fd`;
  return readdirSync(dir).filter((fd) => {
    try {
      return readlinkSync(join(dir, fd)).startsWith('socket:');
    } catch {
      return false; // closed since the listing
    }
  }).length;
}

function peakRssMb(pid: number): number {
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Math.round(Number(hwm) / 1024);
}

const dir = mkdtempSync(join(tmpdir(), 'hairpin-herd-'));
// The agents' state directories: each node has its own disk, where one state write (fsync of the
// file and of its directory) costs a few ms. 10,000 of them on this machine's one disk would
// queue every fsync of the herd behind each other, and behind the manager's, on four threads
// per process: a cost no node has. They go to memory (tmpfs) where there is one.
const agentsDir = mkdtempSync(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'hairpin-herd-agents-'));
const db = join(dir, 'herd.sqlite');
// Every agent here connects from 127.0.0.1, which is no public address: the manager takes each
// shop's from a header (bench/herd-agents.ts sets it per node), as behind a proxy. That also
// lifts the per-source cap, meant for one node or one attacker per address, which would count
// the whole herd as one source.
const manager = await spawnManager({
  HAIRPIN_DB: db,
  HAIRPIN_ADMIN_TOKEN: ADMIN,
  HAIRPIN_TRUSTED_PROXY_HEADER: 'x-forwarded-for',
  HAIRPIN_DNS_PORT: '0',
  HAIRPIN_RRL_RATE: '0',
});
const dnsPort = Number(/udp\+tcp [^:]+:(\d+)/.exec(manager.output())?.[1]);
try {
  const nodes: HerdNode[] = [];
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
          publicIpv4: publicIpv4(PUBLIC_NOW, n),
          ...(SCENARIO === 'power-cut' ? { publicIpv4BeforeCut: publicIpv4(PUBLIC_BEFORE_CUT, n) } : {}),
        });
      }),
    );
  }
  console.log(`enrolled ${NODES} nodes in ${((Date.now() - enrolStart) / 1000).toFixed(1)} s`);
  const reader = new DatabaseSync(db, { readOnly: true });
  // Current: the node's address as reported since the cut, from the shop's new public address.
  const current = reader.prepare('SELECT count(*) AS n FROM addresses WHERE licence = ? AND public_ipv4 LIKE ?');
  const currentCount = () => (current.get(LICENCE, `${PUBLIC_NOW}.%`) as { n: number }).n;
  const stored = reader.prepare(
    'SELECT private_ipv4 AS ip, public_ipv4 AS publicIp, reported_at AS at FROM addresses WHERE licence = ? AND node = ?',
  );

  const preparedStart = Date.now();
  const workers = await Promise.all(
    Array.from({ length: PROCESSES }, async (_, p) => {
      const child = fork(join(import.meta.dirname, 'herd-agents.ts'), {
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
        execArgv: [
          '--disable-warning=ExperimentalWarning',
          ...(process.env.BENCH_AGENT_NODE_OPTIONS?.split(' ') ?? []),
        ],
        env: { ...process.env, BENCH_MANAGER: manager.url },
      });
      // An agent process that dies (a crash, the OOM killer) ends the run, saying so, rather than
      // leaving it waiting for a message that cannot come. 'close', not 'exit': it comes after
      // every message the process sent has been read.
      const ended = new Promise<never>((_, reject) =>
        child.once('close', (code, signal) =>
          reject(new Error(`agent process ${p} ended early: ${signal ?? `code ${code}`}`)),
        ),
      );
      ended.catch(() => {});
      const next = <T>() => Promise.race([new Promise<T>((resolve) => child.once('message', resolve)), ended]);
      // Loaded (TypeScript stripped, modules imported), and the state the cut left written,
      // before any agent starts: the clock measures the herd.
      await next();
      const share = nodes.filter((_, i) => i % PROCESSES === p);
      const job: Job = {
        manager: manager.url,
        dnsPort,
        dir: join(agentsDir, `agents-${p}`),
        nodes: share,
        ...(SCENARIO === 'power-cut' ? { cutMinutes: CUT_MINUTES } : {}),
      };
      child.send(job);
      await next();
      const result = next<{
        acknowledged: [node: string, privateIpv4: string, publicIpv4: string | null][];
        failed: number;
        /** Agents whose start() had not returned (still retrying their first call). */
        starting: number;
        firstFailure?: string;
        calls: Record<CallKind, CallStats>;
        steps: Steps[];
        verdicts: Record<string, number>;
        loopDelayMs: { p50: number; p99: number; max: number };
        cpuSeconds: number;
      }>();
      result.catch(() => {}); // awaited once the clock stops; the loop below stops it early
      return { child, result, rss: 0, share };
    }),
  );
  if (SCENARIO === 'power-cut') {
    const storedBeforeCut = (current.get(LICENCE, `${PUBLIC_BEFORE_CUT}.%`) as { n: number }).n;
    console.log(
      `before the cut (not timed): ${storedBeforeCut} nodes stored at their old public address, their agents' state written, in ${((Date.now() - preparedStart) / 1000).toFixed(1)} s; the power was off ${CUT_MINUTES} min`,
    );
  }
  const loadBefore = loadavg();
  const before = tcpExt();
  const managerPid = manager.child.pid!;
  const cpuAt = () => [cpuSeconds(managerPid), ...workers.map((w) => cpuSeconds(w.child.pid!))];
  const cpuStart = cpuAt();
  const started = Date.now();
  for (const w of workers) w.child.send({ start: true });
  // Every 5 s: nodes current, CPU share of the manager and of the agent processes (of one core),
  // the manager's open sockets, and how long it takes to answer /healthz (its event loop as a
  // caller sees it).
  const timeline: string[] = [];
  let lastCpu = cpuStart;
  let lastTick = started;
  const healthz: number[] = [];
  const sampleHealth = async () => {
    const sent = performance.now();
    const ok = await fetch(`${manager.url}/healthz`, { signal: AbortSignal.timeout(10_000) }).then(
      (r) => r.ok,
      () => false,
    );
    healthz.push(ok ? performance.now() - sent : Number.POSITIVE_INFINITY);
  };
  let allCurrentS: number | undefined;
  let currentAtEnd = 0;
  const exited = () => workers.some((w) => w.child.exitCode !== null || w.child.signalCode !== null);
  while (Date.now() - started < DEADLINE_S * 1000 && !exited()) {
    for (const w of workers)
      if (w.child.pid && w.child.exitCode === null) w.rss = Math.max(w.rss, peakRssMb(w.child.pid));
    const n = (currentAtEnd = currentCount());
    if (Date.now() - lastTick >= 5000 || n >= NODES) {
      const cpu = cpuAt();
      const wall = (Date.now() - lastTick) / 1000;
      const share = cpu.map((c, i) => Math.round((100 * (c - lastCpu[i]!)) / wall));
      const h = healthz.splice(0).sort((a, b) => a - b);
      timeline.push(
        `  ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s  current ${String(n).padStart(6)}  cpu% manager ${share[0]} agents ${share.slice(1).join('+')}  manager sockets ${openSockets(managerPid)}  /healthz ${h.length ? `${percentile(h, 50).toFixed(0)}..${h.at(-1)!.toFixed(0)} ms` : '-'}  load ${loadavg()[0]!.toFixed(1)}`,
      );
      lastCpu = cpu;
      lastTick = Date.now();
    }
    if (n >= NODES) {
      allCurrentS = (Date.now() - started) / 1000;
      break;
    }
    void sampleHealth();
    await new Promise((r) => setTimeout(r, 250));
  }
  const cpuEnd = cpuAt();
  for (const w of workers) w.child.send({ finish: true });
  const managerRss = peakRssMb(manager.child.pid!);
  const after = tcpExt();
  const results = await Promise.all(workers.map((w) => w.result));
  const acknowledged = results.flatMap((r) => r.acknowledged);
  const lost = acknowledged.filter(([node, ip, publicIp]) => {
    const row = stored.get(LICENCE, node) as { ip: string; publicIp: string | null } | undefined;
    return row?.ip !== ip || row.publicIp !== publicIp;
  }).length;
  const statuses: Record<string, number> = {};
  for (const r of results)
    for (const c of Object.values(r.calls))
      for (const [k, v] of Object.entries(c.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  // Each agent's steps beside the time the manager stored its address (its own clock, same host).
  const steps = workers.flatMap((w, i) =>
    results[i]!.steps.map((s, j) => ({
      ...s,
      stored: (stored.get(LICENCE, w.share[j]!.node) as { at: number } | undefined)?.at,
    })),
  );
  const failed = results.reduce((s, r) => s + r.failed, 0);
  const starting = results.reduce((s, r) => s + r.starting, 0);
  const drops = after.ListenDrops! - before.ListenDrops!;
  const overflows = after.ListenOverflows! - before.ListenOverflows!;
  reader.close();
  console.log(
    `herd: ${SCENARIO}, ${NODES} nodes, ${PROCESSES} agent processes, start jitter ${process.env.BENCH_START_JITTER ?? 'default'} s, one manager on SQLite`,
  );
  // The machine may be shared: the load says how much of it the herd had.
  console.log(
    `load average (1, 5, 15 min): at the start ${loadBefore.map((l) => l.toFixed(1)).join(' ')}, at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')} on ${cpus().length} cores`,
  );
  console.log(
    `all current after: ${allCurrentS === undefined ? `NOT within ${DEADLINE_S} s (${currentAtEnd} current then)` : `${allCurrentS.toFixed(1)} s`}`,
  );
  console.log(
    `reports acknowledged: ${acknowledged.length}; lost: ${lost}; agents still starting: ${starting}; whose start failed: ${failed}${results.find((r) => r.firstFailure)?.firstFailure ? ` (first: ${results.find((r) => r.firstFailure)!.firstFailure})` : ''}`,
  );
  console.log(
    `answers to agents by status: ${JSON.stringify(statuses)} (0 = transport error); 503: ${statuses['503'] ?? 0}, 429: ${statuses['429'] ?? 0}`,
  );
  console.log(`kernel listen drops: ${drops} (overflows ${overflows}), host-wide counters over the run`);
  console.log(`peak RSS: manager ${managerRss} MB, agent processes ${workers.map((w) => `${w.rss} MB`).join(', ')}`);
  console.log(
    `CPU seconds until all current (or the deadline): manager ${(cpuEnd[0]! - cpuStart[0]!).toFixed(1)}, agent processes ${cpuEnd
      .slice(1)
      .map((c, i) => (c - cpuStart[i + 1]!).toFixed(1))
      .join(' + ')}; wall ${((allCurrentS ?? DEADLINE_S) * 1).toFixed(0)} s on ${cpus().length} cores`,
  );
  console.log('timeline (cpu% of one core over the last 5 s):');
  for (const line of timeline) console.log(line);
  const since = (key: keyof Steps | 'stored', from?: keyof Steps | 'stored') =>
    steps.map((s) => (s[key] === undefined ? Number.NaN : s[key]! - (from ? (s[from] ?? Number.NaN) : started)));
  console.log('steps, seconds after the herd started (n, p50, p90, p99, max):');
  console.log(`  first report sent (after the start jitter): ${spread(since('reportSent'))}`);
  console.log(`  address stored by the manager:              ${spread(since('stored'))}`);
  console.log(`  report's answer read by the agent:          ${spread(since('reported'))}`);
  console.log(`  pairing decided:                            ${spread(since('decided'))}`);
  console.log(`  probe report stored:                        ${spread(since('probeReported'))}`);
  console.log('step durations (s):');
  console.log(`  first report sent -> stored (retries in):   ${spread(since('stored', 'reportSent'))}`);
  console.log(`  stored -> answer read by the agent:         ${spread(since('reported', 'stored'))}`);
  console.log(`  answer read -> pairing decided:             ${spread(since('decided', 'reported'))}`);
  // The manager's own time per request, from its access log (handler entry to answer, the
  // group commit's wait included; not the time a request waits in the kernel or for the loop).
  const handled = new Map<string, number[]>();
  for (const line of manager.output().split('\n')) {
    const m = /^(\S+) INFO access method=(\S+) .*route=(\S+) status=(\d+) ms=([\d.]+)/.exec(line);
    if (!m || Date.parse(m[1]!) < started) continue;
    const key = `${m[2]} ${m[3]} ${m[4]}`;
    const list = handled.get(key) ?? [];
    list.push(Number(m[5]));
    handled.set(key, list);
  }
  console.log("manager's own time per request (ms, from its access log; by method, route, status):");
  for (const [key, ms] of [...handled].sort((a, b) => b[1].length - a[1].length))
    console.log(`  ${key.padEnd(60)} ${spread(ms, 1)}`);
  console.log("agents' calls to the manager (latency of answered calls in ms; transport errors by cause):");
  for (const kind of ['names', 'report', 'doh', 'probe-report', 'other'] as const) {
    const merged = {
      statuses: {} as Record<string, number>,
      latencies: [] as number[],
      errors: {} as Record<string, number>,
    };
    for (const r of results) {
      const c = r.calls[kind];
      for (const [k, v] of Object.entries(c.statuses)) merged.statuses[k] = (merged.statuses[k] ?? 0) + v;
      merged.latencies.push(...c.latencies);
      for (const [k, v] of Object.entries(c.errors)) merged.errors[k] = (merged.errors[k] ?? 0) + v;
    }
    if (merged.latencies.length === 0 && Object.keys(merged.statuses).length === 0) continue;
    console.log(
      `  ${kind.padEnd(12)} ${JSON.stringify(merged.statuses)}; latency ${spread(merged.latencies, 1)}${Object.keys(merged.errors).length ? `; errors ${JSON.stringify(merged.errors)}` : ''}`,
    );
  }
  const verdicts: Record<string, number> = {};
  for (const r of results) for (const [k, v] of Object.entries(r.verdicts)) verdicts[k] = (verdicts[k] ?? 0) + v;
  console.log(`pairing verdicts: ${JSON.stringify(verdicts)}`);
  console.log(
    `agent processes' event-loop delay (ms): ${results.map((r) => `p50 ${r.loopDelayMs.p50.toFixed(0)}, p99 ${r.loopDelayMs.p99.toFixed(0)}, max ${r.loopDelayMs.max.toFixed(0)}`).join('; ')}`,
  );

  const met = allCurrentS !== undefined && allCurrentS <= 60 && lost === 0 && drops === 0;
  console.log(`goal: all current within 60 s, 0 lost, 0 listen drops -> ${met ? 'met' : 'NOT met'}`);
  // The agents stop (and write their last state) before the directory goes; a poll still retrying
  // its report (up to six tries of 10 s) is not waited for longer than 20 s.
  await Promise.all(
    workers.map((w) => {
      if (w.child.exitCode !== null) return undefined;
      const kill = setTimeout(() => w.child.kill('SIGKILL'), 20_000);
      return new Promise((r) => w.child.once('exit', r)).finally(() => clearTimeout(kill));
    }),
  );
} finally {
  await manager.stop();
  rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  rmSync(agentsDir, { recursive: true, force: true, maxRetries: 5 });
}
