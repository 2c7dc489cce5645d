// `hairpin lab`: the field lab in Linux network namespaces (root). See docs/lab.md.

import { bringUp } from '../lab/field.ts';
import { lockField } from '../lab/lock.ts';
import { BOXES } from '../lab/plan.ts';
import { formatReport, runLab, tearDown } from '../lab/run.ts';
import { releaseAll } from '../lab/shell.ts';
import { defineCommand, UsageError } from './command.ts';

export const command = defineCommand({
  usage: `usage: hairpin lab [run|up|down] [--json] [--outage DURATION]

  run    build the field, run every scenario, print the table, tear it all down (default)
  up     build the field and leave it running (inspect with ip netns exec hp-…); "down" removes it
  down   end the lab's processes and remove every namespace named hp-* (leftovers included)

--outage DURATION (run only: 90s, 30m, 1h) is the long outage run: only the outage rows, every
box's line cut for that long, the resolvers keeping the manager's TTLs as in production.
--json prints the report as JSON instead of the table. Needs root, ip, nft, tc, ss, unbound, named,
dnsmasq, pebble, dig, curl, chromium (scripts/install-system-packages.sh). Ctrl-C during a run
stops after the current step and tears down; a second Ctrl-C tears down at once.`,
  examples: [
    'sudo hairpin lab',
    'sudo hairpin lab run --json > lab.json',
    'sudo hairpin lab run --outage 30m',
    'sudo hairpin lab up && sudo hairpin lab down',
  ],
  exitCodes: ['1  also when a scenario failed (the table says which)'],
  options: { json: { type: 'boolean' }, outage: { type: 'string' } },
  async run({ values, positionals }) {
    const action = positionals[0] ?? 'run';
    if (!['run', 'up', 'down'].includes(action)) throw new UsageError(`unknown action "${action}"`);
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
    const outageMs = values.outage === undefined ? undefined : outageDuration(values.outage);
    if (outageMs !== undefined && action !== 'run') throw new UsageError('--outage goes with "run"');
    if (process.getuid?.() !== 0) throw new Error('needs root (network namespaces, nftables, tc)');
    const log = (line: string) => console.error(line);
    if (action === 'down') {
      const removed = await tearDown();
      console.log(
        values.json
          ? JSON.stringify({ removed })
          : removed.length
            ? `removed ${removed.join(' ')}`
            : 'nothing to remove',
      );
      return 0;
    }
    if (action === 'up') {
      // Held by this process, which exits: the next run sees a dead holder and takes over.
      await lockField(0, log);
      try {
        const field = await bringUp(log);
        console.log(
          values.json
            ? JSON.stringify({ nodes: field.nodes, logs: field.dir, timings: field.timings }, null, 2)
            : `field up; logs in ${field.dir}\n${BOXES.map((b) => `  ${b.title}: pairing hands out ${field.nodes[b.key].pairing.url}`).join('\n')}\n"hairpin lab down" removes it`,
        );
        releaseAll(); // the daemons outlive this process until "hairpin lab down"
        return 0;
      } catch (error) {
        await tearDown();
        throw error;
      }
    }
    const report = await runLab({ log, ...(outageMs ? { outageMs } : {}) });
    console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return report.passed ? 0 : 1;
  },
});

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** `90s`, `30m`, `1h`: at least 10 s (two of the lab's caches), at most 6 h. */
export function outageDuration(text: string): number {
  const m = /^(\d+)([smh])$/.exec(text);
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : Number.NaN;
  if (!(ms >= 10_000 && ms <= 6 * 3_600_000))
    throw new UsageError(`--outage takes a duration from 10s to 6h, like 90s or 30m (got "${text}")`);
  return ms;
}
