// A phone's app, run inside the phone's namespace: the app client making API calls as an app
// does, plus the two yardsticks the table compares it with (an oracle that knows the right
// origin, and a 10 MB transfer over a given origin). Each mode is its own process, so no
// connection or DNS state carries over from one measurement to the next. Prints one JSON line.
//
//   node lab/phone.ts client '{"mountPoint":"https://i-nur1…:8443/","calls":20,"intervalMs":50}'
//   node lab/phone.ts oracle https://nur1…:8443/
//   node lab/phone.ts transfer https://nur1…:8443 10000000
import { lookup } from 'node:dns';
import { existsSync, writeFileSync } from 'node:fs';
import { Agent } from 'undici';
import {
  createHairpinClient,
  HairpinClientError,
  type OriginSwitchEvent,
  type TransportFailureEvent,
} from '../client/index.ts';
import { lastKnownAddress } from '../client/last-known-address.ts';

export interface ClientRun {
  mountPoint: string;
  /** Calls to make, one after the other (GET /v1/items), each `intervalMs` after the last ended. */
  calls: number;
  intervalMs: number;
  raceDelayMs?: number;
  reprobe?: { initialMs: number; maxMs: number } | false;
  /** The origin known to work: timed first in the same (warmed) process, on a connection closed after. */
  oracle?: string;
  /** Stop making calls once this long has passed since the session began (ms). */
  durationMs?: number;
  /** The relay origin pairing handed out with the URL, when it did. */
  relayOrigin?: string;
  /** The path each call asks for (default `/v1/items`; `/v1/items?close`: a new connection each call). */
  path?: string;
  /** Created after the first successful call; calls stop once `stopFile` exists (the lab's outage rows). */
  readyFile?: string;
  stopFile?: string;
  /** Connect through undici with the client's `lastKnownAddress` lookup, as docs/offline.md tells a Node app to. */
  lastKnownAddress?: boolean;
}

export interface CallRecord {
  at: number;
  ms: number;
  ok: boolean;
  origin?: string;
  /** The caller's address as the node saw it (lab/node-site.ts): which path the call took. */
  peer?: string;
  error?: string;
}
export interface SwitchRecord {
  at: number;
  from: string | null;
  to: string | null;
  reason: string;
  failure?: string;
}

export interface ClientResult {
  startedAt: number;
  calls: CallRecord[];
  switches: SwitchRecord[];
  failures: Array<{ at: number; what: string }>;
  firstGoodMs: number | null;
  oracle: Measure | null;
}

export interface Measure {
  ok: boolean;
  ms: number;
  error?: string;
  bytes?: number;
}

function describe(error: unknown): string {
  if (error instanceof HairpinClientError) return `${error.code}: ${error.message}`;
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  return `${e.name ?? 'Error'}: ${e.cause?.code ?? e.cause?.message ?? e.message ?? String(error)}`;
}

/** Node's fetch through an undici Agent whose lookup falls back to the last known address. */
function lastKnownFetch(): typeof fetch {
  const dispatcher = new Agent({ connect: { lookup: lastKnownAddress({ lookup }).lookup } });
  return (input, init) => fetch(input, { ...init, dispatcher } as RequestInit);
}

async function runClient(run: ClientRun): Promise<ClientResult> {
  let measured: Measure | null = null;
  if (run.oracle) {
    await oracle(run.oracle); // pays the process's first TLS handshake, which the client would pay otherwise
    measured = await oracle(run.oracle);
  }
  const startedAt = Date.now();
  const client = createHairpinClient({
    mountPoint: run.mountPoint,
    storage: null,
    raceDelayMs: run.raceDelayMs ?? 250,
    attemptTimeoutMs: 5_000,
    probeTimeoutMs: 3_000,
    reprobe: run.reprobe ?? { initialMs: 500, maxMs: 1_000 },
    ...(run.relayOrigin ? { relayOrigin: run.relayOrigin } : {}),
    ...(run.lastKnownAddress ? { fetch: lastKnownFetch() } : {}),
  });
  const switches: SwitchRecord[] = [];
  const failures: ClientResult['failures'] = [];
  client.addEventListener('switch', (e) => {
    const s = e as OriginSwitchEvent;
    switches.push({
      at: Date.now(),
      from: s.from,
      to: s.to,
      reason: s.reason,
      ...(s.failure ? { failure: `${s.failure.kind}@${new URL(s.failure.origin).hostname}` } : {}),
    });
  });
  client.addEventListener('failure', (e) => {
    const f = (e as TransportFailureEvent).failure;
    failures.push({ at: Date.now(), what: `${f.kind}@${new URL(f.origin).hostname}` });
  });
  const calls: CallRecord[] = [];
  const stopped = () =>
    (run.durationMs !== undefined && Date.now() - startedAt >= run.durationMs) ||
    (run.stopFile !== undefined && existsSync(run.stopFile));
  for (let i = 0; i < run.calls && !stopped(); i++) {
    const at = Date.now();
    try {
      const res = await client.fetch(run.path ?? '/v1/items', { signal: AbortSignal.timeout(15_000) });
      const { peer } = (await res.json().catch(() => ({}))) as { peer?: string };
      calls.push({ at, ms: Date.now() - at, ok: res.ok, origin: new URL(res.url).origin, ...(peer ? { peer } : {}) });
      if (res.ok && run.readyFile && !existsSync(run.readyFile)) writeFileSync(run.readyFile, '');
    } catch (error) {
      calls.push({ at, ms: Date.now() - at, ok: false, error: describe(error) });
    }
    if (i < run.calls - 1) await new Promise((r) => setTimeout(r, run.intervalMs));
  }
  client.close();
  const first = calls.find((c) => c.ok);
  return {
    startedAt,
    calls,
    switches,
    failures,
    firstGoodMs: first ? first.at + first.ms - startedAt : null,
    oracle: measured,
  };
}

/**
 * The oracle: one plain fetch straight to the origin known to work. `?close` has the demo node
 * close the connection after answering, so the client measured next starts from a new one.
 */
async function oracle(url: string): Promise<Measure> {
  const started = Date.now();
  try {
    const res = await fetch(new URL('/v1/items?close', url), { signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    return { ok: res.ok, ms: Date.now() - started };
  } catch (error) {
    return { ok: false, ms: Date.now() - started, error: describe(error) };
  }
}

async function transfer(origin: string, bytes: number, timeoutMs: number): Promise<Measure> {
  const started = Date.now();
  try {
    const res = await fetch(new URL(`/v1/blob?bytes=${bytes}`, origin), { signal: AbortSignal.timeout(timeoutMs) });
    const got = (await res.arrayBuffer()).byteLength;
    return { ok: res.ok && got === bytes, ms: Date.now() - started, bytes: got };
  } catch (error) {
    return { ok: false, ms: Date.now() - started, error: describe(error) };
  }
}

if (import.meta.main) {
  const [mode, arg = '', extra] = process.argv.slice(2);
  // Node loads its fetch (undici) on first use, ~100 ms: pay it before any clock starts.
  await (await fetch('data:,warm')).text();
  const result =
    mode === 'client'
      ? await runClient(JSON.parse(arg) as ClientRun)
      : mode === 'oracle'
        ? await oracle(arg)
        : mode === 'transfer'
          ? await transfer(arg, Number(extra ?? 10_000_000), 8_000)
          : undefined;
  if (!result) {
    console.error('usage: node lab/phone.ts client <json> | oracle <url> | transfer <origin> [bytes]');
    process.exit(2);
  }
  console.log(JSON.stringify(result));
}
