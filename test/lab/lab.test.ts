// The field lab, whole: every scenario must pass. Needs root and the network tools; skipped
// elsewhere, and under CI a missing piece fails instead (haveSystemPrograms throws).
import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, onTestFailed } from 'vitest';
import { formatReport, type LabReport, runLab, tearDown } from '../../lab/run.ts';
import { labNamespaces } from '../../lab/topology.ts';
import { haveSystemPrograms } from '../support/system.ts';
import { waitUntil } from '../support/wait.ts';

const root = process.getuid?.() === 0;
if (!root && process.env.CI) throw new Error('the field lab runs as root under CI');
// Where the last run's table is kept (printed only when a scenario fails).
const REPORT_FILE = process.env.HAIRPIN_LAB_REPORT ?? join(tmpdir(), 'hairpin-lab-report.txt');
const ready =
  root &&
  haveSystemPrograms(
    'ip',
    'nft',
    'tc',
    'ss',
    'unbound',
    'named',
    'dnsmasq',
    'pebble',
    'dig',
    'curl',
    'chromium',
    'tayga',
  );

describe.skipIf(!ready)('hairpin lab', () => {
  let report: LabReport | undefined;
  /** Another run held the field past the wait: its namespaces are not ours to remove. */
  let lockedOut = false;

  afterAll(async () => {
    if (!lockedOut) await tearDown();
  });

  it('runs every scenario end to end, and each passes', async () => {
    // A green run stays quiet: the bring-up log and the table go to a file, shown only on failure.
    const log: string[] = [];
    report = await runLab({ log: (line) => log.push(line) }).catch((error: unknown) => {
      if (/another lab run/.test(String(error))) lockedOut = true;
      throw error;
    });
    const table = formatReport(report);
    await writeFile(REPORT_FILE, `${log.join('\n')}\n\n${table}\n`);
    onTestFailed(() => console.error(`${log.join('\n')}\n\n${table}`));
    // A daemon killed from outside (another job's pkill) would make the rows below meaningless.
    expect(report.lostDaemons, 'daemons of the field that ended during the run').toEqual([]);
    for (const row of report.rows) {
      expect
        .soft(
          row.checks.filter((c) => !c.ok),
          `scenario ${row.id}: ${row.title}`,
        )
        .toEqual([]);
    }
    expect(report.rows.map((r) => r.id)).toEqual(
      expect.arrayContaining([
        ...['1', '2', '3', '4', '5', '6', '7', '8', 'O1a', 'O1b', 'O1c', 'O2a', 'O2b', 'O2c', 'O3a'],
        ...['12', '13', '14', '15a', '15b'],
      ]),
    );
    expect(report.passed).toBe(true);
    // ~3 min of rows plus the outage (90 s, every box at once) and the IPv6 rows (~1 min) on an
    // idle 2-core machine; ~8 min seen under a load of 20.
    expect(report.elapsedMs).toBeLessThan(900_000);
  }, 960_000);

  it('leaves no namespace behind', async () => {
    expect(await labNamespaces()).toEqual([]);
  });

  it('Ctrl-C during the bring-up: stops after the step, tears down, exits 130, leaves nothing behind', async () => {
    const child = spawn(
      process.execPath,
      [fileURLToPath(new URL('../../bin/hairpin.js', import.meta.url)), 'lab', 'run'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    // The first step of the bring-up done: namespaces exist and daemons are starting.
    await waitUntil(
      () => {
        if (child.exitCode !== null) throw new Error(`lab run exited early: ${output}`);
        return /lab: .+ \(\d+ ms\)/.test(output);
      },
      { timeoutMs: 120_000, everyMs: 50, timeout: () => `no bring-up step finished: ${output}` },
    );
    child.kill('SIGINT');
    expect(await exited, output).toBe(130);
    expect(output).toMatch(/stopping after the current step/);
    expect(await labNamespaces()).toEqual([]);
    // No process of the run is left (every daemon's command line names the run's directory).
    const left = spawnSync('pgrep', ['-af', 'hp-lab-'], { encoding: 'utf8' }).stdout.trim();
    expect(left).toBe('');
  }, 180_000);
});
