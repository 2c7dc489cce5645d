// The lab's pure pieces, checked without root: the nftables rulesets that make a box hairpin or
// not and a carrier reject or drop RFC 1918, and the printed tables.
import { describe, expect, it } from 'vitest';
import { outageDuration } from '../../cli/lab.ts';
import { box6Ruleset, boxRuleset, carrierRuleset } from '../../lab/firewall.ts';
import { BOXES, boxPlan, ipv6Namespaces, namespaces } from '../../lab/plan.ts';
import type { ScenarioRow } from '../../lab/scenario-kit.ts';
import { formatOutage, through } from '../../lab/scenarios-outage.ts';
import { formatResolvers, formatTable } from '../../lab/table.ts';

describe('lab firewall rulesets', () => {
  it('a box without hairpin resets LAN connections to its public address and port; one with hairpin does not', () => {
    expect(boxRuleset(boxPlan('orange'))).toContain(
      'iifname "lan0" ip daddr 198.18.1.2 tcp dport 8443 reject with tcp reset',
    );
    expect(boxRuleset(boxPlan('free'))).not.toContain('reject');
    for (const b of BOXES) expect(boxRuleset(b)).toContain('oifname "wan0" masquerade');
  });

  it("an IPv6 box's firewall is stateful and drops inbound by default; the open one admits only the node's port", () => {
    const shut = box6Ruleset(boxPlan('v6shut'));
    expect(shut).toContain('policy drop;');
    expect(shut).toContain('ct state established,related accept');
    expect(shut).toContain('iifname "lan0" accept');
    expect(shut).not.toMatch(/iifname "wan0" .*accept/);
    expect(box6Ruleset(boxPlan('v6open'))).toContain(
      'iifname "wan0" ip6 daddr 2001:db8:6:1::/64 tcp dport 8443 accept',
    );
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
    expect(ipv6Namespaces().every((ns) => namespaces().includes(ns))).toBe(true);
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

describe('lab outage rows', () => {
  const t = { cutAt: 10_000, restoreAt: 40_000, endAt: 60_000 };
  const calls = (oks: Array<[number, boolean]>) => oks.map(([at, ok]) => ({ at, ms: 100, ok }));

  it('how long calls kept succeeding after the cut, and how soon after the return they were back', () => {
    const f = through(
      calls([
        [9_000, true],
        [11_000, true],
        [15_000, false],
        [39_000, false],
        [41_000, false],
        [43_000, true],
        [44_000, true],
      ]),
      t,
    );
    expect(f).toEqual({
      ok: 1,
      failed: 2,
      keptMs: 5_000,
      backMs: 3_100,
      before: true,
      firstFail: { at: 15_000, ms: 100, ok: false },
    });
  });

  it('a session that never failed kept working the whole outage and was never away', () => {
    expect(
      through(
        calls([
          [9_000, true],
          [20_000, true],
          [45_000, true],
        ]),
        t,
      ),
    ).toMatchObject({ keptMs: null, backMs: 0 });
  });

  it('a session that never came back says so', () => {
    expect(
      through(
        calls([
          [9_000, true],
          [20_000, false],
          [50_000, false],
        ]),
        t,
      ),
    ).toMatchObject({ backMs: null });
  });

  it('prints the outage table with the floors met or not', () => {
    const row: ScenarioRow = {
      id: 'O1a',
      title: 'Line cut',
      where: 'hp-orange-phone',
      url: 'https://i-nur1.pl-1001.polaris-lab.test:8443/',
      pairing: 'orange Node app',
      calls: { ok: 3, failed: 1 },
      switches: [],
      firstGoodMs: 0,
      oracleMs: null,
      transfer: { chosen: null, other: null },
      checks: [],
      notes: [],
      passed: true,
      outage: {
        box: 'orange',
        runtime: 'Node app',
        during: '3/1',
        kept: '4.0 s',
        reload: '—',
        userSaw: 'ERR_ALL_ORIGINS_FAILED',
        back: '0.0 s',
        floors: [{ what: 'keeps working for the whole outage', ok: false, saw: '4.0 s' }],
      },
    };
    const line = formatOutage([row]).split('\n')[2]!;
    expect(line).toContain('| O1a | orange | Node app |');
    expect(line).toContain('NOT met: keeps working for the whole outage');
  });

  it('the long run takes a duration the CLI way', () => {
    expect(outageDuration('30m')).toBe(1_800_000);
    expect(outageDuration('90s')).toBe(90_000);
    expect(() => outageDuration('5s')).toThrow(/10s to 6h/);
    expect(() => outageDuration('30')).toThrow(/duration/);
  });
});
