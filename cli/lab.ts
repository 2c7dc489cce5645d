// `hairpin lab`: the field lab in Linux network namespaces (root). See docs/lab.md.

import { bringUp } from '../lab/field.ts';
import { lockField } from '../lab/lock.ts';
import { BOXES } from '../lab/plan.ts';
import { formatReport, runLab, tearDown } from '../lab/run.ts';
import { releaseAll } from '../lab/shell.ts';
import { defineCommand, UsageError } from './command.ts';

export const command = defineCommand({
  usage: `usage: hairpin lab [run|up|down] [--json]

  run    build the field, run every scenario, print the table, tear it all down (default)
  up     build the field and leave it running (inspect with ip netns exec hp-…); "down" removes it
  down   end the lab's processes and remove every namespace named hp-* (leftovers included)

--json prints the report as JSON instead of the table. Needs root, ip, nft, tc, ss, unbound, named,
dnsmasq, pebble, dig, curl, chromium (scripts/install-system-packages.sh). Ctrl-C during a run
stops after the current step and tears down; a second Ctrl-C tears down at once.`,
  examples: [
    'sudo hairpin lab',
    'sudo hairpin lab run --json > lab.json',
    'sudo hairpin lab up && sudo hairpin lab down',
  ],
  exitCodes: ['1  also when a scenario failed (the table says which)'],
  options: { json: { type: 'boolean' } },
  async run({ values, positionals }) {
    const action = positionals[0] ?? 'run';
    if (!['run', 'up', 'down'].includes(action)) throw new UsageError(`unknown action "${action}"`);
    if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
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
    const report = await runLab({ log });
    console.log(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
    return report.passed ? 0 : 1;
  },
});
