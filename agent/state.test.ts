// Two processes share the agent's state file: the running agent and the installer's CLI.
import { describe, expect, it } from 'vitest';
import type { PairingDecision } from './pairing.ts';
import { type AgentState, keepNewerDecision } from './state.ts';

const decision = (kind: PairingDecision['kind'], decidedAt: string) =>
  ({ kind, decidedAt, url: `https://${kind}.example.test/` }) as unknown as AgentState['pairing'];

describe('keepNewerDecision', () => {
  const running: AgentState = {
    addresses: { privateIpv4: '192.168.3.10', interface: 'eth0' },
    pairing: decision('relay', '2026-11-28T19:42:05.000Z'),
    addressTtl: 60,
    lastProbeReport: { at: '2026-11-28T19:42:06.000Z', verdict: 'filtered-nodata', resolver: 'r', hairpins: false },
  };
  const cli: AgentState = {
    addresses: { privateIpv4: '192.168.3.99', interface: 'eth9' },
    pairing: decision('internal', '2026-11-28T19:50:00.000Z'),
    addressTtl: 300,
    lastProbeReport: { at: '2026-11-28T19:50:01.000Z', verdict: 'ok', resolver: 'r', hairpins: false },
  };

  it("takes another process's newer pairing decision and probe report, and keeps its own addresses", () => {
    const merged = keepNewerDecision(running, cli);
    expect(merged.pairing).toEqual(cli.pairing);
    expect(merged.addressTtl).toBe(300);
    expect(merged.lastProbeReport?.verdict).toBe('ok');
    expect(merged.addresses).toEqual(running.addresses);
  });

  it('keeps its own decision when it is the newer one, or the file has none', () => {
    expect(keepNewerDecision(cli, running)).toEqual(cli);
    expect(keepNewerDecision(running, {})).toEqual(running);
  });
});
