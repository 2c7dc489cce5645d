// The node's own DHCP address change, against a real manager and a real unbound that caches the
// old record for its TTL: the agent sees the change within seconds (not at its next poll),
// reports at once, and does not downgrade the pairing while the shop's resolver rightly still
// holds the old address; it decides again once the TTL has passed, and the LAN path is back.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NodeAddresses } from '../../agent/addresses.ts';
import { NodeAgent } from '../../agent/agent.ts';
import { type AgentConfig, loadAgentConfig } from '../../agent/config.ts';
import { type RunningResolver, startResolver } from '../probe/resolvers.ts';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { haveSystemPrograms } from '../support/system.ts';
import { waitUntil } from '../support/wait.ts';

/** Short enough for a test, long enough that the cache outlives the report and the first decision. */
const TTL = 8;

describe.skipIf(!haveSystemPrograms('unbound'))("the node's own address change", () => {
  let manager: TestManager;
  let unbound: RunningResolver;
  let dir: string;
  let config: AgentConfig;

  beforeAll(async () => {
    manager = await startTestManager({ HAIRPIN_ADDRESS_TTL: String(TTL), HAIRPIN_INTERNAL_TTL: String(TTL) });
    const credential = await manager.enrol('1234', 'nur1');
    unbound = await startResolver('unbound', 'example.test', manager.dns.udpPort);
    dir = await mkdtemp(join(tmpdir(), 'hairpin-dhcp-'));
    // Nothing listens on the hairpin address: the box does not hairpin, so a downgrade would
    // come with "The LAN path to the node is broken".
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
      HAIRPIN_AGENT_RESOLVER: unbound.spec,
    });
  });
  afterAll(async () => {
    await unbound?.close();
    await manager?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("is reported within seconds, keeps the internal pairing through the old record's TTL, and decides again after it", async () => {
    let addresses: NodeAddresses = { privateIpv4: '192.168.1.20', interface: 'eth0' };
    const lines: string[] = [];
    // The production poll (60 s): only the address watch can see the change in time.
    const agent = new NodeAgent(
      { ...config, pollSeconds: 60, startJitterSeconds: 0 },
      { detect: async () => addresses, log: (l) => lines.push(l), watchMs: 200 },
    );
    await agent.start();
    try {
      await waitUntil(async () => agent.state.pairing?.kind === 'internal', {
        timeoutMs: 15_000,
        timeout: () => `no internal decision: ${lines.join('\n')}`,
      });
      const before = agent.state.pairing!.decidedAt;

      addresses = { privateIpv4: '192.168.1.47', interface: 'eth0' };
      const changedAt = Date.now();
      // Reported at once: the manager serves the new address well before the 60 s poll.
      await waitUntil(
        async () => {
          const found = await manager.zone.lookup('i-nur1.pl-1234.example.test');
          return found.status === 'exists' && found.records.some((r) => r.type === 'A' && r.data === '192.168.1.47');
        },
        { timeoutMs: 10_000, timeout: () => `the new address was not reported: ${lines.join('\n')}` },
      );
      expect(agent.state.addressChange).toMatchObject({ from: '192.168.1.20', to: '192.168.1.47' });

      // An app asks for the pairing URL now (the local endpoint): unbound still holds 192.168.1.20.
      const during = await agent.decidePairing();
      if (Date.now() - changedAt < TTL * 1000) {
        expect(during.internal.answers).toContain('192.168.1.20');
        expect(during.kind, during.explanation.join(' ')).toBe('internal');
        expect(during.warning).toBeUndefined();
        expect(during.recheckAfterSeconds).toBeGreaterThan(0);
        expect(during.explanation.join(' ')).toMatch(/changed from 192\.168\.1\.20/);
      }

      // Once the TTL has passed the agent decides again by itself: the new address, internal.
      await waitUntil(
        async () =>
          agent.state.pairing?.internal.verdict === 'ok' &&
          agent.state.pairing.decidedAt > before &&
          agent.state.pairing.internal.answers.includes('192.168.1.47'),
        {
          timeoutMs: (TTL + 15) * 1000,
          timeout: () => `no new decision after the TTL: ${JSON.stringify(agent.state.pairing)}`,
        },
      );
      expect(agent.state.pairing!.kind).toBe('internal');
      expect(lines.join('\n')).not.toMatch(/LAN path to the node is broken/);
    } finally {
      await agent.stop();
    }
  }, 60_000);
});
