// The probe on networks the first tests had not seen: real resolvers on loopback (and tiny UDP
// fronts where the quirk is the point) in front of the manager's built-in DNS server. Each case
// once led support the wrong way: a dead upstream read as a filter, a cached NODATA as a filter,
// EDNS-intolerant fronts as dead, HTTP/2-only DoH as unreachable, an in-zone CNAME as
// "not published", a shop's own zone as a negative cache.
import { execFile } from 'node:child_process';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, findOpt, records } from '../../dns/message.ts';
import { resolverTransport } from '../../probe/adapter/node/index.ts';
import { dohTransport } from '../../probe/doh.ts';
import { observe } from '../../probe/observe.ts';
import { type ProbeResult, probeNode } from '../../probe/probe.ts';
import { deno, haveDeno, root } from '../support/deno.ts';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { haveSystemPrograms } from '../support/system.ts';
import { type ResolverKind, type RunningResolver, startResolver } from './resolvers.ts';

const have = haveSystemPrograms('unbound', 'dnsmasq');
const zone = 'example.test';
const internal = `i-nur1.pl-1234.${zone}`;
/** The app-store name, a CNAME to the node's internal name in this manager's configuration. */
const alias = `pl-1234.apps.${zone}`;

let manager: TestManager;
const resolvers = new Map<ResolverKind, RunningResolver>();
const sockets: Socket[] = [];

function probe(resolver: string, name = internal): Promise<ProbeResult> {
  return probeNode({
    names: { internal: name },
    truth: dohTransport(`${manager.url}/dns-query`),
    resolver: resolverTransport(resolver),
  });
}

function check(result: ProbeResult, role: string, type: string) {
  return result.checks.find((c) => c.role === role && c.type === type)!;
}

type FrontRule = (query: Uint8Array) => 'forward' | 'drop' | Uint8Array;

/**
 * A UDP front on loopback: each query goes through `rule` (answer it, drop it, or forward it to
 * the built-in server), and a forwarded answer through `rewrite`.
 */
async function front(rule: FrontRule, rewrite: (answer: Uint8Array) => Uint8Array = (a) => a): Promise<string> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  socket.on('message', (msg: Buffer, peer: RemoteInfo) => {
    const query = new Uint8Array(msg);
    const decision = rule(query);
    if (decision === 'drop') return;
    if (decision !== 'forward') return socket.send(decision, peer.port, peer.address);
    const upstream = createSocket('udp4');
    const timer = setTimeout(() => upstream.close(), 2000);
    upstream.on('message', (answer) => {
      clearTimeout(timer);
      socket.send(rewrite(new Uint8Array(answer)), peer.port, peer.address);
      upstream.close();
    });
    upstream.send(query, manager.dns.udpPort, '127.0.0.1');
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  return `127.0.0.1:${socket.address().port}`;
}

const hasOpt = (query: Uint8Array) => findOpt(decodeMessage(query)) !== undefined;

/** FORMERR with the query's ID and question, no OPT: what an EDNS-intolerant server sends. */
function formErr(query: Uint8Array): Uint8Array {
  const q = decodeMessage(query);
  return encodeMessage({
    type: 'response',
    id: q.id,
    flags: 0x8000 | 0x0100 | 1,
    questions: q.questions,
    answers: [],
    authorities: [],
    additionals: [],
  });
}

beforeAll(async () => {
  manager = await startTestManager({ HAIRPIN_APPS_TARGET: `cname:${internal}` });
  const credential = await manager.enrol('1234', 'nur1');
  await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.3', publicIpv4: '198.51.100.7' });
  if (!have) return;
  const kinds: ResolverKind[] = ['unbound', 'unbound-local-zone', 'unbound-doh', 'dnsmasq-stop-dns-rebind'];
  const started = await Promise.allSettled(kinds.map((k) => startResolver(k, zone, manager.dns.udpPort)));
  for (const s of started) if (s.status === 'fulfilled') resolvers.set(s.value.kind, s.value);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await Promise.allSettled([...resolvers.values()].map((r) => r.close()));
  await manager?.close();
});

describe.skipIf(!have)('a dead upstream is not a filter', () => {
  let dead: RunningResolver;
  let silent: Socket;
  beforeAll(async () => {
    // The upstream reads and never answers: unbound times some questions out and SERVFAILs
    // others, differently from one name to the next.
    silent = createSocket('udp4');
    silent.on('message', () => {});
    await new Promise<void>((r) => silent.bind(0, '127.0.0.1', r));
    dead = await startResolver('unbound', zone, silent.address().port, { deadUpstream: true });
  });
  afterAll(async () => {
    await dead?.close();
    silent?.close();
  });

  it('unbound with a dead upstream → upstream-failure, the canaries too, and no "filtered" anywhere', async () => {
    const result = await probe(dead.spec);
    expect(result.verdict, result.reason).toBe('upstream-failure');
    expect(check(result, 'canary-public', 'A').verdict).toMatch(/^(upstream-failure|timeout)$/);
    for (const c of result.checks) expect(c.verdict, `${c.role} ${c.type}: ${c.reason}`).not.toMatch(/^filtered-/);
    expect(result.reason).not.toMatch(/filtered/);
  });
});

describe.skipIf(!have)("negative answers judged by the zone's SOA", () => {
  it('a NODATA cached before the report → stale-cache with the seconds left, not filtered-nodata', async () => {
    const credential = await manager.enrol('1234', 'nur5');
    const name = `i-nur5.pl-1234.${zone}`;
    const spec = resolvers.get('unbound')!.spec;
    // An app looked the name up before the node reported: unbound caches the NODATA.
    const before = await observe(resolverTransport(spec), name, 'A');
    expect(before).toMatchObject({ rcode: 'NOERROR', answers: [] });
    await manager.report('1234', 'nur5', credential, { privateIpv4: '10.5.5.5' });
    const result = await probe(spec, name);
    expect(result.verdict, result.reason).toBe('stale-cache');
    expect(result.fixesInSeconds).toBeGreaterThan(0);
    expect(result.fixesInSeconds).toBeLessThanOrEqual(60);
    expect(result.reason).toMatch(/expires in \d+ s/);
  });

  it('a resolver serving its own zone of the same name → overridden, with its SOA as evidence', async () => {
    const result = await probe(resolvers.get('unbound-local-zone')!.spec);
    expect(result.verdict, result.reason).toBe('overridden');
    expect(result.reason).toMatch(/dc1\.shop\.lan/);
    expect(check(result, 'internal', 'A').resolver.rcode).toBe('NXDOMAIN');
  });
});

describe('EDNS fallback (RFC 6891 §7)', () => {
  it('a front that answers FORMERR to EDNS → ok, answered without EDNS', async () => {
    const spec = await front((q) => (hasOpt(q) ? formErr(q) : 'forward'));
    const result = await probe(spec);
    expect(result.verdict, result.reason).toBe('ok');
    expect(check(result, 'internal', 'A').resolver.edns).toBe(false);
  });

  it('a front that drops EDNS queries → ok, the retry goes without EDNS', async () => {
    const spec = await front((q) => (hasOpt(q) ? 'drop' : 'forward'));
    const result = await probe(spec);
    expect(result.verdict, result.reason).toBe('ok');
    expect(check(result, 'internal', 'A').resolver).toMatchObject({ edns: false, attempts: 2 });
  });
});

describe('CNAME chains', () => {
  it.skipIf(!have)(
    'a CNAME to the internal name through unbound → ok (the manager adds the in-zone target)',
    async () => {
      const result = await probe(resolvers.get('unbound')!.spec, alias);
      expect(result.verdict, result.reason).toBe('ok');
      expect(check(result, 'internal', 'A').truth.answers.map((r) => [r.type, r.data])).toEqual([
        ['CNAME', internal],
        ['A', '10.1.2.3'],
      ]);
    },
  );

  it('a front that hands back the CNAME alone → the probe follows the chain → ok', async () => {
    const spec = await front(
      () => 'forward',
      (answer) => {
        const m = decodeMessage(answer);
        const qname = m.questions![0]!.name.toLowerCase();
        return encodeMessage({ ...m, answers: records(m.answers).filter((r) => r.name.toLowerCase() === qname) });
      },
    );
    const result = await probe(spec, alias);
    expect(result.verdict, result.reason).toBe('ok');
    expect(check(result, 'internal', 'A').resolver.chain).toEqual([internal]);
  });

  it.skipIf(!have)(
    'dnsmasq --stop-dns-rebind on the mixed answer (alias → private address) → filtered-nodata, EDE 15 shown',
    async () => {
      const result = await probe(resolvers.get('dnsmasq-stop-dns-rebind')!.spec, alias);
      expect(result.verdict, result.reason).toBe('filtered-nodata');
      expect(check(result, 'internal', 'A').resolver.ede).toContainEqual({ code: 15, name: 'BLOCKED' });
      expect(result.reason).toMatch(/EDE 15 BLOCKED/);
      expect(result.reason).not.toMatch(/stale/);
    },
  );
});

describe.skipIf(!have)('DoH over HTTP/2 only (unbound)', () => {
  it('Node: the DoH transport falls back to HTTP/2 by prior knowledge → ok', async () => {
    const url = resolvers.get('unbound-doh')!.doh!;
    // HTTP/1.1 gets nowhere: unbound's DoH speaks HTTP/2 only.
    await expect(
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/dns-message' },
        body: new Uint8Array(12),
        signal: AbortSignal.timeout(3000),
      }),
    ).rejects.toThrow();
    const result = await probe(url);
    expect(result.verdict, result.reason).toBe('ok');
    expect(result.resolver).toBe(resolvers.get('unbound-doh')!.doh);
  });

  it.skipIf(!haveDeno())('Deno: the same probe through the Deno adapter → ok', async () => {
    const script = `
      import { resolverTransport } from './probe/adapter/deno/index.ts';
      import { dohTransport, probeNode } from './probe/index.ts';
      const r = await probeNode({ names: { internal: '${internal}' }, truth: dohTransport('${manager.url}/dns-query'), resolver: resolverTransport('${resolvers.get('unbound-doh')!.doh}') });
      console.log(JSON.stringify({ verdict: r.verdict, reason: r.reason }));`;
    // Asynchronously: the manager answering the truth runs in this process.
    const run = await promisify(execFile)(deno, ['eval', '--no-check', script], {
      cwd: root,
      encoding: 'utf8',
      timeout: 60_000,
      env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    });
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { verdict: string; reason: string };
    expect(result.verdict, result.reason).toBe('ok');
  });
});
