// The agent as a whole against a real manager: reports on change only, a periodic report
// noticing a new public address, one poll at a time, its state file, the CLI (`hairpin agent
// run` until SIGTERM, `status`, `pairing-url --json`), the local pairing endpoint, and — with
// Pebble installed — `start()` obtaining the certificate with propagation checked over the
// manager's DoH.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import { type AddressInfo, connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeAddresses } from '../../agent/addresses.ts';
import { NodeAgent } from '../../agent/agent.ts';
import { readCertificateStatus } from '../../agent/cert/keeper.ts';
import { type AgentConfig, loadAgentConfig } from '../../agent/config.ts';
import { withHairpinListener } from '../../agent/http/node.ts';
import { ManagerError } from '../../agent/manager-client.ts';
import { makeCertificate } from '../../lab/pki.ts';
import { resolverTransport } from '../../probe/adapter/node/index.ts';
import { observe } from '../../probe/observe.ts';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { freePort } from '../support/net.ts';
import { haveSystemPrograms } from '../support/system.ts';
import { waitUntil } from '../support/wait.ts';
import { type RunningPebble, startPebble } from './support/pebble.ts';

const root = new URL('../../', import.meta.url).pathname;

let manager: TestManager;
let credential: string;
let dir: string;
let config: AgentConfig;
let addresses: NodeAddresses = { privateIpv4: '192.168.1.20', interface: 'eth0' };

beforeAll(async () => {
  manager = await startTestManager();
  credential = await manager.enrol('1234', 'nur1');
  await manager.enrol('1234', 'nur2');
  dir = await mkdtemp(join(tmpdir(), 'hairpin-agent-'));
  // The hairpin self-test runs at every pairing decision: keep it on loopback, not on the
  // documentation address reported as public.
  await writeFile(
    join(dir, 'agent.json'),
    JSON.stringify({
      manager: manager.url,
      licence: '1234',
      node: 'nur1',
      port: 8443,
      certDir: join(dir, 'state'),
      publicIpv4: '203.0.113.7',
      hairpinAddress: '127.0.0.1',
    }),
  );
  config = await loadAgentConfig(join(dir, 'agent.json'), {
    HAIRPIN_AGENT_CREDENTIAL: credential,
    HAIRPIN_AGENT_RESOLVER: `127.0.0.1:${manager.dns.udpPort}`,
    HAIRPIN_AGENT_START_JITTER_SECONDS: '0',
  });
});
afterAll(async () => {
  await manager?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('NodeAgent', () => {
  it('reports once, then only when the addresses change', async () => {
    const agent = new NodeAgent(config, { detect: async () => addresses, log: () => {} });
    const first = await agent.checkAddresses();
    expect(first.reported).toBe(true);
    expect(agent.state.lastReport).toMatchObject({ ok: true, changed: true });
    expect((await agent.checkAddresses()).reported).toBe(false);
    addresses = { privateIpv4: '192.168.1.21', privateIpv6: 'fd00::21', interface: 'eth0' };
    expect((await agent.checkAddresses()).reported).toBe(true);
    const found = await manager.zone.lookup('i-nur1.pl-1234.example.test');
    expect(found.status === 'exists' && found.records.filter((r) => r.type !== 'TXT').map((r) => r.data)).toEqual([
      '192.168.1.21',
      'fd00::21',
    ]);
    expect(await agent.serviceIdentity()).toMatchObject({ appsName: 'pl-1234.apps.example.test', port: 8443 });
  });

  it('notices a new public address in the answer to a periodic report, and says so', async () => {
    const nodeCredential = await manager.enrol('1234', 'nur7');
    const logged: string[] = [];
    let now = Date.now();
    const wan = {
      ...config,
      node: 'nur7',
      credential: nodeCredential,
      certDir: join(dir, 'nur7'),
      publicIpv4: '203.0.113.7',
    };
    const agent = new NodeAgent(wan, {
      detect: async () => addresses,
      log: (line) => logged.push(line),
      now: () => now,
    });
    expect((await agent.checkAddresses()).reported).toBe(true);
    // The box got a new WAN address: nothing changed on the node, so only the periodic report
    // can carry it (here the override stands in for the source address the manager would see).
    wan.publicIpv4 = '203.0.113.9';
    expect((await agent.checkAddresses()).reported).toBe(false);
    now += wan.reportEverySeconds * 1000;
    expect(await agent.checkAddresses()).toMatchObject({ reported: true, changed: true });
    expect(agent.state.publicIpv4).toBe('203.0.113.9');
    expect(logged).toContain('public address: 203.0.113.7 -> 203.0.113.9 (as the manager sees it)');
  });

  it('publishes its stable global IPv6 as the external name’s AAAA, follows it, and takes it away when it goes', async () => {
    const nodeCredential = await manager.enrol('1234', 'nur9');
    let detected: NodeAddresses = { privateIpv4: '192.168.1.20', publicIpv6: '2001:db8:1:2::20', interface: 'eth0' };
    const logged: string[] = [];
    const agent = new NodeAgent(
      { ...config, node: 'nur9', credential: nodeCredential, certDir: join(dir, 'nur9') },
      { detect: async () => detected, log: (line) => logged.push(line) },
    );
    const aaaa = async () => {
      const found = await manager.zone.lookup('nur9.pl-1234.example.test');
      return found.status === 'exists' ? found.records.filter((r) => r.type === 'AAAA').map((r) => r.data) : [];
    };
    await agent.checkAddresses();
    expect(await aaaa()).toEqual(['2001:db8:1:2::20']);
    detected = { ...detected, publicIpv6: '2001:db8:1:3::20' };
    expect(await agent.checkAddresses()).toMatchObject({ reported: true, changed: true });
    expect(await aaaa()).toEqual(['2001:db8:1:3::20']);
    expect(logged.some((l) => l.startsWith('public IPv6: 2001:db8:1:2::20 -> 2001:db8:1:3::20'))).toBe(true);
    // Gone (or "off"): the report says null, so the manager drops the AAAA rather than keep it.
    detected = {
      privateIpv4: '192.168.1.20',
      publicIpv6Reason: 'off in the configuration (publicIpv6: "off")',
      interface: 'eth0',
    };
    expect(await agent.checkAddresses()).toMatchObject({ reported: true, changed: true });
    expect(await aaaa()).toEqual([]);
  });

  it('never runs two polls at once, even when a poll outlasts the interval', async () => {
    let running = 0;
    let most = 0;
    let polls = 0;
    const slowDetect = async () => {
      polls++;
      most = Math.max(most, ++running);
      await new Promise((r) => setTimeout(r, 100));
      running--;
      return addresses;
    };
    // 20 ms between polls, each 100 ms long: an interval timer would run five at once.
    const agent = new NodeAgent(
      { ...config, certDir: join(dir, 'overlap'), pollSeconds: 0.02 },
      { detect: slowDetect, log: () => {} },
    );
    await agent.start();
    try {
      await waitUntil(() => polls >= 4, { timeout: () => `only ${polls} polls` });
    } finally {
      await agent.stop();
    }
    expect(most).toBe(1);
  });

  it("refuses to report another node's addresses with this credential (403, not retried)", async () => {
    const agent = new NodeAgent(
      { ...config, node: 'nur2', certDir: join(dir, 'nur2') },
      { detect: async () => addresses, log: () => {} },
    );
    const error = await agent.checkAddresses().catch((e) => e);
    expect(error).toBeInstanceOf(ManagerError);
    expect(error.status).toBe(403);
    expect(agent.state.lastReport).toMatchObject({ ok: false });
  });

  it('an internal decision does not wait for the hairpin self-test, and its report still carries the result', async () => {
    const agent = new NodeAgent(
      { ...config, certDir: join(dir, 'internal-decision') },
      { detect: async () => addresses, log: () => {} },
    );
    const before = Date.now();
    const decision = await agent.decidePairing();
    expect(decision).toMatchObject({ kind: 'internal', hairpin: null });
    await waitUntil(
      async () => {
        const rows = await sql<{
          hairpins: number | null;
          at: number;
        }>`SELECT hairpins, at FROM probe_reports WHERE licence = '1234' AND node = 'nur1' ORDER BY at DESC`.execute(
          manager.store.db,
        );
        const last = rows.rows[0];
        // Nothing listens on 127.0.0.1:8443: the self-test says "no hairpin", not "unknown".
        return last !== undefined && Number(last.at) >= before && last.hairpins !== null && Number(last.hairpins) === 0;
      },
      { timeout: () => 'no probe report with the hairpin result' },
    );
  });

  it('sends a probe report only when what it says changed, or after a day', async () => {
    let now = Date.parse('2026-11-25T10:00:00Z');
    const credential = await manager.enrol('1234', 'nur5');
    const agent = new NodeAgent(
      { ...config, node: 'nur5', credential, certDir: join(dir, 'dedupe') },
      { detect: async () => addresses, log: () => {}, now: () => now },
    );
    const count = async () =>
      Number(
        (
          await sql<{
            n: number;
          }>`SELECT count(*) AS n FROM probe_reports WHERE licence = '1234' AND node = 'nur5'`.execute(manager.store.db)
        ).rows[0]!.n,
      );
    // Resolvers that refuse: external decisions, whose reports are sent before decidePairing returns.
    const [first, second] = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
    const sentBy = async (resolver: string) => {
      const before = await count();
      await agent.decidePairing({ resolver });
      return (await count()) - before;
    };
    expect(await sentBy(first)).toBe(1);
    expect(await sentBy(first)).toBe(0);
    now += 86_400_000;
    expect(await sentBy(first)).toBe(1);
    expect(await sentBy(second)).toBe(1); // another resolver: at once
  });

  it('after a restart (a power cut ending), keeps an internal decision through a new public address, and decides again once it is an hour old by its own clock', async () => {
    let now = Date.parse('2026-11-25T10:00:00Z');
    const nodeCredential = await manager.enrol('1234', 'nur11');
    const node = {
      ...config,
      node: 'nur11',
      credential: nodeCredential,
      certDir: join(dir, 'restart'),
      pollSeconds: 3600,
    };
    /** The agent started `minutes` after the last start, behind `publicIpv4`: how many decisions its start made. */
    const restart = async (minutes: number, publicIpv4: string) => {
      now += minutes * 60_000;
      const decisions: Promise<unknown>[] = [];
      const agent = new (class extends NodeAgent {
        override decidePairing(options?: { resolver?: string }) {
          const decision = super.decidePairing(options);
          decisions.push(decision);
          return decision;
        }
      })({ ...node, publicIpv4 }, { detect: async () => addresses, log: () => {}, now: () => now });
      await agent.start();
      await agent.stop();
      await Promise.all(decisions);
      // The first decision's probe report follows the hairpin self-test: written before the next start reads the state.
      await waitUntil(() => agent.state.lastProbeReport !== undefined, { timeout: () => 'no probe report' });
      return decisions.length;
    };
    expect(await restart(0, '203.0.113.7')).toBe(1);
    // Reported (the 5-minute report is due), nothing new published, decided 30 min ago.
    expect(await restart(30, '203.0.113.7')).toBe(0);
    // The box came back with a new public address: a new external record, the internal name as it was.
    expect(await restart(20, '203.0.113.9')).toBe(0);
    expect(await restart(11, '203.0.113.9')).toBe(1);
  });

  it('waits its start jitter (uniform, from its random source) before any contact with the manager', async () => {
    const nodeCredential = await manager.enrol('1234', 'nur31');
    const waits: number[] = [];
    let seenDuringWait: unknown = 'not waited';
    const agent = new NodeAgent(
      {
        ...config,
        node: 'nur31',
        credential: nodeCredential,
        certDir: join(dir, 'jitter'),
        startJitterSeconds: 20,
        pollSeconds: 3600,
      },
      {
        detect: async () => addresses,
        log: () => {},
        random: () => 0.25,
        sleep: async (ms) => {
          waits.push(ms);
          seenDuringWait = (await manager.store.getNode('1234', 'nur31'))?.addresses ?? null;
        },
      },
    );
    await agent.start();
    await agent.stop();
    expect(waits).toEqual([5_000]);
    expect(seenDuringWait).toBeNull();
    expect((await manager.store.getNode('1234', 'nur31'))?.addresses?.privateIpv4).toBe(addresses.privateIpv4);
  });

  it('reports its address as its first call: the answer carries its names, no read of the node comes first', async () => {
    const nodeCredential = await manager.enrol('1234', 'nur42');
    // The node route's reads so far, from the manager's own request counter.
    const reads = () =>
      Number(
        /hairpin_http_requests_total\{route="\/v1\/licences\/:licence\/nodes\/:node",method="GET",status="200"\} (\d+)/.exec(
          manager.metrics.render(),
        )?.[1] ?? 0,
      );
    const lines: string[] = [];
    const before = reads();
    const agent = new NodeAgent(
      { ...config, node: 'nur42', credential: nodeCredential, certDir: join(dir, 'report-first'), pollSeconds: 3600 },
      { detect: async () => addresses, log: (line) => lines.push(line) },
    );
    await agent.start();
    await agent.stop();
    expect(reads()).toBe(before);
    expect(lines.findIndex((l) => l.startsWith('reported '))).toBeLessThan(
      lines.findIndex((l) => l.startsWith('agent for ')),
    );
    expect((await agent.names()).internal).toBe('i-nur42.pl-1234.example.test');
    expect((await manager.store.getNode('1234', 'nur42'))?.addresses?.privateIpv4).toBe(addresses.privateIpv4);
  });

  it('keeps trying its first report until the manager answers, instead of giving up after one round of retries', async () => {
    const nodeCredential = await manager.enrol('1234', 'nur41');
    // The manager is down (refused) until the agent has waited three times, then reachable
    // through a plain TCP forwarder on the port the agent was given.
    const port = await freePort();
    const forwarder = createNetServer((socket) => {
      const upstream = connect(Number(new URL(manager.url).port), '127.0.0.1');
      socket.pipe(upstream).pipe(socket);
      socket.on('error', () => upstream.destroy());
      upstream.on('error', () => socket.destroy());
    });
    const waits: number[] = [];
    const agent = new NodeAgent(
      {
        ...config,
        manager: `http://127.0.0.1:${port}`,
        node: 'nur41',
        credential: nodeCredential,
        certDir: join(dir, 'names-wait'),
        startJitterSeconds: 0,
        pollSeconds: 3600,
      },
      {
        detect: async () => addresses,
        log: () => {},
        random: () => 0.5,
        retry: { attempts: 2, baseMs: 1, maxMs: 1 },
        sleep: async (ms) => {
          waits.push(ms);
          if (waits.length === 3) await new Promise<void>((resolve) => forwarder.listen(port, '127.0.0.1', resolve));
        },
      },
    );
    try {
      await agent.start();
      await agent.stop();
    } finally {
      forwarder.close();
    }
    // Full jitter over a doubling bound from 1 s: 0.5 × 1 s, 2 s, 4 s.
    expect(waits).toEqual([500, 1_000, 2_000]);
    expect((await manager.store.getNode('1234', 'nur41'))?.addresses?.privateIpv4).toBe(addresses.privateIpv4);
  });

  it('defaults the start jitter to 30 s, takes 0 for none, refuses more than an hour', async () => {
    const base = {
      HAIRPIN_AGENT_MANAGER: manager.url,
      HAIRPIN_AGENT_LICENCE: '1234',
      HAIRPIN_AGENT_NODE: 'nur1',
      HAIRPIN_AGENT_CREDENTIAL: 'x',
      HAIRPIN_AGENT_PORT: '8443',
    };
    expect((await loadAgentConfig(undefined, base)).startJitterSeconds).toBe(30);
    expect(
      (await loadAgentConfig(undefined, { ...base, HAIRPIN_AGENT_START_JITTER_SECONDS: '0' })).startJitterSeconds,
    ).toBe(0);
    await expect(loadAgentConfig(undefined, { ...base, HAIRPIN_AGENT_START_JITTER_SECONDS: '3601' })).rejects.toThrow(
      /at most 3600/,
    );
  });

  it('serves the pairing decision on its local endpoint and sends the hairpin result', async () => {
    const agent = new NodeAgent(
      { ...config, pairingListen: '127.0.0.1:0', lanDnsListen: '127.0.0.1:0', pollSeconds: 3600 },
      { detect: async () => addresses, log: () => {} },
    );
    await agent.start();
    try {
      // The node's own answer for its internal name (lanDnsListen), from the address it detected.
      const own = await observe(resolverTransport(`127.0.0.1:${agent.lanDnsPort}`), 'i-nur1.pl-1234.example.test', 'A');
      expect(own.answers.map((r) => r.data)).toEqual(['192.168.1.21']);
      const res = await fetch(`http://127.0.0.1:${agent.pairingPort}/pairing-url`);
      const decision = await res.json();
      expect(decision).toMatchObject({ url: 'https://i-nur1.pl-1234.example.test:8443/', kind: 'internal' });
      const text = await (await fetch(`http://127.0.0.1:${agent.pairingPort}/pairing-url?format=text`)).text();
      expect(text).toContain('resolves to 192.168.1.21');
    } finally {
      await agent.stop();
    }
  });
});

describe.skipIf(!haveSystemPrograms('openssl'))(
  'NodeAgent.decidePairing when the internal name does not resolve',
  () => {
    it('runs the hairpin self-test against its own service and tells the manager it hairpins', async () => {
      const tls = makeCertificate(['nur1.pl-1234.example.test']);
      const probe = new NodeAgent(config, { log: () => {} });
      const service = createServer(
        { cert: tls.cert, key: tls.key },
        withHairpinListener((_q, r) => r.end(), await probe.serviceIdentity()),
      );
      await new Promise<void>((r) => service.listen(0, '127.0.0.1', r));
      try {
        const port = (service.address() as AddressInfo).port;
        // Nothing listens at the resolver address: the internal name cannot resolve there.
        const agent = new NodeAgent(
          {
            ...config,
            port,
            hairpinAddress: '127.0.0.1',
            resolver: `127.0.0.1:${await freePort()}`,
            networkLabel: 'Orange Livebox 6',
          },
          { log: () => {} },
        );
        const decision = await agent.decidePairing();
        expect(decision).toMatchObject({
          kind: 'external',
          url: `https://nur1.pl-1234.example.test:${port}/`,
          hairpin: { hairpins: true },
        });
        const rows = await sql<{
          hairpins: number | null;
          verdict: string;
          network_label: string | null;
        }>`SELECT hairpins, verdict, network_label FROM probe_reports WHERE licence = '1234' AND node = 'nur1' ORDER BY at DESC`.execute(
          manager.store.db,
        );
        expect(rows.rows[0]).toMatchObject({ verdict: 'unreachable', network_label: 'Orange Livebox 6' });
        expect(Number(rows.rows[0]!.hairpins)).toBe(1);
      } finally {
        await new Promise<void>((r) => service.close(() => r()));
        await rm(tls.dir, { recursive: true, force: true });
      }
    });
  },
);

describe('hairpin agent CLI', () => {
  it('`agent run` reports, then exits 0 on SIGTERM', async () => {
    const nodeCredential = await manager.enrol('1234', 'nur8');
    const child = spawn(process.execPath, [join(root, 'bin/hairpin.js'), 'agent', 'run'], {
      env: {
        ...process.env,
        HAIRPIN_AGENT_CONFIG: join(dir, 'agent.json'),
        HAIRPIN_AGENT_NODE: 'nur8',
        HAIRPIN_AGENT_CREDENTIAL: nodeCredential,
        HAIRPIN_AGENT_CERT_DIR: join(dir, 'cli-run'),
        HAIRPIN_AGENT_PRIVATE_IPV4: '192.168.1.30',
        // Loopback only: the pairing check after the first report asks this resolver, and a
        // hairpin self-test, if one ran, would connect here.
        HAIRPIN_AGENT_RESOLVER: `127.0.0.1:${manager.dns.udpPort}`,
        HAIRPIN_AGENT_HAIRPIN_ADDRESS: '127.0.0.1',
        HAIRPIN_AGENT_START_JITTER_SECONDS: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      await waitUntil(
        async () => {
          if (child.exitCode !== null) throw new Error(`agent exited early: ${output}`);
          return (await manager.store.getNode('1234', 'nur8'))?.addresses?.privateIpv4 === '192.168.1.30';
        },
        { timeoutMs: 8_000, everyMs: 50, timeout: () => `the manager got no report: ${output}` },
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, output).toEqual({ code: 0, signal: null });
    expect(output).toContain('reported 192.168.1.30');
  });

  it('`agent run` stopped during its start jitter exits 0 at once, without contacting the manager', async () => {
    await manager.enrol('1234', 'nur32');
    const child = spawn(process.execPath, [join(root, 'bin/hairpin.js'), 'agent', 'run'], {
      env: {
        ...process.env,
        HAIRPIN_AGENT_CONFIG: join(dir, 'agent.json'),
        HAIRPIN_AGENT_NODE: 'nur32',
        HAIRPIN_AGENT_CREDENTIAL: 'hpn_unused',
        HAIRPIN_AGENT_CERT_DIR: join(dir, 'cli-jitter'),
        HAIRPIN_AGENT_START_JITTER_SECONDS: '3600',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      await waitUntil(
        () => {
          if (child.exitCode !== null) throw new Error(`agent exited early: ${output}`);
          return output.includes('start jitter');
        },
        { timeout: () => `the agent did not say it waits: ${output}` },
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, output).toEqual({ code: 0, signal: null });
    expect((await manager.store.getNode('1234', 'nur32'))?.addresses ?? null).toBeNull();
  });

  const cli = (...args: string[]) =>
    promisify(execFile)(process.execPath, [join(root, 'bin/hairpin.js'), 'agent', ...args], {
      env: {
        ...process.env,
        HAIRPIN_AGENT_CONFIG: join(dir, 'agent.json'),
        HAIRPIN_AGENT_CREDENTIAL: credential,
        HAIRPIN_AGENT_PRIVATE_IPV4: '192.168.1.21',
        HAIRPIN_AGENT_PRIVATE_IPV6: 'fd00::21',
      },
      timeout: 30_000,
    });

  it('pairing-url --json explains an internal decision through the given resolver', async () => {
    const { stdout } = await cli('pairing-url', '--json', '--resolver', `127.0.0.1:${manager.dns.udpPort}`);
    const decision = JSON.parse(stdout);
    expect(decision).toMatchObject({ kind: 'internal', url: 'https://i-nur1.pl-1234.example.test:8443/' });
    expect(decision.explanation[0]).toContain('resolves to 192.168.1.21');
  });

  it('status shows addresses, last report, certificate and pairing', async () => {
    const { stdout } = await cli('status');
    expect(stdout).toMatch(/addresses\s+192\.168\.1\.21 fd00::21 on config/);
    expect(stdout).toMatch(/last report\s+.* FAILED|last report\s+.* ok, serial \d+/);
    expect(stdout).toMatch(/certificate\s+none in/);
    expect(stdout).toMatch(/pairing\s+https:\/\/i-nur1\.pl-1234\.example\.test:8443\//);
  });
});

describe.skipIf(!haveSystemPrograms('pebble', 'openssl'))('NodeAgent.start with an ACME directory', () => {
  let pebble: RunningPebble;
  beforeAll(async () => {
    pebble = await startPebble(manager.dns.udpPort);
  });
  afterAll(async () => pebble?.close());

  it('obtains the certificate, checking propagation over the manager’s DoH, and runs the hook', async () => {
    const certDir = join(dir, 'acme');
    const agent = new NodeAgent(
      {
        ...config,
        certDir,
        acmeDirectory: pebble.directoryUrl,
        acmeCaFile: pebble.httpsCaFile,
        reloadCommand: `touch ${join(dir, 'reloaded')}`,
        pollSeconds: 3600,
      },
      { detect: async () => addresses, log: () => {} },
    );
    await agent.start();
    try {
      const keeper = (await agent.keeper())!;
      // start() schedules the first order at once; wait for it (bounded: 30 s).
      for (let i = 0; i < 300 && !(await keeper.status()); i++) await new Promise((r) => setTimeout(r, 100));
      const status = await keeper.status();
      expect(status?.names.sort()).toEqual(['i-nur1.pl-1234.example.test', 'nur1.pl-1234.example.test']);
      for (let i = 0; i < 50; i++)
        if (await stat(join(dir, 'reloaded')).catch(() => undefined)) break;
        else await new Promise((r) => setTimeout(r, 100));
      expect(await stat(join(dir, 'reloaded'))).toBeTruthy();
      expect((await stat(keeper.paths.key)).mode & 0o777).toBe(0o600);
    } finally {
      await agent.stop();
    }
  });

  it('`hairpin agent renew --force` replaces it from the command line', async () => {
    const certDir = join(dir, 'acme');
    const before = await readFile(join(certDir, 'fullchain.pem'), 'utf8');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(root, 'bin/hairpin.js'), 'agent', 'renew', '--force'],
      {
        env: {
          ...process.env,
          HAIRPIN_AGENT_CONFIG: join(dir, 'agent.json'),
          HAIRPIN_AGENT_CREDENTIAL: credential,
          HAIRPIN_AGENT_CERT_DIR: certDir,
          HAIRPIN_AGENT_ACME_DIRECTORY: pebble.directoryUrl,
          HAIRPIN_AGENT_ACME_CA_FILE: pebble.httpsCaFile,
        },
        timeout: 30_000,
      },
    );
    expect(stdout).toContain('new certificate (forced)');
    expect(await readFile(join(certDir, 'fullchain.pem'), 'utf8')).not.toBe(before);
    expect((await readCertificateStatus(join(certDir, 'fullchain.pem')))!.names).toHaveLength(2);
  });
});
