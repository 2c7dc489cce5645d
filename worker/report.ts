// A node's report written and announced: one place for the JSON report and dyndns2, so both
// take the same atomic store write and the same zone-change hook.
import type { Context } from 'hono';
import { type ManagerEnv, zoneChanged } from './context.ts';
import type { ReportInput, ReportResult } from './store/store.ts';

export type ReportValues = Omit<ReportInput, 'licence' | 'node' | 'at'>;

export async function writeReport(
  c: Context<ManagerEnv>,
  licence: string,
  node: string,
  values: ReportValues,
  via: 'api' | 'dyndns2',
): Promise<ReportResult> {
  const { store, now, metrics } = c.get('deps');
  // A report whose client has gone is not written if it has not started (see AtomicBatch).
  const result = await store.report({ licence, node, ...values, at: now() }, crypto.randomUUID(), c.req.raw.signal);
  metrics?.report(via, result.changed);
  if (result.changed) zoneChanged(c, licence, node);
  return result;
}
