// `hairpin lab`: the field lab in Linux network namespaces (root). See docs/lab.md.
import { parseArgs } from 'node:util';
import { formatReport, runLab, tearDown } from '../lab/run.ts';
import { releaseAll } from '../lab/shell.ts';
import { bringUp } from '../lab/field.ts';
import { lockField } from '../lab/lock.ts';
import { BOXES } from '../lab/plan.ts';

const USAGE = `usage: hairpin lab [run|up|down] [--json]

  run    build the field, run every scenario, print the table, tear it all down (default)
  up     build the field and leave it running (inspect with ip netns exec hp-…); "down" removes it
  down   end the lab's processes and remove every namespace named hp-* (leftovers included)

--json prints the report as JSON instead of the table. Needs root, ip, nft, tc, ss, unbound, named,
dnsmasq, pebble, dig, curl, chromium (scripts/install-system-packages.sh). Ctrl-C during a run
stops after the current step and tears down; a second Ctrl-C tears down at once.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, help: { type: 'boolean' } } });
  const action = positionals[0] ?? 'run';
  if (values.help || !['run', 'up', 'down'].includes(action)) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (process.getuid?.() !== 0) {
    console.error('hairpin lab: needs root (network namespaces, nftables, tc)');
    return 1;
  }
  const log = (line: string) => console.error(line);
  if (action === 'down') {
    const removed = await tearDown();
    console.log(values.json ? JSON.stringify({ removed }) : removed.length ? `removed ${removed.join(' ')}` : 'nothing to remove');
    return 0;
  }
  if (action === 'up') {
    // Held by this process, which exits: the next run sees a dead holder and takes over.
    await lockField(0, log);
    try {
      const field = await bringUp(log);
      console.log(values.json ? JSON.stringify({ nodes: field.nodes, logs: field.dir, timings: field.timings }, null, 2) : `field up; logs in ${field.dir}\n${BOXES.map((b) => `  ${b.title}: pairing hands out ${field.nodes[b.key].pairing.url}`).join('\n')}\n"hairpin lab down" removes it`);
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
}
