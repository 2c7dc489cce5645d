// Does the shop's resolver serve stale answers (RFC 8767)? Real resolvers on loopback in front of
// the manager's built-in port-53 server, which answers the check's name once and then stays
// silent: unbound (serve-expired), BIND (stale-answer-enable), Knot Resolver (serve_stale) and
// dnsmasq (--use-stale-cache), each with the setting and without; every one must say which.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeAgent } from '../../agent/agent.ts';
import { loadAgentConfig } from '../../agent/config.ts';
import { resolverTransport } from '../../probe/adapter/node/index.ts';
import { dohTransport } from '../../probe/doh.ts';
import { probeNode } from '../../probe/probe.ts';
import { postProbeReport } from '../../probe/report.ts';
import { checkServeStale, type StaleCheck } from '../../probe/serve-stale.ts';
import { names } from '../agent/support/names.ts';
import { ADMIN_TOKEN, startTestManager, type TestManager } from '../support/manager.ts';
import { haveSystemPrograms } from '../support/system.ts';
import { waitUntil } from '../support/wait.ts';
import { type ResolverKind, type RunningResolver, startResolver } from './resolvers.ts';

const have = haveSystemPrograms('unbound', 'named', 'kresd', 'dnsmasq');

const EXPECTED: [ResolverKind, StaleCheck['outcome']][] = [
  ['unbound-serve-expired', 'serves-stale'],
  ['unbound', 'no-stale'],
  ['named-stale-answer', 'serves-stale'],
  ['named', 'no-stale'],
  ['kresd-serve-stale', 'serves-stale'],
  ['kresd', 'no-stale'],
  ['dnsmasq-use-stale-cache', 'serves-stale'],
  ['dnsmasq', 'no-stale'],
];

let manager: TestManager;
const resolvers: RunningResolver[] = [];
const found = new Map<ResolverKind, StaleCheck>();

beforeAll(async () => {
  manager = await startTestManager();
  if (!have) return;
  const started = await Promise.allSettled(
    EXPECTED.map(([kind]) => startResolver(kind, 'example.test', manager.dns.udpPort)),
  );
  for (const s of started) if (s.status === 'fulfilled') resolvers.push(s.value);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  // All at once: each check waits out a TTL and a silence, a few seconds apiece.
  await Promise.all(
    resolvers.map(async (r) => found.set(r.kind, await checkServeStale(resolverTransport(r.spec), 'example.test'))),
  );
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(resolvers.map((r) => r.close()));
  await manager?.close();
});

describe.skipIf(!have)('serve-stale through real resolvers', () => {
  it.each(EXPECTED)('%s → %s', (kind, outcome) => {
    const check = found.get(kind)!;
    expect(check.outcome, check.reason).toBe(outcome);
    expect(check.primed.answers.map((r) => r.data)).toEqual([expect.stringMatching(/^198\.1[89]\./)]);
    if (outcome === 'serves-stale')
      expect(check.expired!.answers.map((r) => r.data)).toEqual(check.primed.answers.map((r) => r.data));
  });

  it('Knot Resolver raises the 1 s TTL to its 5 s floor: the check waits it out', () => {
    expect(found.get('kresd-serve-stale')!.primed.answers[0]!.ttl).toBeGreaterThan(1);
  });

  it('the probe carries it when asked, its report shows it to support, and the nonce name leaves the other checks alone', async () => {
    const credential = await manager.enrol('1234', 'nur1');
    await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.3', publicIpv4: '198.51.100.7' });
    const spec = resolvers.find((r) => r.kind === 'unbound-serve-expired')!.spec;
    const result = await probeNode({
      names,
      truth: dohTransport(`${manager.url}/dns-query`),
      resolver: resolverTransport(spec),
      serveStale: true,
    });
    expect(result.verdict, result.reason).toBe('ok');
    expect(result.serveStale?.outcome, result.serveStale?.reason).toBe('serves-stale');
    expect(result.serveStale!.name).toMatch(/^[0-9a-f]{16}\.stale\.canary\.example\.test$/);
    await postProbeReport(manager.url, '1234', 'nur1', credential, { result, hairpins: null });
    const page = await fetch(`${manager.url}/support/licences/1234/nodes/nur1`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const text = await page.text();
    expect(text).toContain('<th>serves stale</th>');
    expect(text).toMatch(/<td title="the expired answer came back [^"]*">serves-stale<\/td>/);
  }, 30_000);
});

describe.skipIf(!have)('the agent', () => {
  it('sends the last finished check with its probe reports, beside the decision', async () => {
    const credential = await manager.enrol('1234', 'nur7');
    const dir = await mkdtemp(join(tmpdir(), 'hairpin-stale-agent-'));
    const spec = resolvers.find((r) => r.kind === 'unbound-serve-expired')!.spec;
    try {
      await writeFile(
        join(dir, 'agent.json'),
        JSON.stringify({
          manager: manager.url,
          licence: '1234',
          node: 'nur7',
          port: 8443,
          certDir: join(dir, 'state'),
          publicIpv4: '203.0.113.7',
          hairpinAddress: '127.0.0.1',
        }),
      );
      const config = await loadAgentConfig(join(dir, 'agent.json'), {
        HAIRPIN_AGENT_CREDENTIAL: credential,
        HAIRPIN_AGENT_RESOLVER: spec,
        HAIRPIN_AGENT_START_JITTER_SECONDS: '0',
      });
      const agent = new NodeAgent(config, {
        detect: async () => ({ privateIpv4: '192.168.1.27', interface: 'eth0' }),
        log: () => {},
      });
      await agent.checkAddresses();
      // The first decision starts the check (2 s here); a later one's report carries it.
      await waitUntil(
        async () => {
          await agent.decidePairing();
          return agent.state.lastProbeReport?.serveStale === 'serves-stale';
        },
        { timeoutMs: 30_000, everyMs: 1000, timeout: () => 'no probe report with the serve-stale check' },
      );
      await agent.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 40_000);
});

describe('a manager without its own port-53 server (Workers)', () => {
  it('the check name does not resolve → unknown, and says why', async () => {
    // DoH to the manager stands in for a resolver that reaches a zone served elsewhere: the zone
    // itself has no such name (the port-53 handler is not in the DoH path).
    const check = await checkServeStale(dohTransport(`${manager.url}/dns-query`), 'example.test');
    expect(check.outcome).toBe('unknown');
    expect(check.primed.rcode).toBe('NXDOMAIN');
    expect(check.reason).toMatch(/port-53 server/);
    expect(check.expired).toBeUndefined();
  });
});
