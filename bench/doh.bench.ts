// npm run bench:doh: DoH (RFC 8484, GET) from h2load against the built-in manager and against
// the peers an operator would put there instead, serving the same zone: unbound's DoH over h2c
// (the zone loaded as an auth-zone from the file the manager writes), dnsdist's over HTTP/1.1
// (its packet cache on, NSD behind it). Every server is pinned to core 0, h2load to core 1. The
// names and the query mix are bench:dns's (bench/zone-mix.ts). Before anything is timed every
// server must give the same rcodes and answer records on a sample of the questions, over the
// protocol it is timed on: otherwise the bench exits non-zero. Rounds interleave the rows; each
// row's figure is the median of its per-round ratios to the reference's round, with the load
// average printed per round. A bare Node server returning fixed bytes is the ceiling row.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:http2';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeMessage, encodeMessage } from '../dns/message.ts';
import { type Daemon, startDaemon } from '../test/dns/daemons.ts';
import { writeNsdConfig, writeZoneFile } from '../test/dns/nsd-config.ts';
import { query } from '../test/dns/wire-client.ts';
import { startManagerProcess } from '../test/support/manager-process.ts';
import { freePort } from '../test/support/net.ts';
import { median } from '../test/support/stats.ts';
import { requirePrograms } from '../test/support/system.ts';
import { openStore } from '../worker/adapter/sqlite/store.ts';
import { writeDnsdistConfig, writeUnboundConfig } from './doh-peers.ts';
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

const NODES = Number(process.env.BENCH_NODES ?? 20_000);
/** Questions in the URI list: about one per node, nearly all distinct. */
const QUERIES = Number(process.env.BENCH_QUERIES ?? NODES);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** Timed seconds per row and round (after h2load's own second of warm-up). */
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
/** BENCH_PROFILE=dir: the manager writes a CPU profile there when it stops (node --cpu-prof). */
const PROFILE = process.env.BENCH_PROFILE;
/** Questions of the URI list asked of every server, answers compared, before any timing. */
const SAMPLE = 300;
/** h2c: connections, streams in flight on each; HTTP/1.1: connections, one request at a time on each. */
const H2_CLIENTS = 8;
const H2_STREAMS = 16;
const H1_CLIENTS = 64;

requirePrograms('bench:doh', 'h2load', 'unbound', 'dnsdist', 'nsd', 'nsd-checkzone', 'taskset');

// The ceiling: what Node's HTTP servers move in one process when the answer costs nothing (the
// stream API for HTTP/2, the plainest http server for HTTP/1.1), the same bytes for every request.
const BARE_NODE = `const body = Buffer.from(process.argv[3], 'base64');
const headers = { 'content-type': 'application/dns-message', 'cache-control': 'max-age=300' };
require('node:http2').createServer().on('stream', (stream) => {
  stream.respond({ ':status': 200, ...headers, 'content-length': body.length });
  stream.end(body);
}).listen(Number(process.argv[1]), '127.0.0.1');
require('node:http').createServer((req, res) => {
  req.resume();
  res.writeHead(200, { ...headers, 'content-length': body.length });
  res.end(body);
}).listen(Number(process.argv[2]), '127.0.0.1');`;

type Protocol = 'h2c' | 'HTTP/1.1';

interface Load {
  rps: number;
  requests: number;
  /** Requests that failed, or got another status than 2xx. */
  bad: number;
  meanMs: number;
}

const run = promisify(execFile);

/** h2load on core 1 over the URI list in `uris` (each client asks it in order from the top). */
async function h2load(protocol: Protocol, uris: string, args: string[]): Promise<Load> {
  const { stdout } = await run(
    'taskset',
    ['-c', '1', 'h2load', '-t', '1', ...(protocol === 'HTTP/1.1' ? ['--h1'] : []), '-i', uris, ...args],
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  const num = (re: RegExp) => Number(re.exec(stdout)?.[1] ?? Number.NaN);
  const unit = { us: 0.001, ms: 1, s: 1000 } as Record<string, number>;
  const mean = /time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)\s/.exec(stdout);
  return {
    rps: num(/finished in [\d.]+m?s, ([\d.]+) req\/s/),
    requests: num(/requests: (\d+) total/),
    bad: num(/(\d+) failed/) + num(/(\d+) errored/) + num(/(\d+) timeout/) + num(/(\d+) 4xx/) + num(/(\d+) 5xx/),
    meanMs: mean ? Number(mean[1]) * unit[mean[2]!]! : Number.NaN,
  };
}

/** As many requests as the row's clients get through in SECONDS. */
function timed(protocol: Protocol, uris: string): Promise<Load> {
  const load = protocol === 'h2c' ? ['-c', String(H2_CLIENTS), '-m', String(H2_STREAMS)] : ['-c', String(H1_CLIENTS)];
  return h2load(protocol, uris, [...load, '-D', String(SECONDS), '--warm-up-time', '1']);
}

/** Every question of the list once, on one h2c connection: caches filled before a round. */
function warm(uris: string): Promise<Load> {
  return h2load('h2c', uris, ['-n', String(QUERIES), '-c', '1', '-m', '32']);
}

/** One DoH GET, the answer's bytes (h2c by prior knowledge, or HTTP/1.1). */
async function ask(protocol: Protocol, port: number, path: string): Promise<Uint8Array | undefined> {
  if (protocol === 'HTTP/1.1') {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    return res.ok ? new Uint8Array(await res.arrayBuffer()) : undefined;
  }
  const session = connect(`http://127.0.0.1:${port}`);
  try {
    return await new Promise((resolve, reject) => {
      const stream = session.request({ ':path': path });
      const chunks: Buffer[] = [];
      let ok = false;
      stream.on('response', (headers) => {
        ok = headers[':status'] === 200;
      });
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => resolve(ok ? new Uint8Array(Buffer.concat(chunks)) : undefined));
      stream.on('error', reject);
    });
  } finally {
    session.close();
  }
}

/** Listening for HTTP yet (any status)? Waits a little when not, so that the caller can poll. */
async function httpUp(port: number): Promise<boolean> {
  try {
    await fetch(`http://127.0.0.1:${port}/`);
    return true;
  } catch {
    await new Promise((r) => setTimeout(r, 100));
    return false;
  }
}

const dir = await mkdtemp(join(tmpdir(), 'hairpin-bench-doh-'));
const daemons: Daemon[] = [];
try {
  const db = join(dir, 'hairpin.sqlite');
  let t = performance.now();
  await fillStore(db, NODES);
  const { store, close } = await openStore(db);
  const { zoneFile, zoneRecords } = await writeZoneFile(store, dir, ZONE, NAMESERVERS);
  await close();
  console.log(
    `zone: ${NODES} nodes, ${zoneRecords.length} records, in ${((performance.now() - t) / 1000).toFixed(1)} s`,
  );
  checkZone('bench:doh', zoneFile, ['nsd-checkzone']);

  // The URI list: every question of the mix as a GET with ID 0 (RFC 8484 §4.1), one file per port.
  const lines = queryLines(QUERIES, NODES);
  const paths = lines.map((line) => {
    const [name, type] = splitQuestion(line);
    return `/dns-query?dns=${Buffer.from(encodeMessage(query(name, type, undefined, 0))).toString('base64url')}`;
  });
  const uriFile = async (port: number) => {
    const file = join(dir, `uris-${port}.txt`);
    await writeFile(file, `${paths.map((p) => `http://127.0.0.1:${port}${p}`).join('\n')}\n`);
    return file;
  };

  const pinned = (args: string[]) => ['-c', '0', ...args];
  t = performance.now();
  const [builtInDns, builtInHttp] = [await freePort(), await freePort()];
  daemons.push(
    await startManagerProcess({
      db,
      zone: ZONE,
      nameservers: NAMESERVERS,
      adminToken: ADMIN,
      dnsPort: builtInDns,
      httpPort: builtInHttp,
      ...(PROFILE ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${PROFILE}`] } : {}),
    }),
  );

  const [unboundDns, unboundDoh] = [await freePort(), await freePort()];
  daemons.push(
    await startDaemon(
      'taskset',
      pinned(['unbound', '-d', '-c', await writeUnboundConfig(dir, ZONE, zoneFile, unboundDns, unboundDoh)]),
      { port: unboundDns, probeName: ZONE, timeoutMs: 60_000 },
    ),
  );
  const nsdPort = await freePort();
  daemons.push(
    await startDaemon('taskset', pinned(['nsd', '-d', '-c', await writeNsdConfig(dir, nsdPort, ZONE, zoneFile)]), {
      port: nsdPort,
      probeName: ZONE,
      timeoutMs: 60_000,
    }),
  );
  const [dnsdistDns, dnsdistDoh] = [await freePort(), await freePort()];
  const dnsdistConf = await writeDnsdistConfig(dir, ZONE, dnsdistDns, dnsdistDoh, nsdPort, 2 * QUERIES);
  daemons.push(
    await startDaemon('taskset', pinned(['dnsdist', '--supervised', '--disable-syslog', '-C', dnsdistConf]), {
      port: dnsdistDns,
      probeName: ZONE,
      timeoutMs: 60_000,
    }),
  );
  const [bareH2, bareH1] = [await freePort(), await freePort()];
  const fixed = await ask('h2c', unboundDoh, paths[0]!);
  daemons.push(
    await startDaemon(
      'taskset',
      pinned([
        process.execPath,
        '-e',
        BARE_NODE,
        String(bareH2),
        String(bareH1),
        Buffer.from(fixed!).toString('base64'),
      ]),
      { port: bareH1, probeName: ZONE, ready: () => httpUp(bareH1) },
    ),
  );
  console.log(
    `servers up in ${((performance.now() - t) / 1000).toFixed(1)} s: built-in manager, unbound ${/Version (\S+)/.exec((await run('unbound', ['-V'])).stdout)?.[1]}, dnsdist ${/dnsdist (\S+)/.exec((await run('dnsdist', ['--version'])).stdout)?.[1]} (NSD behind it)`,
  );

  interface Row {
    name: string;
    protocol: Protocol;
    port: number;
    reference: string;
    /**
     * In the answer check: not the ceiling (fixed bytes), nor dnsdist's second row (the same
     * server and packet cache as its first: a second answer would carry a TTL counted down).
     */
    compared: boolean;
    rounds: Load[];
  }
  const row = (name: string, protocol: Protocol, port: number, reference: string, compared = true): Row => ({
    name,
    protocol,
    port,
    reference,
    compared,
    rounds: [],
  });
  const rows = [
    row('unbound (h2c)', 'h2c', unboundDoh, 'unbound (h2c)'),
    row('built-in (h2c)', 'h2c', builtInHttp, 'unbound (h2c)'),
    row('dnsdist (h2c)', 'h2c', dnsdistDoh, 'unbound (h2c)', false),
    row('bare Node http2, fixed bytes (ceiling)', 'h2c', bareH2, 'unbound (h2c)', false),
    row('dnsdist (HTTP/1.1)', 'HTTP/1.1', dnsdistDoh, 'dnsdist (HTTP/1.1)'),
    row('built-in (HTTP/1.1)', 'HTTP/1.1', builtInHttp, 'dnsdist (HTTP/1.1)'),
    row('bare Node http, fixed bytes (ceiling)', 'HTTP/1.1', bareH1, 'dnsdist (HTTP/1.1)', false),
  ];
  const uris = new Map<number, string>();
  for (const r of rows) if (!uris.has(r.port)) uris.set(r.port, await uriFile(r.port));

  // The sample, each distinct question once (again, a cache's second answer would carry a TTL counted down).
  const pathOf = new Map(lines.map((l, i) => [l, paths[i]!]));
  await compareAnswers(
    'bench:doh',
    rows
      .filter((r) => r.compared)
      .map((r) => ({
        name: r.name,
        ask: async (line) => {
          const bytes = await ask(r.protocol, r.port, pathOf.get(line)!);
          return bytes && decodeMessage(bytes);
        },
      })),
    [...new Set(lines.slice(0, SAMPLE))],
  );

  const loads: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    // The caches filled again (dnsdist's entries expire with their TTL; the manager's do not).
    for (const [name, port] of [
      ['built-in', builtInHttp],
      ['dnsdist', dnsdistDoh],
    ] as const) {
      const w = await warm(uris.get(port)!);
      if (w.bad > 0) throw new Error(`bench:doh: ${name}'s warm-up pass had ${w.bad} failed requests`);
      if (round === 1) console.log(`${name}: warm-up pass over ${QUERIES} questions at ${w.rps.toFixed(0)} req/s`);
    }
    // A different row first each round, so that no row always follows the same one.
    for (let k = 0; k < rows.length; k++) {
      const r = rows[(k + round - 1) % rows.length]!;
      const load = await timed(r.protocol, uris.get(r.port)!);
      if (load.bad > 0 || !(load.requests > 0))
        throw new Error(
          `bench:doh: ${r.name}, round ${round}: ${load.bad} of ${load.requests} requests failed or not 2xx`,
        );
      r.rounds.push(load);
    }
    loads.push(loadavg()[0]!);
    console.log(
      `round ${round} (load average ${loads.at(-1)!.toFixed(2)}): ${rows.map((r) => `${r.name} ${r.rounds.at(-1)!.rps.toFixed(0)}`).join(', ')} req/s`,
    );
  }

  const f = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '?');
  console.log(
    `\nDoH benchmark: ${NODES} nodes (${zoneRecords.length} records), ${QUERIES} questions (bench:dns's mix) as GET, ${ROUNDS} interleaved rounds of ${SECONDS} s per row; servers on core 0, h2load (one thread) on core 1; h2c ${H2_CLIENTS} connections × ${H2_STREAMS} streams, HTTP/1.1 ${H1_CLIENTS} connections; load average per round ${loads.map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log('| server | protocol | median req/s | ratio (median of rounds) | against | ratio per round | mean ms |');
  console.log('|---|---|---:|---:|---|---|---:|');
  for (const r of rows) {
    const reference = rows.find((x) => x.name === r.reference)!.rounds;
    const ratios = r.rounds.map((x, i) => x.rps / reference[i]!.rps);
    console.log(
      `| ${r.name} | ${r.protocol} | ${median(r.rounds.map((x) => x.rps)).toFixed(0)} | ${f(median(ratios))} | ${r.reference} | ${ratios.map((x) => f(x)).join(' ')} | ${f(median(r.rounds.map((x) => x.meanMs)), 3)} |`,
    );
  }
  const floor = (name: string) => {
    const r = rows.find((x) => x.name === name)!;
    const reference = rows.find((x) => x.name === r.reference)!.rounds;
    const ratio = median(r.rounds.map((x, i) => x.rps / reference[i]!.rps));
    return `${name} vs ${r.reference} ${f(ratio)} (floor 0.50: ${ratio >= 0.5 ? 'met' : 'NOT met'})`;
  };
  console.log(`\nfloors: ${floor('built-in (h2c)')}; ${floor('built-in (HTTP/1.1)')}`);
} finally {
  for (const d of daemons) await d.stop();
  await rm(dir, { recursive: true, force: true });
}
