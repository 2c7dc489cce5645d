// The soak's short form (bench/soak.ts; `npm run soak` is the long one): a real manager process
// under hostile DNS and HTTP traffic at once, while real reports and questions are checked.
import { describe, expect, it } from 'vitest';
import { MALFORMED, runSoak } from '../../bench/soak.ts';
import { haveSystemPrograms } from '../support/system.ts';

const knot = haveSystemPrograms('knotd');

describe('soak, short form', () => {
  it('stays up, answers every real question right, loses no report, amplifies nothing malformed', async () => {
    const result = await runSoak({
      udpPackets: 20_000,
      tcpMessages: 1_000,
      httpAbuse: 100,
      reports: 20,
      // Short deadlines, so the slow HTTP clients are cut within the test's few seconds.
      managerEnv: { HAIRPIN_HTTP_HEADERS_TIMEOUT_MS: '1000' },
      knot,
    });
    expect(result.crashes).toBe(0);
    expect(result.reportsLost).toBe(0);
    expect(result.reportsAcknowledged).toBeGreaterThanOrEqual(20);
    expect(result.wrongAnswers, result.wrongDetails.join('; ')).toBe(0);
    expect(result.udpSent).toBe(20_000);
    expect(result.tcpSent).toBeGreaterThanOrEqual(1_000);
    for (const kind of MALFORMED) expect(result.amplification[kind] ?? 0, kind).toBeLessThanOrEqual(1);
    // A valid question never gets more bytes from us than from Knot on the same zone.
    if (knot) expect(result.comparedWithKnot).toBeGreaterThan(0);
    expect(result.largerThanKnot, result.wrongDetails.join('; ')).toBe(0);
    // Rate limiting as shipped (20/s per /24, one second's burst): the hostile /24 never gets
    // more than a burst and a second's refill of answers with records in any one second.
    expect(result.fullAnswersPerSecondMax).toBeLessThanOrEqual(40);
  }, 120_000);
});
