// npm run bench:dns: the built-in authoritative server against NSD and Knot, serving the same zone
// of 100,000 nodes, measured with dnsperf in one run on one machine. Each server gets one worker
// pinned to core 0; dnsperf runs on core 1. Figures are ratios to NSD, the reference. Before
// anything is timed the zone file must pass nsd-checkzone and kzonecheck, and every server must
// give the same rcodes and answers on a sample of the query file: otherwise it exits non-zero.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeMessage, encodeMessage, records } from '../dns/message.ts';
import { type Daemon, startDaemon } from '../test/dns/daemons.ts';
import { writeKnotConfig } from '../test/dns/knot-config.ts';
import { writeNsdConfig, writeZoneFile } from '../test/dns/nsd-config.ts';
import { query, udpAsk, udpExchange } from '../test/dns/wire-client.ts';
import { licenceOf, NODES_PER_LICENCE } from '../test/support/bulk-nodes.ts';
import { startManagerProcess } from '../test/support/manager-process.ts';
import { metricSample } from '../test/support/metrics.ts';
import { freePort } from '../test/support/net.ts';
import { rssMb } from '../test/support/rss.ts';
import { median } from '../test/support/stats.ts';
import { requirePrograms } from '../test/support/system.ts';
import { openStore } from '../worker/adapter/sqlite/store.ts';
import { DEFAULT_LIMITS } from '../worker/dns-server/limits.ts';
import {
  ADMIN,
  checkZone,
  compareAnswers,
  fillStore,
  NAMESERVERS,
  queryLines,
  splitQuestion,
  ZONE,
} from './zone-mix.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const NODES = Number(process.env.BENCH_NODES ?? 100_000);
/** Lines in the query file: about one question per node, nearly all distinct. */
const QUERIES = Number(process.env.BENCH_QUERIES ?? NODES);
/** Questions of the query file asked of every server, answers compared, before any timing. */
const SAMPLE = 300;
/** The all-cores rows: NSD's server processes and the built-in server's worker threads. */
const CORES = availableParallelism();
const FLOOD_SAMPLE = 50;
/** Where the load is generated: dnsperf, and this process's own HTTP client writing the reports. */
const LOAD_CORE = '1';
const NODE_ECHO = `const s = require('node:dgram').createSocket('udp4');
s.on('message', (m, r) => { m[2] |= 0x80; s.send(m, r.port, r.address); });
s.bind(Number(process.argv[1]), '127.0.0.1');`;

requirePrograms('bench:dns', 'dnsperf', 'nsd', 'knotd', 'nsd-checkzone', 'kzonecheck', 'taskset');

interface Throughput {
  qps: number;
  lost: number;
  avgMs: number;
  /** The response codes dnsperf saw, sorted names: a row whose set differs from its reference's was timed on other work. */
  rcodes: string;
}
interface Latency {
  p50: number;
  p90: number;
  p99: number;
  p999: number;
}

/** Asynchronous, so that the bench can write reports while dnsperf runs. */
async function dnsperf(port: number, file: string, extra: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(
    'taskset',
    ['-c', LOAD_CORE, 'dnsperf', '-s', '127.0.0.1', '-p', String(port), '-d', file, '-T', '1', '-c', '8', ...extra],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    },
  );
  return stdout;
}

/** Saturation for `seconds`: as many queries as one worker answers, 200 outstanding. */
async function throughput(port: number, file: string, seconds: number): Promise<Throughput> {
  const out = await dnsperf(port, file, ['-l', String(seconds), '-q', '200']);
  const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? Number.NaN);
  return {
    qps: num(/Queries per second:\s+([\d.]+)/),
    lost: num(/Queries lost:\s+(\d+)/),
    avgMs: num(/Average Latency \(s\):\s+([\d.]+)/) * 1000,
    rcodes: [...(/Response codes:\s+(.*)/.exec(out)?.[1] ?? '').matchAll(/([A-Z]+) \d+/g)]
      .map((m) => m[1]!)
      .sort()
      .join(' '),
  };
}

/** Latency at a given steady rate, from dnsperf's per-query lines (-v). */
async function latency(port: number, file: string, qps: number): Promise<Latency> {
  const out = await dnsperf(port, file, ['-l', String(Math.min(SECONDS, 5)), '-q', '100', '-Q', String(qps), '-v']);
  const samples = [...out.matchAll(/^> \S+ .* ([\d.]+)$/gm)].map((m) => Number(m[1]) * 1000).sort((a, b) => a - b);
  const at = (p: number) => samples[Math.min(samples.length - 1, Math.floor(p * samples.length))] ?? Number.NaN;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), p999: at(0.999) };
}

/** A random-subdomain flood: distinct names nobody enrolled, each asked once per pass (NXDOMAIN). */
function floodFile(count: number): string {
  const lines: string[] = [];
  for (let k = 0; k < count; k++)
    lines.push(`r${Math.random().toString(36).slice(2, 12)}.pl-${licenceOf(k % NODES)}.${ZONE} A`);
  return `${lines.join('\n')}\n`;
}

/** UDP answers the built-in server gave from its response cache so far (its /metrics). */
async function cacheHits(httpPort: number): Promise<number> {
  const metrics = await fetch(`http://127.0.0.1:${httpPort}/metrics`, {
    headers: { authorization: `Bearer ${ADMIN}` },
  });
  if (!metrics.ok) throw new Error(`/metrics: ${metrics.status}`);
  return metricSample(await metrics.text(), 'hairpin_dns_cache_hits_total{transport="udp"}');
}

/** A warm-up pass answered at least this share from the built-in server's cache ends the warm-up. */
const WARM_HIT_SHARE = 0.99;
const WARM_PASSES_MAX = 10;

/**
 * Passes over the query file until the server is warm, the number of passes back. NSD and Knot
 * hold the zone in memory already: one pass. The built-in server (`httpPort` given): until a pass
 * is answered from its response cache at least WARM_HIT_SHARE, at most WARM_PASSES_MAX; one pass
 * when its cache cannot hold the questions (a million nodes), as more would not warm it. Each DNS
 * thread has a cache of its own and the kernel spreads questions over the threads by source port
 * (dnsperf's change each run), so with two threads a question is kept by each only once it has
 * landed on each: two passes warmed one thread, where the timed round that followed found half
 * the questions missing with two. A deployment's threads are warm in that sense after a few
 * minutes of a resolver asking the same names; that is the state the warm rows time.
 */
async function warmUp(port: number, file: string, httpPort?: number): Promise<number> {
  const pass = () => dnsperf(port, file, ['-n', '1', '-q', '200']);
  if (!httpPort || QUERIES > DEFAULT_LIMITS.cacheEntries) return pass().then(() => 1);
  for (let passes = 1; ; passes++) {
    const before = await cacheHits(httpPort);
    await pass();
    if (passes === WARM_PASSES_MAX || (await cacheHits(httpPort)) - before >= WARM_HIT_SHARE * QUERIES) return passes;
  }
}

/** Enrols a node through the HTTP API and returns its credential. */
async function enrol(base: string, licence: string, node: string): Promise<string> {
  const enrolled = await fetch(`${base}/v1/licences/${licence}/nodes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ node }),
  });
  if (!enrolled.ok) throw new Error(`enrol ${node}: ${enrolled.status}`);
  return ((await enrolled.json()) as { credential: string }).credential;
}

// Licences past the bulk nodes' (licence 9998 was one of them from 449,900 nodes up: its enrolments
// met 409 at a million nodes).
const REPORTING_LICENCE = licenceOf(NODES + NODES_PER_LICENCE);
const TIMED_LICENCE = licenceOf(NODES + 2 * NODES_PER_LICENCE);
const REPORTS_PER_SECOND = 100;
const REPORTERS = 100;

/**
 * Reports through the HTTP API at REPORTS_PER_SECOND, each a real change (a new address), spread
 * over REPORTERS enrolled nodes, until `stop()`; it resolves to the reports acknowledged.
 */
function writeReports(base: string, credentials: string[]): { stop(): Promise<number> } {
  let sent = 0;
  let acknowledged = 0;
  const pending = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const n = sent % credentials.length;
    const address = `10.98.${(sent >> 8) & 0xff}.${sent & 0xff}`;
    sent++;
    const put = fetch(`${base}/v1/licences/${REPORTING_LICENCE}/nodes/nur${n}/addresses`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${credentials[n]}`, 'content-type': 'application/json' },
      body: JSON.stringify({ privateIpv4: address }),
    }).then(
      async (res) => {
        await res.arrayBuffer();
        if (res.ok) acknowledged++;
      },
      () => undefined,
    );
    pending.add(put);
    void put.finally(() => pending.delete(put));
  }, 1000 / REPORTS_PER_SECOND);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all(pending);
      return acknowledged;
    },
  };
}

/**
 * Reports timed to their new answer: enough that the p99 is a percentile (the tenth slowest), not
 * the one slowest report, which one stall of a shared host decided (about 10 s of the run).
 */
const REPORT_TIMINGS = 1000;

/**
 * Time from a report (HTTP PUT) to the built-in server's answer carrying it, over `rounds`
 * reports: the answer is asked for as soon as the PUT returns, and again until it changes.
 */
async function reportToAnswer(httpPort: number, dnsPort: number, rounds: number): Promise<number[]> {
  const base = `http://127.0.0.1:${httpPort}`;
  const credential = await enrol(base, TIMED_LICENCE, 'nur1');
  const times: number[] = [];
  const ask = encodeMessage(query(`i-nur1.pl-${TIMED_LICENCE}.${ZONE}`, 'A'));
  for (let r = 1; r <= rounds; r++) {
    const address = `10.99.${r >> 8}.${r & 0xff}`;
    const start = performance.now();
    const res = await fetch(`${base}/v1/licences/${TIMED_LICENCE}/nodes/nur1/addresses`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ privateIpv4: address }),
    });
    if (!res.ok) throw new Error(`report: ${res.status}`);
    for (let attempt = 0; attempt < 100; attempt++) {
      const bytes = await udpExchange(dnsPort, ask, 1000);
      if (bytes && records(decodeMessage(bytes).answers).some((a) => a.data === address)) break;
    }
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

/**
 * With BENCH_LOCK (a lock file other work on a shared machine takes too), holds it from the
 * servers' start to the end: the store and the zone file, minutes at a million nodes and timed by
 * nothing, are made before. The lock is held by a `flock` child until its input closes (when this
 * process ends, too).
 */
async function holdLock(path: string | undefined): Promise<() => void> {
  if (!path) return () => {};
  const holder = spawn('flock', [path, '-c', 'echo held; exec cat'], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`flock ${path} ended with ${code}`)));
  });
  console.log(`lock ${path}: held`);
  return () => holder.stdin.end();
}

const dir = await mkdtemp(join(tmpdir(), 'hairpin-bench-dns-'));
const daemons: Daemon[] = [];
let release = () => {};
try {
  const db = join(dir, 'hairpin.sqlite');
  let t = performance.now();
  await fillStore(db, NODES);
  console.log(`store: ${NODES} nodes reported in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  t = performance.now();
  const { store, close } = await openStore(db);
  const { zoneFile, zoneRecords } = await writeZoneFile(store, dir, ZONE, NAMESERVERS);
  await close();
  const queries = join(dir, 'queries.txt');
  const questions = `${queryLines(QUERIES, NODES).join('\n')}\n`;
  await writeFile(queries, questions);
  const flood = join(dir, 'flood.txt');
  const floodQuestions = floodFile(Math.max(QUERIES, 200_000));
  await writeFile(flood, floodQuestions);
  console.log(`zone file: ${zoneRecords.length} records in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  checkZone('bench:dns', zoneFile, ['nsd-checkzone', 'kzonecheck']);
  console.log('zone file: accepted by nsd-checkzone and kzonecheck');
  release = await holdLock(process.env.BENCH_LOCK);
  // From here this process only generates load (the reports row's HTTP client, the report-to-
  // answer probe): on dnsperf's core, so that none of it is taken from the server's core 0, where
  // NSD and Knot answer alone. Unpinned, the scheduler was free to run the client on core 0, its
  // CPU then counted against the built-in server.
  execFileSync('taskset', ['-a', '-p', '-c', LOAD_CORE, String(process.pid)], { stdio: 'ignore' });

  const pinned = (args: string[]) => ['-c', '0', ...args];
  // The all-cores rows: every core for the server (dnsperf, on core 1, shares it alike).
  const allCores = (args: string[]) => ['-c', `0-${CORES - 1}`, ...args];
  // One DNS worker thread (and the main thread's HTTP) on core 0, or one per core.
  const builtIn =
    (cache: 'on' | 'off', workers = 1) =>
    async (port: number, httpPort: number) =>
      startManagerProcess({
        db,
        zone: ZONE,
        nameservers: NAMESERVERS,
        adminToken: ADMIN,
        dnsPort: port,
        httpPort,
        env: {
          HAIRPIN_DNS_CACHE: cache === 'on' ? '' : '0',
          HAIRPIN_DNS_WORKERS: String(workers),
          HAIRPIN_METRICS_TOKEN: ADMIN,
        },
        cores: workers === 1 ? '0' : `0-${CORES - 1}`,
      });
  const servers: {
    name: string;
    warm: boolean;
    dns?: false;
    /** The row its ratio is taken against (NSD unless said). */
    reference?: string;
    start(port: number, httpPort: number): Promise<Daemon>;
  }[] = [
    {
      name: 'NSD',
      warm: true,
      start: async (port) =>
        startDaemon('taskset', pinned(['nsd', '-d', '-c', await writeNsdConfig(dir, port, ZONE, zoneFile)]), {
          port,
          probeName: ZONE,
          timeoutMs: 60_000,
        }),
    },
    {
      name: 'Knot',
      warm: true,
      start: async (port) =>
        startDaemon('taskset', pinned(['knotd', '-c', await writeKnotConfig(dir, port, ZONE, zoneFile)]), {
          port,
          probeName: ZONE,
          timeoutMs: 60_000,
        }),
    },
    { name: 'built-in (cache on)', warm: true, start: builtIn('on') },
    // Without the cache every query is a cold one: measured as it is, no warm-up pass.
    { name: 'built-in (cache off)', warm: false, start: builtIn('off') },
    // NSD with a server process per core against the built-in server with a worker thread per core.
    {
      name: `NSD, ${CORES} servers`,
      warm: true,
      reference: `NSD, ${CORES} servers`,
      start: async (port) => {
        const own = join(dir, 'nsd-all-cores');
        await mkdir(own);
        const conf = await writeNsdConfig(own, port, ZONE, zoneFile, [], CORES);
        return startDaemon('taskset', allCores(['nsd', '-d', '-c', conf]), {
          port,
          probeName: ZONE,
          timeoutMs: 60_000,
        });
      },
    },
    {
      name: `built-in (cache on), ${CORES} workers`,
      warm: true,
      reference: `NSD, ${CORES} servers`,
      start: builtIn('on', CORES),
    },
    // Not DNS: the query sent back with QR set. What one Node process moves through dgram,
    // the ceiling for any server written on it.
    {
      name: 'Node dgram echo (floor)',
      warm: false,
      dns: false,
      start: (port) =>
        startDaemon('taskset', pinned([process.execPath, '-e', NODE_ECHO, String(port)]), { port, probeName: ZONE }),
    },
  ];

  // All run at once, idle but one: rounds interleave them so that a change in the machine's load
  // (other work on a shared host) falls on all alike; only medians over the rounds are reported.
  interface Row {
    name: string;
    port: number;
    httpPort: number;
    dns: boolean;
    rounds: Throughput[];
    file: string;
    reference: string;
    reports?: string[];
    written: number[];
    warm: boolean;
  }
  const running: Row[] = [];
  /** Per DNS server: start-up to its first answer, and its memory then, after its warm-up and after the rounds. */
  const footprints: { name: string; pid: number | undefined; startup: number; rss: string[] }[] = [];
  for (const server of servers) {
    const [port, httpPort] = [await freePort(), await freePort()];
    const starting = performance.now();
    const daemon = await server.start(port, httpPort);
    daemons.push(daemon);
    const footprint = { name: server.name, pid: daemon.process.pid, startup: performance.now() - starting, rss: [] };
    if (server.dns ?? true) footprints.push({ ...footprint, rss: [rssMb(footprint.pid)] });
    running.push({
      name: server.name,
      port,
      httpPort,
      dns: server.dns ?? true,
      rounds: [],
      file: queries,
      reference: server.reference ?? 'NSD',
      written: [],
      warm: server.warm,
    });
    // Warm-up passes over the query file first (see warmUp); again, untimed, before each of the
    // built-in server's rounds below: the reports row empties its cache.
    if (server.warm) {
      const started = performance.now();
      const passes = await warmUp(port, queries, server.name.startsWith('built-in') ? httpPort : undefined);
      console.log(
        `${server.name}: ${passes} warm-up pass${passes > 1 ? 'es' : ''} over ${QUERIES} questions in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    }
    footprints.find((f) => f.name === server.name)?.rss.push(server.warm ? rssMb(footprint.pid) : '—');
  }
  // The sample: the query file's first questions, the flood's (each row is timed on one of the
  // two files), and the SOA, whose serial says every server loaded the same zone.
  const lines = (text: string, count: number) => text.trimEnd().split('\n').slice(0, count);
  await compareAnswers(
    'bench:dns',
    running
      .filter((r) => r.dns)
      .map((r) => ({ name: r.name, ask: (line) => udpAsk(r.port, query(...splitQuestion(line), 1232)) })),
    [...lines(questions, SAMPLE), ...lines(floodQuestions, FLOOD_SAMPLE), `${ZONE} SOA`],
  );
  // Two more rows per round on the same daemons: the built-in server while reports arrive (the
  // normal state of a deployment), against NSD's plain round; and a flood of distinct random names
  // (a random-subdomain attack: every question misses any cache), each against NSD on the same flood.
  const cached = running.find((r) => r.name === 'built-in (cache on)')!;
  const reporters = await Promise.all(
    Array.from({ length: REPORTERS }, (_, n) =>
      enrol(`http://127.0.0.1:${cached.httpPort}`, REPORTING_LICENCE, `nur${n}`),
    ),
  );
  running.push({
    ...cached,
    name: `built-in (cache on), ${REPORTS_PER_SECOND} reports/s`,
    rounds: [],
    reports: reporters,
    written: [],
    warm: false,
  });
  for (const name of ['NSD', 'Knot', 'built-in (cache on)']) {
    const plain = running.find((r) => r.name === name)!;
    running.push({
      ...plain,
      name: `${name}, random names`,
      rounds: [],
      file: flood,
      reference: 'NSD, random names',
      written: [],
      warm: false,
    });
  }
  const ROUNDS = 5;
  const loads: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const r of running) {
      if (r.warm && r.name.startsWith('built-in')) await warmUp(r.port, queries, r.httpPort);
      const writer = r.reports && writeReports(`http://127.0.0.1:${r.httpPort}`, r.reports);
      const started = performance.now();
      r.rounds.push(await throughput(r.port, r.file, Math.max(1, Math.round(SECONDS / ROUNDS))));
      if (writer) r.written.push((await writer.stop()) / ((performance.now() - started) / 1000));
    }
    loads.push(loadavg()[0]!);
    console.log(
      `round ${round} (load average ${loads.at(-1)!.toFixed(2)}): ${running.map((r) => `${r.name} ${r.rounds.at(-1)!.qps.toFixed(0)} q/s`).join(', ')}`,
    );
  }
  for (const footprint of footprints) footprint.rss.push(rssMb(footprint.pid));
  // A server that answered the timed questions with other rcodes than its reference (SERVFAIL
  // under load, REFUSED) did other work: its figure would compare nothing.
  const rcodeMismatches = running
    .filter((r) => r.dns)
    .flatMap((r) => {
      const reference = running.find((x) => x.name === r.reference)!.rounds;
      return r.rounds.flatMap((x, i) =>
        x.rcodes === reference[i]!.rcodes
          ? []
          : [`${r.name}, round ${i + 1}: ${x.rcodes} (${r.reference}: ${reference[i]!.rcodes})`],
      );
    });
  if (rcodeMismatches.length > 0) {
    console.error(`bench:dns: response codes differ from the reference's:\n${rcodeMismatches.join('\n')}`);
    process.exit(1);
  }
  const results = running.map((r) => {
    const qps = median(r.rounds.map((x) => x.qps));
    // Each round's ratio compares two runs a few seconds apart: the median of those is the
    // figure least moved by the host's load drifting.
    const reference = running.find((x) => x.name === r.reference)!.rounds;
    const ratio = median(r.rounds.map((x, i) => x.qps / reference[i]!.qps));
    // Latency at half of its reference's median throughput (NSD's): every server under the same
    // load, a loaded one and not a queue for the reference.
    const rate = Math.max(1, Math.round(median(reference.map((x) => x.qps)) / 2));
    return {
      name: r.name,
      qps,
      lost: median(r.rounds.map((x) => x.lost)),
      ratio,
      reference: r.reference,
      rate,
      written: r.written,
    };
  });
  const latencies = new Map<string, Latency>();
  for (const r of results) {
    const row = running.find((x) => x.name === r.name)!;
    if (row.file === queries && !row.reports) latencies.set(r.name, await latency(row.port, queries, r.rate));
  }
  const reportTimes = await reportToAnswer(cached.httpPort, cached.port, REPORT_TIMINGS);

  const f = (n: number, digits = 3) => (Number.isFinite(n) ? n.toFixed(digits) : '?');
  console.log(
    `\nDNS benchmark: ${NODES} nodes (${zoneRecords.length} records), ${ROUNDS} interleaved rounds of ${Math.max(1, Math.round(SECONDS / ROUNDS))} s per server, one worker each on core 0 (the ${CORES}-core rows on every core), dnsperf on core 1, load average per round ${loads.map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log(
    '| server | median queries/s | ratio (median of rounds) | against | lost (median) | latency at q/s | p50 ms | p90 ms | p99 ms | p99.9 ms | p99 vs its reference |',
  );
  console.log('|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const l = latencies.get(r.name);
    const lat = l
      ? `${r.rate} | ${f(l.p50)} | ${f(l.p90)} | ${f(l.p99)} | ${f(l.p999)} | ${f(l.p99 / latencies.get(r.reference)!.p99, 2)}`
      : '— | — | — | — | — | —';
    console.log(`| ${r.name} | ${r.qps.toFixed(0)} | ${f(r.ratio, 2)} | ${r.reference} | ${r.lost} | ${lat} |`);
  }
  console.log(
    `latency columns: dnsperf at a steady half of the reference's median queries/s for ${Math.min(SECONDS, 5)} s`,
  );
  for (const r of results.filter((x) => x.written.length > 0)) {
    console.log(
      `${r.name}: reports acknowledged per second during its rounds: ${r.written.map((w) => w.toFixed(0)).join(' ')}`,
    );
  }
  const pct = (p: number) =>
    f(reportTimes[Math.min(reportTimes.length - 1, Math.floor(p * reportTimes.length))] ?? Number.NaN, 1);
  console.log(
    `\nreport → new answer (built-in, HTTP PUT then UDP query until it carries the address), ${reportTimes.length} reports: p50 ${pct(0.5)} ms, p90 ${pct(0.9)} ms, p99 ${pct(0.99)} ms, max ${pct(1)} ms`,
  );
  // What loading the zone costs each server: NSD and Knot read the whole zone file before they
  // answer; the built-in server answers from the store at once and builds its index of nodes
  // behind (worker/zone/node-index.ts), its response cache filling as it answers.
  console.log(
    `\nmemory and start-up, ${NODES} nodes (RSS of the process and its children; the built-in server: one DNS worker thread and the main thread)`,
  );
  console.log('| server | start-up to first answer | RSS then | RSS after its warm-up pass | RSS after the rounds |');
  console.log('|---|---:|---:|---:|---:|');
  for (const { name, startup, rss } of footprints)
    console.log(`| ${name} | ${(startup / 1000).toFixed(1)} s | ${rss.join(' | ')} |`);
  // Knot as a secondary (NOTIFY + IXFR from the manager): bench/transfer.bench.ts measures and prints it.
  await import('./transfer.bench.ts');
} finally {
  for (const d of daemons) await d.stop();
  release();
  await rm(dir, { recursive: true, force: true });
}
