// `hairpin lab` in one place: up, run, down, with every process and namespace removed on the
// way out, on success, on failure and on SIGINT/SIGTERM.
import { bringUp, type Field } from './field.ts';
import { lockField } from './lock.ts';
import { LAB_TTLS, PRODUCTION_TTLS, useTtls } from './plan.ts';
import type { ResolverBehaviour } from './resolvers.ts';
import type { ScenarioRow } from './scenario-kit.ts';
import { runScenarios } from './scenarios.ts';
import { formatOutage } from './scenarios-outage.ts';
import { interrupted, lostDaemons, setInterrupted, stopAll } from './shell.ts';
import { formatNotes, formatResolvers, formatTable } from './table.ts';
import { removeTopology } from './topology.ts';

export interface LabReport {
  passed: boolean;
  rows: ScenarioRow[];
  /** Daemons of the field that ended during the run: the rows after that are not the lab's verdict. */
  lostDaemons: string[];
  resolvers: ResolverBehaviour[];
  timings: Record<string, number>;
  logs: string;
  elapsedMs: number;
}

/** End what this run started, then remove whatever carries the lab's prefix. */
export async function tearDown(): Promise<string[]> {
  await stopAll();
  return removeTopology();
}

/**
 * Bring the field up, run every scenario, tear it all down.
 *
 * ```ts
 * const report = await runLab({ log: console.error });
 * console.log(formatReport(report));
 * ```
 */
export async function runLab(
  options: {
    log?: (line: string) => void /** How long to wait for another run to finish (ms). */;
    waitMs?: number;
    /**
     * The long outage run: only the outage rows, the line cut this long, the resolvers keeping
     * the manager's TTLs as in production instead of the lab's 5 s.
     */
    outageMs?: number;
  } = {},
): Promise<LabReport> {
  const log = options.log ?? (() => {});
  const unlock = await lockField(options.waitMs ?? 300_000, log);
  const started = Date.now();
  setInterrupted(undefined);
  // First signal: stop at the next step and tear down what exists by then (a tear-down now would
  // race the bring-up, which may still be making namespaces and daemons). Second: at once.
  const onSignal = (signal: NodeJS.Signals) => {
    if (!interrupted()) {
      log(`lab: ${signal}, stopping after the current step, then tearing down (again to force)`);
      setInterrupted(signal);
      return;
    }
    log(`lab: ${signal} again, tearing down now`);
    void tearDown()
      .finally(unlock)
      .finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let field: Field | undefined;
  try {
    useTtls(options.outageMs ? PRODUCTION_TTLS : LAB_TTLS);
    field = await bringUp(log);
    const rows = await runScenarios(field, log, options.outageMs);
    const lost = [...lostDaemons()];
    for (const line of lost) log(`lab: ${line}`);
    return {
      passed: rows.every((r) => r.passed) && lost.length === 0,
      rows,
      lostDaemons: lost,
      resolvers: field.resolvers,
      timings: field.timings,
      logs: field.dir,
      elapsedMs: Date.now() - started,
    };
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await tearDown();
    await unlock();
    log(`lab: torn down (logs kept in ${field?.dir ?? 'nowhere'})`);
    if (interrupted()) process.exit(130);
  }
}

/** The run as `hairpin lab run` prints it (and docs/lab.md shows it): resolvers, scenarios, notes, summary. */
export function formatReport(report: LabReport): string {
  const passed = report.rows.filter((r) => r.passed).length;
  const outage = report.rows.some((r) => r.outage) ? `\n\n${formatOutage(report.rows)}` : '';
  return `${formatResolvers(report.resolvers)}\n\n${formatTable(report.rows)}${outage}\n\n${formatNotes(report.rows)}\n\n${passed}/${report.rows.length} scenarios passed in ${(report.elapsedMs / 1000).toFixed(1)} s`;
}
