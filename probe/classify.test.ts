// The verdict rules on synthetic evidence: the cases real resolvers in test/probe do not produce
// on demand (REFUSED filters, rewritten and partial answers, stale TXT, broken responses).
import { describe, expect, it } from 'vitest';
import { judgeAddress, judgeText } from './classify.ts';
import type { Observation, RecordEvidence } from './observe.ts';

const name = 'i-nur1.pl-1234.example.test';
const rr = (type: string, data: string): RecordEvidence => ({ name, type, ttl: 60, data });
const seen = (type: string, rcode: string, answers: RecordEvidence[] = [], extra: Partial<Observation> = {}): Observation =>
  ({ transport: 'udp://192.0.2.53:53', name, type, outcome: 'answer', rcode, flags: ['rd', 'ra'], answers, authorities: [], ede: [], attempts: 1, elapsedMs: 3, ...extra });
const truthA = seen('A', 'NOERROR', [rr('A', '10.1.2.3')]);
const txt = seen('TXT', 'NOERROR', [rr('TXT', 'v=hairpin1 a=10.1.2.3')]);

describe('judgeAddress', () => {
  it('ok only for the same address set', () => {
    expect(judgeAddress(truthA, seen('A', 'NOERROR', [rr('A', '10.1.2.3')]), txt).verdict).toBe('ok');
    expect(judgeAddress(truthA, seen('A', 'NOERROR', [rr('A', '10.9.9.9')]), txt)).toMatchObject({ verdict: 'mismatch', reason: expect.stringMatching(/rewritten/) });
  });

  it('a partial answer and a CNAME without the address are mismatches', () => {
    const two = seen('A', 'NOERROR', [rr('A', '10.1.2.3'), rr('A', '10.1.2.4')]);
    expect(judgeAddress(two, seen('A', 'NOERROR', [rr('A', '10.1.2.3')]), txt)).toMatchObject({ verdict: 'mismatch', reason: expect.stringMatching(/partial/) });
    expect(judgeAddress(truthA, seen('A', 'NOERROR', [rr('CNAME', 'blocked.isp.example')]), txt).verdict).toBe('filtered-nodata');
  });

  it('REFUSED with the TXT passing is a filter; with the TXT refused too the resolver is unusable', () => {
    expect(judgeAddress(truthA, seen('A', 'REFUSED', [], { ede: [{ code: 18, name: 'PROHIBITED' }] }), txt)).toMatchObject({ verdict: 'filtered-refused', reason: expect.stringMatching(/EDE 18 PROHIBITED/) });
    expect(judgeAddress(truthA, seen('A', 'REFUSED'), seen('TXT', 'REFUSED')).verdict).toBe('unreachable');
  });

  it('NODATA with an SOA is a synthesised filter answer; a TXT without the address means a stale cache', () => {
    const nodata = seen('A', 'NOERROR', [], { authorities: [rr('SOA', 'ns1.example.test hostmaster.example.test 7')] });
    expect(judgeAddress(truthA, nodata, txt)).toMatchObject({ verdict: 'filtered-nodata', reason: expect.stringMatching(/SOA/) });
    expect(judgeAddress(truthA, nodata, seen('TXT', 'NOERROR', [rr('TXT', 'v=hairpin1')]))).toMatchObject({ verdict: 'mismatch', reason: expect.stringMatching(/stale/) });
  });

  it('the truth decides not-published, whatever the resolver says', () => {
    const missing = seen('A', 'NXDOMAIN', [], { transport: 'https://manager/dns-query' });
    expect(judgeAddress(missing, seen('A', 'NOERROR', [rr('A', '10.1.2.3')])).verdict).toBe('not-published');
    expect(judgeAddress(truthA, seen('A', 'NXDOMAIN')).verdict).toBe('nxdomain');
  });

  it('transport failures: timeout, unreachable, unusable response', () => {
    expect(judgeAddress(truthA, seen('A', '', [], { outcome: 'timeout', rcode: undefined, attempts: 2 })).verdict).toBe('timeout');
    expect(judgeAddress(truthA, seen('A', '', [], { outcome: 'unreachable', error: 'ECONNREFUSED' })).verdict).toBe('unreachable');
    expect(judgeAddress(truthA, seen('A', '', [], { outcome: 'bad-response', error: 'ID mismatch' })).verdict).toBe('unreachable');
    expect(judgeAddress({ ...truthA, outcome: 'timeout' }, seen('A', 'NOERROR', [rr('A', '10.1.2.3')])).verdict).toBe('unreachable');
  });

  it('compares IPv6 in canonical form', () => {
    const truth = seen('AAAA', 'NOERROR', [rr('AAAA', 'fd00::5')]);
    expect(judgeAddress(truth, seen('AAAA', 'NOERROR', [rr('AAAA', 'fd00:0:0:0:0:0:0:5')])).verdict).toBe('ok');
  });
});

describe('judgeText', () => {
  it('the control passes or tells what differs', () => {
    expect(judgeText(txt, txt).verdict).toBe('ok');
    expect(judgeText(txt, seen('TXT', 'NOERROR', [rr('TXT', 'v=hairpin1')])).verdict).toBe('mismatch');
    expect(judgeText(txt, seen('TXT', 'SERVFAIL')).verdict).toBe('unreachable');
  });
});
