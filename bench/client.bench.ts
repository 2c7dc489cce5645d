// Time to the first good answer of the app client against an oracle that knew the right origin.
// Loopback servers answer after a fixed delay standing in for one round trip (RTT_MS), so "one
// round trip more" is measurable. Bounded: ITERATIONS per scenario and SCENARIO_BUDGET_MS each.
//   npm run bench:client
import { createHairpinClient, type HairpinClient } from '../client/index.ts';
import { refusedPort, startSilentListener, startTestNode, type TestNode } from '../test/support/node-server.ts';
import { median } from '../test/support/stats.ts';

const RTT_MS = 20;
const RACE_DELAY_MS = 250;
const ITERATIONS = 25;
const SCENARIO_BUDGET_MS = 20_000;
const FLIPS = 5;

const names = { internal: '127.0.0.2', external: '127.0.0.1' };

// 'rtt': one round trip, as the oracle itself measured it (the emulated delay plus HTTP and loop overhead).
type Row = { scenario: string; oracleMs: number; clientMs: number; budget: 'rtt' | number; failMs?: number };

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function get(fetcher: typeof fetch, url: string): Promise<void> {
  const res = await fetcher(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  await res.arrayBuffer();
}

function newClient(mountPoint: string, otherOrigin: string): HairpinClient {
  return createHairpinClient({ mountPoint, otherOrigin, storage: null, reprobe: false, raceDelayMs: RACE_DELAY_MS });
}

/** A fresh client per iteration: each measures a cold start (nothing known good, nothing remembered). */
async function coldStart(
  scenario: string,
  mountPoint: string,
  otherOrigin: string,
  good: string,
  budget: Row['budget'],
  failing?: string,
): Promise<Row> {
  const oracle: number[] = [];
  const client: number[] = [];
  const fail: number[] = [];
  const deadline = performance.now() + SCENARIO_BUDGET_MS;
  for (let i = 0; i < ITERATIONS && performance.now() < deadline; i++) {
    oracle.push(await timed(() => get(fetch, `${good}/v1/stock`)));
    // What the failure itself costs (the resolver's NXDOMAIN, the RST): no client can beat it.
    if (failing)
      fail.push(
        await timed(() =>
          fetch(failing).then(
            () => undefined,
            () => undefined,
          ),
        ),
      );
    const c = newClient(mountPoint, otherOrigin);
    try {
      client.push(await timed(() => get(c.fetch, '/v1/stock')));
    } finally {
      c.close();
    }
  }
  return {
    scenario,
    oracleMs: median(oracle),
    clientMs: median(client),
    budget,
    ...(failing ? { failMs: median(fail) } : {}),
  };
}

/**
 * A client in use on the internal origin when its path dies: refused (the node stopped, or the
 * phone left the LAN and says so) or silent (packets dropped: the path check has to notice).
 * Measured: the first call after the flip, against an oracle that already knew the external origin.
 */
async function flip(internal: TestNode, external: TestNode, how: 'refused' | 'silent'): Promise<Row> {
  const oracle: number[] = [];
  const client: number[] = [];
  const deadline = performance.now() + SCENARIO_BUDGET_MS;
  for (let i = 0; i < FLIPS && performance.now() < deadline; i++) {
    const c = newClient(`${internal.origin}/`, external.origin);
    let silent: Awaited<ReturnType<typeof startSilentListener>> | undefined;
    try {
      for (let warm = 0; warm < 3; warm++) await get(c.fetch, '/v1/stock');
      await internal.stop();
      if (how === 'silent') silent = await startSilentListener('127.0.0.2', internal.port);
      oracle.push(await timed(() => get(fetch, `${external.origin}/v1/stock`)));
      client.push(await timed(() => get(c.fetch, '/v1/stock')));
    } finally {
      c.close();
      await silent?.stop();
      await internal.start();
    }
  }
  // A silent drop mid-session is noticed by the path check (pathCheckMs, 200, then the other
  // origin's answer and as long again for this one's) and the GET repeated: the 300 ms.
  const oracleMs = median(oracle);
  const budget = how === 'refused' ? 'rtt' : 300;
  return { scenario: `network flip mid-run, ${how}`, oracleMs, clientMs: median(client), budget };
}

async function main(): Promise<void> {
  const internal = await startTestNode({ host: '127.0.0.2', names, label: 'internal', delayMs: RTT_MS });
  const external = await startTestNode({
    host: '127.0.0.1',
    names: { ...names, internal: 'i-nur1.pl-1234.invalid' },
    label: 'external',
    delayMs: RTT_MS,
  });
  const silent = await startSilentListener('127.0.0.2');
  const rows: Row[] = [];
  try {
    const refused = await refusedPort('127.0.0.3');
    rows.push(
      await coldStart(
        'internal refused',
        `http://127.0.0.3:${refused}/`,
        external.origin,
        external.origin,
        'rtt',
        `http://127.0.0.3:${refused}/`,
      ),
    );
    rows.push(
      await coldStart(
        'internal unknown host',
        'http://i-nur1.pl-1234.invalid:18443/',
        external.origin,
        external.origin,
        'rtt',
        'http://i-nur1.pl-1234.invalid:18443/',
      ),
    );
    rows.push(
      await coldStart('internal silently dropping', `${silent.origin}/`, external.origin, external.origin, 300),
    );
    rows.push(await coldStart('both up', `${internal.origin}/`, external.origin, internal.origin, 'rtt'));
    rows.push(await flip(internal, external, 'refused'));
    rows.push(await flip(internal, external, 'silent'));
  } finally {
    await Promise.allSettled([internal.stop(), external.stop(), silent.stop()]);
  }
  console.log(
    `hairpin client: time to first good answer (median of ≤${ITERATIONS} cold starts, ≤${FLIPS} flips; emulated RTT ${RTT_MS} ms, race delay ${RACE_DELAY_MS} ms)\n`,
  );
  console.log('| scenario | oracle ms | client ms | ratio | extra ms | failure ms | budget ms | within |');
  console.log('|---|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    const extra = r.clientMs - r.oracleMs;
    const budgetMs = (r.budget === 'rtt' ? r.oracleMs : r.budget) + (r.failMs ?? 0);
    const fail = r.failMs === undefined ? '–' : r.failMs.toFixed(1);
    console.log(
      `| ${r.scenario} | ${r.oracleMs.toFixed(1)} | ${r.clientMs.toFixed(1)} | ${(r.clientMs / r.oracleMs).toFixed(2)} | ${extra.toFixed(1)} | ${fail} | ${budgetMs.toFixed(1)} | ${extra <= budgetMs + 5 ? 'yes' : 'NO'} |`,
    );
  }
  console.log(
    "\nbudget: one round trip (the oracle's own time) plus what the failure itself takes, for fast failures; 300 ms for a silent drop,",
  );
  console.log('at start or mid-session (a request safe to repeat); "within" allows 5 ms of timer jitter.');
}

await main();
