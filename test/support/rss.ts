// Resident memory of a server as the benchmarks compare it: the process and its children (NSD
// answers from a child of the process started), from /proc (Linux).
import { readFileSync } from 'node:fs';

/**
 * Kilobytes resident in `pid` and all its descendants.
 *
 * ```ts
 * const mb = treeRssKb(nsd.process.pid!) / 1024;
 * ```
 */
export function treeRssKb(pid: number): number {
  const own = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  return own + children.reduce((sum, child) => sum + treeRssKb(child), 0);
}

/** `treeRssKb` in MB for a table, '?' without a pid. */
export const rssMb = (pid: number | undefined): string => (pid ? `${(treeRssKb(pid) / 1024).toFixed(0)} MB` : '?');
