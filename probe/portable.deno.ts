// The probe core under Deno (`deno test --allow-net --unstable-net --no-check probe/portable.deno.ts`;
// the vitest suite test/probe/portable.test.ts runs it). A canned zone is served over DoH by
// Deno.serve (the truth, and a filtering "resolver"), over TCP by Deno.listen and over UDP by
// Deno.listenDatagram (which needs --unstable-net).
import { type DnsMessage, type DnsRecord, decodeMessage, encodeMessage } from '../dns/message.ts';
import { Rcode } from '../dns/rcode.ts';
import { frameTcp } from '../dns/tcp-frame.ts';
import { resolverTransport, tcpTransport } from './adapter/deno/index.ts';
import { dohTransport, parseResolvConf, parseResolverAddress, probeNode, VERDICT_CODES } from './index.ts';

interface Listener {
  addr: { port: number };
  accept(): Promise<{
    read(p: Uint8Array): Promise<number | null>;
    write(p: Uint8Array): Promise<number>;
    close(): void;
  }>;
  close(): void;
}
declare const Deno: {
  test(name: string, fn: () => Promise<void> | void): void;
  serve(
    options: { hostname: string; port: number; onListen?: () => void },
    handler: (r: Request) => Response | Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void> };
  listen(options: { hostname: string; port: number }): Listener;
  listenDatagram?: (options: { hostname: string; port: number; transport: 'udp' }) => {
    addr: { port: number };
    receive(): Promise<[Uint8Array, { transport: 'udp'; hostname: string; port: number }]>;
    send(p: Uint8Array, addr: { transport: 'udp'; hostname: string; port: number }): Promise<number>;
    close(): void;
  };
};

function assertEqual(actual: unknown, expected: unknown, what: string): void {
  if (JSON.stringify(actual) !== JSON.stringify(expected))
    throw new Error(`${what}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

const zone = 'example.test';
const internal = `i-nur1.pl-1234.${zone}`;
const rr = (name: string, type: 'A' | 'AAAA' | 'TXT', data: string): DnsRecord =>
  (type === 'TXT'
    ? { name, type, ttl: 60, class: 'IN', data: [data] }
    : { name, type, ttl: 60, class: 'IN', data }) as DnsRecord;
const records: DnsRecord[] = [
  rr(internal, 'A', '10.1.2.3'),
  rr(internal, 'TXT', 'v=hairpin1 a=10.1.2.3'),
  rr(`private.canary.${zone}`, 'A', '10.255.255.254'),
  rr(`ula.canary.${zone}`, 'AAAA', 'fd68:6169:7270:696e::1'),
  rr(`public.canary.${zone}`, 'A', '198.18.0.1'),
];
const soa: DnsRecord = {
  name: zone,
  type: 'SOA',
  ttl: 60,
  class: 'IN',
  data: { mname: `ns1.${zone}`, rname: `hostmaster.${zone}`, serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60 },
};

/** Answer like the manager; `servfailPrivate` answers like BIND with deny-answer-addresses. */
function answer(query: DnsMessage, servfailPrivate: boolean): DnsMessage {
  const q = query.questions![0]!;
  const found = records.filter((r) => r.name === q.name && r.type === q.type);
  const base: DnsMessage = {
    id: query.id,
    type: 'response',
    flags: 0x0400,
    questions: [q],
    answers: [],
    authorities: [],
  };
  if (servfailPrivate && found.some((r) => r.type === 'A' && String(r.data).startsWith('10.')))
    return { ...base, flags: Rcode.SERVFAIL };
  if (found.length > 0) return { ...base, answers: found };
  const exists = records.some((r) => r.name === q.name) || q.name === zone;
  return { ...base, flags: 0x0400 | (exists ? 0 : Rcode.NXDOMAIN), authorities: [soa] };
}

function serveDoh(servfailPrivate: boolean) {
  return Deno.serve({ hostname: '127.0.0.1', port: 0, onListen: () => {} }, async (request) => {
    const query = decodeMessage(new Uint8Array(await request.arrayBuffer()));
    return new Response(encodeMessage(answer(query, servfailPrivate)) as Uint8Array<ArrayBuffer>, {
      headers: { 'content-type': 'application/dns-message' },
    });
  });
}

Deno.test('deno: parsers and the verdict vocabulary', () => {
  assertEqual(
    parseResolvConf('nameserver 10.0.0.1\nnameserver fe80::1%eth0\noptions timeout:1').nameservers,
    ['10.0.0.1'],
    'resolv.conf',
  );
  assertEqual(parseResolverAddress('[::1]:5353'), { host: '::1', port: 5353 }, 'resolver address');
  assertEqual(VERDICT_CODES.length, 13, 'verdict count');
});

Deno.test('deno: DoH truth and DoH resolver → ok; SERVFAIL filter → filtered-servfail', async () => {
  const truth = serveDoh(false);
  const filtering = serveDoh(true);
  try {
    const doh = dohTransport(`http://127.0.0.1:${truth.addr.port}/dns-query`);
    const ok = await probeNode({ names: { internal }, truth: doh, resolver: doh });
    assertEqual([ok.verdict, ok.zone], ['ok', zone], 'plain');
    const filtered = await probeNode({
      names: { internal },
      truth: doh,
      resolver: dohTransport(`http://127.0.0.1:${filtering.addr.port}/dns-query`),
    });
    assertEqual(filtered.verdict, 'filtered-servfail', 'filtered');
    assertEqual(filtered.checks.find((c) => c.type === 'TXT')?.verdict, 'ok', 'TXT control');
  } finally {
    await Promise.all([truth.shutdown(), filtering.shutdown()]);
  }
});

Deno.test('deno: the TCP transport against a Deno.listen server; a silent one → timeout', async () => {
  const truth = serveDoh(false);
  const server = Deno.listen({ hostname: '127.0.0.1', port: 0 });
  const silent = Deno.listen({ hostname: '127.0.0.1', port: 0 });
  const held: { close(): void }[] = [];
  void (async () => {
    for (;;) {
      const conn = await server.accept().catch(() => undefined);
      if (!conn) return;
      const buf = new Uint8Array(4096);
      const n = (await conn.read(buf)) ?? 0;
      const out = encodeMessage(answer(decodeMessage(buf.subarray(2, n)), false));
      await conn.write(frameTcp(out));
      conn.close();
    }
  })();
  void (async () => {
    for (;;) {
      const conn = await silent.accept().catch(() => undefined);
      if (!conn) return;
      held.push(conn);
    }
  })();
  try {
    const doh = dohTransport(`http://127.0.0.1:${truth.addr.port}/dns-query`);
    const tcp = await probeNode({
      names: { internal },
      truth: doh,
      resolver: tcpTransport({ host: '127.0.0.1', port: server.addr.port }),
    });
    assertEqual(tcp.verdict, 'ok', 'tcp');
    const started = Date.now();
    const quiet = await probeNode({
      names: { internal },
      zone,
      truth: doh,
      resolver: tcpTransport({ host: '127.0.0.1', port: silent.addr.port }),
      timeoutMs: 500,
    });
    assertEqual(quiet.verdict, 'timeout', 'silent');
    if (Date.now() - started > 5000) throw new Error('the silent resolver took longer than 5 s');
  } finally {
    server.close();
    silent.close();
    for (const c of held) c.close();
    await truth.shutdown();
  }
});

Deno.test('deno: UDP through Deno.listenDatagram (--unstable-net) → ok', async () => {
  if (!Deno.listenDatagram) throw new Error('run with --unstable-net: Deno.listenDatagram is missing');
  const truth = serveDoh(false);
  const server = Deno.listenDatagram({ hostname: '127.0.0.1', port: 0, transport: 'udp' });
  void (async () => {
    for (;;) {
      const got = await server.receive().catch(() => undefined);
      if (!got) return;
      await server.send(encodeMessage(answer(decodeMessage(got[0]), false)), got[1]);
    }
  })();
  try {
    const doh = dohTransport(`http://127.0.0.1:${truth.addr.port}/dns-query`);
    const resolver = resolverTransport(`127.0.0.1:${server.addr.port}`);
    assertEqual(resolver.label, `udp://127.0.0.1:${server.addr.port}`, 'UDP chosen');
    const result = await probeNode({ names: { internal }, truth: doh, resolver });
    assertEqual(result.verdict, 'ok', 'udp');
  } finally {
    server.close();
    await truth.shutdown();
  }
});
