// Report → new answer on Knot secondaries under dense reports: the manager (its own process, on
// a SQLite file, pinned to core 0) NOTIFYs two Knots (pinned to core 1): one configured as
// docs/dns.md recommends, one with Knot's defaults; each asks for IXFR and serves the new address.
// Reports arrive as a real fleet sends them: 10,000 nodes reporting every 5 minutes is 33 a
// second, at random moments (Poisson), plus bursts (a street's boxes coming back at once). Each
// report is timed from its HTTP answer to the first UDP answer carrying the new address, on both
// Knots and on the manager's own server, in the same run. Run alone (`node
// bench/transfer.bench.ts`) or from `npm run bench:dns`; BENCH_TRANSFER_* change the figures below.
import { createSocket, type Socket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage, encodeMessage, HEADER_LENGTH, records } from '../dns/message.ts';
import { startKnot, TEST_KEY_SPEC, until } from '../test/dns/transfer-secondaries.ts';
import { answerSummary, type QueryType, query, udpAsk } from '../test/dns/wire-client.ts';
import { addReportedNodes, licenceOf, nodeOf } from '../test/support/bulk-nodes.ts';
import { startManagerProcess } from '../test/support/manager-process.ts';
import { freePort } from '../test/support/net.ts';
import { seededRandom } from '../test/support/random.ts';
import { which } from '../test/support/system.ts';
import { openStore } from '../worker/adapter/sqlite/store.ts';
import { configFromEnv } from '../worker/config.ts';
import { listZoneRecords } from '../worker/zone/zone-file.ts';

const env = (name: string, fallback: number) => Number(process.env[`BENCH_TRANSFER_${name}`] ?? fallback);
/** Nodes in the zone besides the reporting ones (written straight into the store). */
const NODES = env('NODES', 10_000);
/** Reports a second, on average, at random moments: 10,000 nodes every 5 minutes. */
const RATE = env('RATE', 33);
const SECONDS = env('SECONDS', 20);
/** Every BURST_EVERY seconds, BURST reports at the same moment on top of the steady stream. */
const BURST = env('BURST', 25);
const BURST_EVERY = env('BURST_EVERY', 5);
/** Nodes that report over HTTP; a report goes to one with no report still in flight. */
const REPORTERS = env('REPORTERS', 400);
/** Questions asked of both Knot and the manager, answers compared, before any timing. */
const SAMPLE = env('SAMPLE', 200);
/** How often each unseen answer is asked for again: the resolution of every figure. */
const POLL_MS = 5;
const GIVE_UP_MS = 10_000;

const ZONE = 'example.test';
const ADMIN = 'bench-admin';
const METRICS = 'bench-metrics';
const NAMESERVERS = `ns1.${ZONE}=192.0.2.53`;
const REPORT_LICENCE = '9997';

const reporterName = (n: number) => `i-nur${n}.pl-${REPORT_LICENCE}.${ZONE}`;
/** A private address no other report of the run uses. */
const addressOf = (k: number) => `10.${200 + (k >> 16)}.${(k >> 8) & 0xff}.${k & 0xff}`;

interface Timed {
  name: string;
  address: string;
  /** When the report's HTTP answer came (performance.now()). */
  at: number;
  /** Milliseconds from `at` to the first answer with the address, per server. */
  seen: (number | undefined)[];
  /** Called once, when every server answered the address or GIVE_UP_MS passed. */
  settled(): void;
  /** The question as sent (its ID rewritten each time), and the address's four bytes. */
  wire: { question: Uint8Array; address: Uint8Array };
}

async function api(base: string, path: string, init: RequestInit & { token: string }): Promise<Response> {
  const res = await fetch(`${base}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${init.token}`, 'content-type': 'application/json' },
  });
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
  return res;
}

async function report(base: string, n: number, credential: string, address: string): Promise<void> {
  const res = await api(base, `/v1/licences/${REPORT_LICENCE}/nodes/nur${n}/addresses`, {
    method: 'PUT',
    token: credential,
    body: JSON.stringify({ privateIpv4: address }),
  });
  await res.arrayBuffer();
}

/** The zone's serial as a server answers it. */
async function serialAt(port: number): Promise<number | undefined> {
  const soa = records((await udpAsk(port, query(ZONE, 'SOA')))?.answers).find((r) => r.type === 'SOA');
  return soa?.type === 'SOA' ? soa.data.serial : undefined;
}

/** Sampled questions to every server; any difference, or no answer, ends the bench. */
async function compareAnswers(ports: { name: string; port: number }[]): Promise<void> {
  const rand = seededRandom(0x5eed).int;
  const lines: [string, QueryType][] = [
    [ZONE, 'SOA'],
    [ZONE, 'NS'],
  ];
  while (lines.length < SAMPLE) {
    const i = rand(NODES);
    const bulk = (prefix: string) => `${prefix}${nodeOf(i)}.pl-${licenceOf(i)}.${ZONE}`;
    const roll = rand(6);
    if (roll === 0) lines.push([bulk('i-'), 'A']);
    else if (roll === 1) lines.push([bulk(''), 'A']);
    else if (roll === 2) lines.push([bulk('i-'), 'AAAA']);
    else if (roll === 3) lines.push([bulk(''), 'TXT']);
    else if (roll === 4) lines.push([reporterName(rand(REPORTERS)), 'A']);
    else lines.push([`i-nur${REPORTERS + rand(50)}.pl-${REPORT_LICENCE}.${ZONE}`, 'A']);
  }
  const differences: string[] = [];
  for (const [name, type] of lines) {
    const seen = await Promise.all(
      ports.map(async (s) => ({ name: s.name, answer: answerSummary(await udpAsk(s.port, query(name, type, 1232))) })),
    );
    if (seen.some((x) => x.answer !== seen[0]!.answer || x.answer === 'no answer'))
      differences.push(`${name} ${type}\n${seen.map((x) => `  ${x.name}: ${x.answer}`).join('\n')}`);
  }
  if (differences.length > 0) {
    console.error(
      `bench:transfer: the servers disagree on ${differences.length} of ${lines.length} sampled questions:\n${differences.slice(0, 20).join('\n')}`,
    );
    process.exit(1);
  }
  console.log(
    `answers: ${ports.map((p) => p.name).join(' / ')} agree on ${lines.length} sampled questions (rcode and answer records)`,
  );
}

/**
 * Asks every server, every POLL_MS, for each report's name until it answers the new address: one
 * socket per server, questions told apart by their ID.
 */
function watcher(ports: number[]) {
  const sockets: Socket[] = ports.map(() => createSocket('udp4'));
  const open = new Set<Timed>();
  const asked = new Map<number, Timed>();
  let id = 0;
  const settle = (t: Timed) => {
    if (open.delete(t)) t.settled();
  };
  sockets.forEach((socket, s) => {
    socket.on('message', (wire) => {
      const at = performance.now();
      const t = asked.get(wire.readUInt16BE(0) * ports.length + s);
      // Most answers still carry the old address: skip decoding those (the loop is a load of its own).
      if (!t || t.seen[s] !== undefined || wire.indexOf(t.wire.address, HEADER_LENGTH) < 0) return;
      const a = records(decodeMessage(wire).answers).find((r) => r.type === 'A');
      if (a?.data !== t.address) return;
      t.seen[s] = at - t.at;
      if (t.seen.every((x) => x !== undefined)) settle(t);
    });
  });
  // The longest wait between two rounds of questions: a stall of this process delays every figure.
  let last = performance.now();
  let longestGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    for (const t of open) {
      if (now - t.at > GIVE_UP_MS) {
        settle(t);
        continue;
      }
      sockets.forEach((socket, s) => {
        if (t.seen[s] !== undefined) return;
        id = (id + 1) & 0xffff;
        asked.set(id * ports.length + s, t);
        const question = Buffer.from(t.wire.question);
        question.writeUInt16BE(id, 0);
        socket.send(question, ports[s]!, '127.0.0.1');
      });
    }
  }, POLL_MS);
  return {
    watch(t: Timed) {
      open.add(t);
    },
    /** Resolves once every report was seen everywhere or given up on, to the longest gap in ms. */
    async drain(): Promise<number> {
      while (open.size > 0) await new Promise((r) => setTimeout(r, 50));
      clearInterval(timer);
      for (const socket of sockets) socket.close();
      return longestGap;
    },
  };
}

/** Report moments (ms from the start), sorted: a Poisson stream at RATE plus the bursts. */
function schedule(): number[] {
  const rand = seededRandom(0xc0ffee).int;
  const moments: number[] = [];
  for (let t = 0; ; ) {
    t += (-Math.log(1 - rand(1 << 30) / (1 << 30)) / RATE) * 1000;
    if (t >= SECONDS * 1000) break;
    moments.push(t);
  }
  for (let b = BURST_EVERY / 2; b < SECONDS; b += BURST_EVERY) for (let k = 0; k < BURST; k++) moments.push(b * 1000);
  return moments.sort((a, b) => a - b);
}

/** The manager's transfer and NOTIFY counters (/metrics), by their labels. */
async function counters(base: string): Promise<Map<string, number>> {
  const text = await (await api(base, '/metrics', { token: METRICS })).text();
  const found = text.matchAll(/^hairpin_(zone_transfers|notify)_total\{([^}]*)\} (\d+)/gm);
  return new Map([...found].map((m) => [`${m[1]} ${m[2]!.replace(/"/g, '')}`, Number(m[3])]));
}

/** What moved between two readings of counters(), as `name label=value: n`. */
function moved(before: Map<string, number>, after: Map<string, number>): string {
  return [...after]
    .map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');
}

/** Sorted milliseconds at a quantile, as printed. */
const at = (sorted: number[], p: number) =>
  sorted.length === 0 ? '?' : sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(1);

export async function denseReportsToKnot(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'hairpin-bench-transfer-'));
  const stops: (() => Promise<void>)[] = [];
  try {
    const db = join(dir, 'hairpin.sqlite');
    {
      const { store, close } = await openStore(db);
      await addReportedNodes(store, NODES);
      await close();
    }
    const [dnsPort, httpPort] = [await freePort(), await freePort()];
    const knots = [
      { name: 'Knot (block-notify-after-transfer: on)', port: await freePort(), notifyAfterTransfer: false },
      { name: 'Knot (defaults)', port: await freePort(), notifyAfterTransfer: true },
    ];
    const manager = await startManagerProcess({
      db,
      zone: ZONE,
      nameservers: NAMESERVERS,
      adminToken: ADMIN,
      dnsPort,
      httpPort,
      env: {
        HAIRPIN_METRICS_TOKEN: METRICS,
        HAIRPIN_SECONDARIES: knots.map((k) => `127.0.0.1:${k.port}`).join(' '),
        HAIRPIN_TSIG_KEY: TEST_KEY_SPEC,
      },
    });
    stops.push(() => manager.stop());
    const base = `http://127.0.0.1:${httpPort}`;
    const credentials: string[] = [];
    for (let n = 0; n < REPORTERS; n++) {
      const res = await api(base, `/v1/licences/${REPORT_LICENCE}/nodes`, {
        method: 'POST',
        token: ADMIN,
        body: JSON.stringify({ node: `nur${n}` }),
      });
      credentials.push(((await res.json()) as { credential: string }).credential);
      await report(base, n, credentials[n]!, addressOf(n));
    }
    const zoneRecords = await (async () => {
      const { store, close } = await openStore(db);
      try {
        return (await listZoneRecords(configFromEnv({ HAIRPIN_ZONE: ZONE, HAIRPIN_NAMESERVERS: NAMESERVERS }), store))
          .length;
      } finally {
        await close();
      }
    })();

    const started = performance.now();
    const serial = await serialAt(dnsPort);
    for (const k of knots) {
      const knot = await startKnot(ZONE, dnsPort, k.port, { cpu: 1, notifyAfterTransfer: k.notifyAfterTransfer });
      stops.push(() => knot.close());
    }
    await until(async () => {
      const serials = await Promise.all(knots.map((k) => serialAt(k.port)));
      return serials.every((x) => x === serial);
    }, 120_000);
    const bootstrapMs = performance.now() - started;
    console.log(
      `\ntwo Knot secondaries (TSIG) of ${NODES + REPORTERS} nodes, ${zoneRecords} records: both bootstrapped by AXFR in ${(bootstrapMs / 1000).toFixed(1)} s`,
    );
    const servers = [...knots, { name: 'built-in server', port: dnsPort }];
    await compareAnswers(servers);

    const before = await counters(base);
    const moments = schedule();
    const watch = watcher(servers.map((x) => x.port));
    const idle = Array.from({ length: REPORTERS }, (_, n) => n);
    const timed: Timed[] = [];
    const puts: Promise<void>[] = [];
    let skipped = 0;
    const load = loadavg()[0]!;
    const cpu = process.cpuUsage();
    const t0 = performance.now();
    for (const [k, moment] of moments.entries()) {
      const wait = t0 + moment - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const n = idle.shift();
      if (n === undefined) {
        skipped++;
        continue;
      }
      const address = addressOf(REPORTERS + k);
      puts.push(
        report(base, n, credentials[n]!, address).then(() => {
          const t: Timed = {
            name: reporterName(n),
            address,
            at: performance.now(),
            seen: servers.map(() => undefined),
            wire: {
              question: encodeMessage(query(reporterName(n), 'A')),
              address: Uint8Array.from(address.split('.').map(Number)),
            },
            // One report per node in flight: its name must answer one address at a time.
            settled: () => idle.push(n),
          };
          timed.push(t);
          watch.watch(t);
        }),
      );
    }
    const sent = performance.now() - t0;
    await Promise.all(puts);
    const longestGap = await watch.drain();
    const { user, system } = process.cpuUsage(cpu);
    const benchCpu = (user + system) / 1000 / (performance.now() - t0);
    const during = moved(before, await counters(base));
    console.log(
      `dense reports: ${timed.length} in ${(sent / 1000).toFixed(1)} s (Poisson ${RATE}/s plus ${BURST} at once every ${BURST_EVERY} s${skipped ? `, ${skipped} skipped: no idle node` : ''}), load average ${load.toFixed(2)} before, ${loadavg()[0]!.toFixed(2)} after`,
    );
    console.log(`manager counters meanwhile (both secondaries): ${during}`);
    console.log(
      `each report timed from its HTTP answer to the first UDP answer carrying the new address (asked every ${POLL_MS} ms; longest gap between two rounds of questions ${longestGap.toFixed(0)} ms; this process used ${(benchCpu * 100).toFixed(0)}% of a core meanwhile)`,
    );
    console.log('| server | reports | p50 ms | p90 ms | p99 ms | max ms | not seen in 10 s |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const [s, { name }] of servers.entries()) {
      const times = timed
        .map((t) => t.seen[s])
        .filter((x) => x !== undefined)
        .sort((a, b) => a - b);
      console.log(
        `| ${name} | ${timed.length} | ${at(times, 0.5)} | ${at(times, 0.9)} | ${at(times, 0.99)} | ${at(times, 1)} | ${timed.length - times.length} |`,
      );
    }
  } finally {
    for (const stop of stops.reverse()) await stop();
    await rm(dir, { recursive: true, force: true });
  }
}

if (!which('knotd') && !which('/usr/sbin/knotd')) {
  console.log('report → Knot secondary answer: knotd not installed, skipped');
} else {
  await denseReportsToKnot();
}
