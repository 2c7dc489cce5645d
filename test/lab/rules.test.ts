// The lab's pure pieces, checked without root: the nftables rulesets that make a box hairpin or
// not and a carrier reject or drop RFC 1918, and the printed tables.
import { describe, expect, it } from 'vitest';
import { boxRuleset, carrierRuleset } from '../../lab/firewall.ts';
import { BOXES, boxPlan, namespaces } from '../../lab/plan.ts';
import type { ScenarioRow } from '../../lab/scenarios.ts';
import { formatResolvers, formatTable } from '../../lab/table.ts';

describe('lab firewall rulesets', () => {
  it('a box without hairpin resets LAN connections to its public address and port; one with hairpin does not', () => {
    expect(boxRuleset(boxPlan('orange'))).toContain(
      'iifname "lan0" ip daddr 198.18.1.2 tcp dport 8443 reject with tcp reset',
    );
    expect(boxRuleset(boxPlan('free'))).not.toContain('reject');
    for (const b of BOXES) expect(boxRuleset(b)).toContain('oifname "wan0" masquerade');
  });

  it('the carrier acts before the route lookup, on every cellular link', () => {
    const reject = carrierRuleset('reject');
    expect(reject).toContain('hook prerouting');
    expect(reject).toContain('reject with icmp type admin-prohibited');
    expect(reject).toContain('"cell-only", "cell-orange", "cell-free", "cell-third"');
    expect(carrierRuleset('drop')).toMatch(/192\.168\.0\.0\/16 \} drop/);
  });

  it('every namespace carries the prefix that "lab down" removes', () => {
    expect(namespaces().every((ns) => ns.startsWith('hp-'))).toBe(true);
    expect(new Set(namespaces()).size).toBe(namespaces().length);
  });
});

describe('lab tables', () => {
  const row: ScenarioRow = {
    id: '3',
    title: 'Cellular',
    where: 'hp-cell',
    url: 'https://i-nur1.pl-1001.polaris-lab.test:8443/',
    pairing: 'orange internal',
    calls: { ok: 10, failed: 0 },
    switches: ['race→nur1.pl-1001.polaris-lab.test'],
    firstGoodMs: 140,
    oracleMs: 58,
    transfer: {
      chosen: { ok: true, ms: 2000, bytes: 10_000_000 },
      other: { ok: false, ms: 8000, error: 'TimeoutError: aborted' },
    },
    checks: [{ what: 'every call succeeds', ok: true, saw: '10/10' }],
    notes: [],
    passed: true,
  };

  it('prints one Markdown row per scenario with rates and failures', () => {
    const lines = formatTable([
      row,
      { ...row, id: '4', passed: false, checks: [{ what: 'x', ok: false, saw: 'y' }] },
    ]).split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toContain('| 10/0 ');
    expect(lines[2]).toContain('1: race→nur1 ');
    expect(lines[2]).toContain('140 ms / 58 ms');
    expect(lines[2]).toContain('2.00 s (40 Mbit/s)');
    expect(lines[2]).toContain('no answer in 8 s');
    expect(lines[3]).toContain('FAIL: x (saw y)');
  });

  it('prints what each resolver answered', () => {
    const text = formatResolvers([
      { resolver: 'third box', software: 'dnsmasq', rcode: 'NOERROR', addresses: [], ede: '15 (Blocked)' },
    ]);
    expect(text).toContain('NOERROR, no address, EDE 15 (Blocked)');
  });
});
