// The verdict rules on synthetic evidence: the cases real resolvers in test/probe do not produce
// on demand (REFUSED filters, rewritten and partial answers, stale TXT, broken responses).
import { describe, expect, it } from 'vitest';
import { judgeAddress, judgeText } from './classify.ts';
import type { Observation, RecordEvidence } from './observe.ts';

const name = 'i-nur1.pl-1234.example.test';
const rr = (type: string, data: string): RecordEvidence => ({ name, type, ttl: 60, data });
const seen = (
  type: string,
  rcode: string,
  answers: RecordEvidence[] = [],
  extra: Partial<Observation> = {},
): Observation => ({
  transport: 'udp://192.0.2.53:53',
  name,
  type,
  outcome: 'answer',
  rcode,
  flags: ['rd', 'ra'],
  answers,
  authorities: [],
  ede: [],
  attempts: 1,
  elapsedMs: 3,
  ...extra,
});
const truthA = seen('A', 'NOERROR', [rr('A', '10.1.2.3')]);
const txt = seen('TXT', 'NOERROR', [rr('TXT', 'v=hairpin1 a=10.1.2.3')]);

describe('judgeAddress', () => {
  it('ok only for the same address set', () => {
    expect(judgeAddress(truthA, seen('A', 'NOERROR', [rr('A', '10.1.2.3')]), { control: txt }).verdict).toBe('ok');
    expect(judgeAddress(truthA, seen('A', 'NOERROR', [rr('A', '10.9.9.9')]), { control: txt })).toMatchObject({
      verdict: 'mismatch',
      reason: expect.stringMatching(/rewritten/),
    });
  });

  it('a partial answer and a CNAME without the address are mismatches', () => {
    const two = seen('A', 'NOERROR', [rr('A', '10.1.2.3'), rr('A', '10.1.2.4')]);
    expect(judgeAddress(two, seen('A', 'NOERROR', [rr('A', '10.1.2.3')]), { control: txt })).toMatchObject({
      verdict: 'mismatch',
      reason: expect.stringMatching(/partial/),
    });
    expect(
      judgeAddress(truthA, seen('A', 'NOERROR', [rr('CNAME', 'blocked.isp.example')]), { control: txt }).verdict,
    ).toBe('filtered-nodata');
  });

  it('REFUSED with the TXT passing is a filter; with the TXT refused too the resolver is unusable', () => {
    expect(
      judgeAddress(truthA, seen('A', 'REFUSED', [], { ede: [{ code: 18, name: 'PROHIBITED' }] }), { control: txt }),
    ).toMatchObject({ verdict: 'filtered-refused', reason: expect.stringMatching(/EDE 18 PROHIBITED/) });
    expect(judgeAddress(truthA, seen('A', 'REFUSED'), { control: seen('TXT', 'REFUSED') }).verdict).toBe('unreachable');
  });

  it('NODATA with an SOA is a synthesised filter answer; a TXT without the address means a stale cache', () => {
    const nodata = seen('A', 'NOERROR', [], { authorities: [rr('SOA', 'ns1.example.test hostmaster.example.test 7')] });
    expect(judgeAddress(truthA, nodata, { control: txt })).toMatchObject({
      verdict: 'filtered-nodata',
      reason: expect.stringMatching(/SOA/),
    });
    expect(judgeAddress(truthA, nodata, { control: seen('TXT', 'NOERROR', [rr('TXT', 'v=hairpin1')]) })).toMatchObject({
      verdict: 'stale-cache',
      reason: expect.stringMatching(/before the report/),
    });
  });

  it('the truth decides not-published, whatever the resolver says', () => {
    const missing = seen('A', 'NXDOMAIN', [], { transport: 'https://manager/dns-query' });
    expect(judgeAddress(missing, seen('A', 'NOERROR', [rr('A', '10.1.2.3')])).verdict).toBe('not-published');
    expect(judgeAddress(truthA, seen('A', 'NXDOMAIN')).verdict).toBe('nxdomain');
  });

  it('transport failures: timeout, unreachable, unusable response', () => {
    expect(judgeAddress(truthA, seen('A', '', [], { outcome: 'timeout', rcode: undefined, attempts: 2 })).verdict).toBe(
      'timeout',
    );
    expect(judgeAddress(truthA, seen('A', '', [], { outcome: 'unreachable', error: 'ECONNREFUSED' })).verdict).toBe(
      'unreachable',
    );
    expect(judgeAddress(truthA, seen('A', '', [], { outcome: 'bad-response', error: 'ID mismatch' })).verdict).toBe(
      'unreachable',
    );
    expect(judgeAddress({ ...truthA, outcome: 'timeout' }, seen('A', 'NOERROR', [rr('A', '10.1.2.3')])).verdict).toBe(
      'unreachable',
    );
  });

  it('compares IPv6 in canonical form', () => {
    const truth = seen('AAAA', 'NOERROR', [rr('AAAA', 'fd00::5')]);
    expect(judgeAddress(truth, seen('AAAA', 'NOERROR', [rr('AAAA', 'fd00:0:0:0:0:0:0:5')])).verdict).toBe('ok');
  });
});

describe('controls judged by their own outcome; negative answers by their SOA', () => {
  const zone = { apex: 'example.test', mname: 'ns1.example.test', rname: 'hostmaster.example.test', serial: 9 };
  const soa = (owner: string, data: string, ttl = 42): RecordEvidence => ({ name: owner, type: 'SOA', ttl, data });
  const timedOut = seen('TXT', '', [], { outcome: 'timeout', rcode: undefined, attempts: 2 });

  it('SERVFAIL with a control that timed out or failed is an upstream failure, never a filter', () => {
    expect(judgeAddress(truthA, seen('A', 'SERVFAIL'), { control: timedOut }).verdict).toBe('upstream-failure');
    expect(judgeAddress(truthA, seen('A', 'SERVFAIL'), { control: seen('TXT', 'SERVFAIL') }).verdict).toBe(
      'upstream-failure',
    );
    expect(judgeAddress(truthA, seen('A', 'SERVFAIL')).verdict).toBe('upstream-failure');
    expect(
      judgeAddress(truthA, seen('A', '', [], { outcome: 'timeout', rcode: undefined }), {
        control: seen('TXT', 'SERVFAIL'),
      }).verdict,
    ).toBe('upstream-failure');
    expect(judgeAddress(truthA, seen('A', 'SERVFAIL'), { control: txt }).verdict).toBe('filtered-servfail');
    // EDE 17 (Filtered): the resolver says it is policy, whatever the control did.
    expect(
      judgeAddress(truthA, seen('A', 'SERVFAIL', [], { ede: [{ code: 17, name: 'FILTERED' }] }), { control: timedOut })
        .verdict,
    ).toBe('filtered-servfail');
  });

  it("a negative answer with the zone's SOA at an older serial is a stale cache, with the seconds left", () => {
    const cached = seen('A', 'NOERROR', [], {
      authorities: [soa('example.test', 'ns1.example.test hostmaster.example.test 7', 37)],
    });
    expect(judgeAddress(truthA, cached, { control: txt, zone })).toMatchObject({
      verdict: 'stale-cache',
      fixesInSeconds: 37,
      reason: expect.stringMatching(/37 s/),
    });
    const nx = seen('A', 'NXDOMAIN', [], {
      authorities: [soa('example.test', 'ns1.example.test hostmaster.example.test 8', 12)],
    });
    expect(judgeAddress(truthA, nx, { control: txt, zone })).toMatchObject({
      verdict: 'stale-cache',
      fixesInSeconds: 12,
    });
    const current = seen('A', 'NXDOMAIN', [], {
      authorities: [soa('example.test', 'ns1.example.test hostmaster.example.test 9')],
    });
    expect(judgeAddress(truthA, current, { control: txt, zone }).verdict).toBe('nxdomain');
  });

  it("a negative answer with another SOA, or an NXDOMAIN with none, is the resolver's own zone", () => {
    const local = seen('A', 'NXDOMAIN', [], { authorities: [soa('example.test', 'dc1.shop.lan admin.shop.lan 1')] });
    expect(judgeAddress(truthA, local, { control: txt, zone })).toMatchObject({
      verdict: 'overridden',
      reason: expect.stringMatching(/dc1\.shop\.lan/),
    });
    expect(judgeAddress(truthA, seen('A', 'NXDOMAIN'), { control: txt, zone }).verdict).toBe('overridden');
    const aa = seen('A', 'NOERROR', [rr('A', '192.168.9.9')], { flags: ['aa', 'rd', 'ra'] });
    expect(judgeAddress(truthA, aa, { control: txt, zone }).verdict).toBe('overridden');
  });

  it('EDE 15 (Blocked) on an empty answer is a filter, even when the TXT control looks old', () => {
    const blocked = seen('A', 'NOERROR', [], { ede: [{ code: 15, name: 'BLOCKED' }] });
    expect(
      judgeAddress(truthA, blocked, { control: seen('TXT', 'NOERROR', [rr('TXT', 'v=hairpin1')]), zone }),
    ).toMatchObject({ verdict: 'filtered-nodata', reason: expect.stringMatching(/EDE 15 BLOCKED/) });
  });

  it("an old address that the resolver's TXT still names is a stale cache", () => {
    const old = seen('A', 'NOERROR', [{ ...rr('A', '10.1.2.2'), ttl: 25 }]);
    expect(
      judgeAddress(truthA, old, { control: seen('TXT', 'NOERROR', [rr('TXT', 'v=hairpin1 a=10.1.2.2')]), zone }),
    ).toMatchObject({ verdict: 'stale-cache', fixesInSeconds: 25 });
  });
});

describe('judgeText', () => {
  it('the control passes or tells what differs', () => {
    expect(judgeText(txt, txt).verdict).toBe('ok');
    expect(judgeText(txt, seen('TXT', 'NOERROR', [rr('TXT', 'v=hairpin1')])).verdict).toBe('mismatch');
    expect(judgeText(txt, seen('TXT', 'SERVFAIL')).verdict).toBe('upstream-failure');
  });
});
