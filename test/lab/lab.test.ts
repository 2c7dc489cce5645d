// The field lab, whole: every scenario must pass. Needs root and the network tools; skipped
// elsewhere, and under CI a missing piece fails instead (haveSystemPrograms throws).
import { afterAll, describe, expect, it } from 'vitest';
import { formatReport, runLab, tearDown, type LabReport } from '../../lab/run.ts';
import { labNamespaces } from '../../lab/topology.ts';
import { haveSystemPrograms } from '../support/system.ts';

const root = process.getuid?.() === 0;
if (!root && process.env.CI) throw new Error('the field lab runs as root under CI');
const ready = root && haveSystemPrograms('ip', 'nft', 'tc', 'ss', 'unbound', 'named', 'dnsmasq', 'pebble', 'dig', 'curl', 'chromium');

describe.skipIf(!ready)('hairpin lab', () => {
  let report: LabReport | undefined;

  afterAll(async () => {
    await tearDown();
  });

  it('runs every scenario end to end, and each passes', async () => {
    report = await runLab({ log: (line) => console.error(line) });
    console.log(formatReport(report));
    // A daemon killed from outside (another job's pkill) would make the rows below meaningless.
    expect(report.lostDaemons, 'daemons of the field that ended during the run').toEqual([]);
    for (const row of report.rows) {
      expect.soft(row.checks.filter((c) => !c.ok), `scenario ${row.id}: ${row.title}`).toEqual([]);
    }
    expect(report.rows.map((r) => r.id)).toEqual(expect.arrayContaining(['1', '2', '3', '4', '5', '6', '7', '8']));
    expect(report.passed).toBe(true);
    expect(report.elapsedMs).toBeLessThan(300_000);
  }, 360_000);

  it('leaves no namespace behind', async () => {
    expect(await labNamespaces()).toEqual([]);
  });
});
