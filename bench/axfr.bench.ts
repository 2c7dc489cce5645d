// npm run bench:transfer: AXFR of a large zone from the built-in server against NSD serving the
// same zone, and the latency of other questions while it runs. Both get one worker pinned to core
// 0; kdig (the transfer) and the question loop run on core 1. Before timing, the zone file must
// pass nsd-checkzone and both servers must transfer the same records and give the same rcodes and
// answers on a sample; questions answered with an error during a transfer end the bench; rounds
// interleave the servers and only medians are reported.
import { execFile, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { encodeMessage } from '../dns/message.ts';
import { Rcode } from '../dns/rcode.ts';
import { peekId, peekRcode } from '../dns/wire.ts';
import { type Daemon, startDaemon } from '../test/dns/daemons.ts';
import { writeNsdConfig, writeZoneFile } from '../test/dns/nsd-config.ts';
import { answerSummary, type QueryType, query, udpAsk } from '../test/dns/wire-client.ts';
import { addReportedNodes, licenceOf, nodeOf } from '../test/support/bulk-nodes.ts';
import { startManagerProcess } from '../test/support/manager-process.ts';
import { freePort } from '../test/support/net.ts';
import { rssMb } from '../test/support/rss.ts';
import { median } from '../test/support/stats.ts';
import { requirePrograms, which } from '../test/support/system.ts';
import { openStore } from '../worker/adapter/sqlite/store.ts';

const NODES = Number(process.env.BENCH_NODES ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** One question every this many ms during a transfer (bounded: at most a few thousand a round). */
const QUESTION_EVERY_MS = 2;
const ZONE = 'example.test';
const NAMESERVERS = `ns1.${ZONE}=192.0.2.53`;
const run = promisify(execFile);

requirePrograms('bench:transfer', 'nsd', 'nsd-checkzone', 'kdig', 'taskset');

/** A transfer with kdig on core 1: its wall time and the records it counted. */
async function axfr(port: number): Promise<{ ms: number; records: number }> {
  const started = performance.now();
  const { stdout } = await run(
    'taskset',
    ['-c', '1', 'kdig', '@127.0.0.1', '-p', String(port), ZONE, 'AXFR', '+noall', '+stats'],
    { maxBuffer: 1 << 26, timeout: 300_000 },
  );
  const ms = performance.now() - started;
  const count = Number(/\((\d+) messages, (\d+) records\)/.exec(stdout)?.[2]);
  return { ms, records: count };
}

/**
 * Questions for random nodes, one every QUESTION_EVERY_MS until `stop()`, each timed from send to
 * answer; one not answered within 5 s counts as 5 s.
 */
function askDuring(port: number): { stop(): Promise<number[]> } {
  const socket = createSocket('udp4');
  const sent = new Map<number, number>();
  const times: number[] = [];
  let id = 0;
  let errors = 0;
  socket.on('message', (m) => {
    const at = sent.get(peekId(m));
    if (at === undefined) return;
    sent.delete(peekId(m));
    // Every name asked exists: any other rcode is a failure, not a fast answer.
    if (peekRcode(m) !== Rcode.NOERROR) errors++;
    times.push(performance.now() - at);
  });
  const timer = setInterval(() => {
    id = (id + 1) & 0xffff;
    const i = Math.floor(Math.random() * NODES);
    const wire = encodeMessage(query(`i-${nodeOf(i)}.pl-${licenceOf(i)}.${ZONE}`, 'A', undefined, id));
    sent.set(id, performance.now());
    socket.send(wire, port, '127.0.0.1');
  }, QUESTION_EVERY_MS);
  return {
    async stop() {
      clearInterval(timer);
      // Stragglers get a second; any still unanswered count as 5 s.
      if (sent.size > 0) await new Promise((r) => setTimeout(r, 1000));
      for (const [, at] of sent) times.push(Math.max(5000, performance.now() - at));
      socket.close();
      if (errors > 0) {
        console.error(`bench:transfer: ${errors} questions during the transfer were answered with an error rcode`);
        process.exit(1);
      }
      return times.sort((a, b) => a - b);
    },
  };
}

/** Every record a transfer carries, one presentation line each, sorted: what both servers must send. */
async function transferred(port: number): Promise<string[]> {
  const { stdout } = await run(
    'kdig',
    ['@127.0.0.1', '-p', String(port), ZONE, 'AXFR', '+nocomments', '+noquestion', '+nostats', '+noheader'],
    { maxBuffer: 1 << 30, timeout: 300_000 },
  );
  return stdout
    .split('\n')
    .filter((l) => l && !l.startsWith(';'))
    .map((l) => l.split(/\s+/).join(' '))
    .sort();
}

const dir = await mkdtemp(join(tmpdir(), 'hairpin-bench-axfr-'));
const daemons: Daemon[] = [];
try {
  const db = join(dir, 'hairpin.sqlite');
  const { store, close } = await openStore(db);
  await addReportedNodes(store, NODES);
  const { zoneFile, zoneRecords } = await writeZoneFile(store, dir, ZONE, NAMESERVERS);
  await close();
  const check = spawnSync(which('nsd-checkzone') ?? '/usr/sbin/nsd-checkzone', [ZONE, zoneFile], { encoding: 'utf8' });
  if (check.status !== 0) {
    console.error(`bench:transfer: nsd-checkzone rejects the zone file:\n${check.stdout}${check.stderr}`);
    process.exit(1);
  }
  console.log(`zone: ${NODES} nodes, ${zoneRecords.length} records, accepted by nsd-checkzone`);

  const [nsdPort, hairpinPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  const nsdConf = await writeNsdConfig(dir, nsdPort, ZONE, zoneFile, ['provide-xfr: 127.0.0.1 NOKEY']);
  let t = performance.now();
  const nsd = await startDaemon('taskset', ['-c', '0', 'nsd', '-d', '-c', nsdConf], {
    port: nsdPort,
    probeName: ZONE,
    timeoutMs: 120_000,
  });
  daemons.push(nsd);
  const nsdStart = performance.now() - t;
  t = performance.now();
  const hairpin = await startManagerProcess({
    db,
    zone: ZONE,
    nameservers: NAMESERVERS,
    adminToken: 'bench-admin',
    dnsPort: hairpinPort,
    httpPort,
    timeoutMs: 120_000,
    env: { HAIRPIN_SECONDARIES: '127.0.0.1' },
  });
  daemons.push(hairpin);
  const hairpinStart = performance.now() - t;
  const servers = [
    { name: 'NSD', port: nsdPort, pid: nsd.process.pid },
    { name: 'built-in', port: hairpinPort, pid: hairpin.process.pid },
  ];

  // Same answers first, untimed: a sample of questions (existing names of each kind, names that
  // do not exist, the SOA) by rcode, AA and records, and the whole transfer record by record.
  const sample: [string, QueryType][] = [[ZONE, 'SOA']];
  for (let k = 0; k < 50; k++) {
    const i = Math.floor((k * NODES) / 50);
    const [internal, external] = [
      `i-${nodeOf(i)}.pl-${licenceOf(i)}.${ZONE}`,
      `${nodeOf(i)}.pl-${licenceOf(i)}.${ZONE}`,
    ];
    sample.push([internal, 'A'], [internal, 'AAAA'], [external, 'TXT'], [`x${k}-${external}`, 'A']);
  }
  for (const [name, type] of sample) {
    const [a, b] = await Promise.all(servers.map(async (s) => answerSummary(await udpAsk(s.port, query(name, type)))));
    if (a !== b || a === 'no answer') {
      console.error(`bench:transfer: the servers disagree on ${name} ${type}: NSD ${a}, built-in ${b}`);
      process.exit(1);
    }
  }
  const [nsdZone, ourZone] = await Promise.all(servers.map((s) => transferred(s.port)));
  if (nsdZone!.join('\n') !== ourZone!.join('\n')) {
    const [theirs, ours] = [new Set(nsdZone), new Set(ourZone)];
    const only = (lines: string[], other: Set<string>) =>
      lines
        .filter((l) => !other.has(l))
        .slice(0, 5)
        .join('\n');
    console.error(
      `bench:transfer: the transfers differ (NSD ${nsdZone!.length} records, built-in ${ourZone!.length}); only NSD sends:\n${only(nsdZone!, ours)}\nonly the built-in sends:\n${only(ourZone!, theirs)}`,
    );
    process.exit(1);
  }
  console.log(
    `answers: both servers agree on ${sample.length} sampled questions and on all ${nsdZone!.length} records transferred`,
  );

  const results = new Map(
    servers.map((s) => [s.name, { ms: [] as number[], p99: [] as number[], p50: [] as number[] }]),
  );
  const loads: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const s of servers) {
      const questions = askDuring(s.port);
      const transfer = await axfr(s.port);
      const times = await questions.stop();
      if (transfer.records !== zoneRecords.length + 1) {
        console.error(
          `bench:transfer: ${s.name} transferred ${transfer.records} records, not ${zoneRecords.length + 1}`,
        );
        process.exit(1);
      }
      const r = results.get(s.name)!;
      r.ms.push(transfer.ms);
      r.p99.push(times[Math.floor(times.length * 0.99)]!);
      r.p50.push(times[Math.floor(times.length * 0.5)]!);
    }
    loads.push(loadavg()[0]!);
    console.log(
      `round ${round} (load average ${loads.at(-1)!.toFixed(2)}): ${servers.map((s) => `${s.name} ${results.get(s.name)!.ms.at(-1)!.toFixed(0)} ms, p99 ${results.get(s.name)!.p99.at(-1)!.toFixed(2)} ms`).join('; ')}`,
    );
  }
  const ratio = (key: 'ms' | 'p99') =>
    median(results.get('built-in')![key].map((x, i) => x / results.get('NSD')![key][i]!));
  console.log(
    `\nAXFR benchmark: ${NODES} nodes (${zoneRecords.length} records), ${ROUNDS} interleaved rounds, each server one worker on core 0, kdig and the questions (one every ${QUESTION_EVERY_MS} ms) on core 1, load average per round ${loads.map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log('| server | AXFR median ms | questions during it: p50 ms | p99 ms | RSS after | start-up |');
  console.log('|---|---:|---:|---:|---:|---:|');
  for (const s of servers) {
    const r = results.get(s.name)!;
    const start = s.name === 'NSD' ? nsdStart : hairpinStart;
    console.log(
      `| ${s.name} | ${median(r.ms).toFixed(0)} | ${median(r.p50).toFixed(2)} | ${median(r.p99).toFixed(2)} | ${rssMb(s.pid)} | ${(start / 1000).toFixed(1)} s |`,
    );
  }
  console.log(
    `built-in / NSD (median of per-round ratios): AXFR time ${ratio('ms').toFixed(2)}x (floor <= 2), p99 during AXFR ${ratio('p99').toFixed(2)}x (floor <= 2)`,
  );
} finally {
  for (const d of daemons) await d.stop();
  await rm(dir, { recursive: true, force: true });
}
