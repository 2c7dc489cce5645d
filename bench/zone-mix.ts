// What the DNS benchmarks share (bench:dns over UDP, bench:doh over HTTP): the zone they serve —
// reported nodes in a SQLite store, written out as the file the peers load — the query mix they
// ask of it, and the check that every server answers it alike.
import { spawnSync } from 'node:child_process';
import type { DnsMessage } from '../dns/message.ts';
import { answerSummary, type QueryType } from '../test/dns/wire-client.ts';
import { addReportedNodes, licenceOf, NODES_PER_LICENCE, nodeOf } from '../test/support/bulk-nodes.ts';
import { seededRandom } from '../test/support/random.ts';
import { which } from '../test/support/system.ts';
import { openStore } from '../worker/adapter/sqlite/store.ts';

export const ZONE = 'example.test';
export const ADMIN = 'bench-admin';
/** The in-zone name server with its glue: kzonecheck rejects a zone whose NS has no address. */
export const NAMESERVERS = `ns1.${ZONE}=192.0.2.53`;

/** `nodes` nodes, every one reported (test/support/bulk-nodes.ts). */
export async function fillStore(db: string, nodes: number): Promise<void> {
  const { store, close } = await openStore(db);
  try {
    await addReportedNodes(store, nodes);
  } finally {
    await close();
  }
}

/**
 * The query mix, `count` questions as `name TYPE`: one random node each, 45 % internal A, 35 %
 * external A, 8 % AAAA, 4 % TXT, 4 % NXDOMAIN, 4 % NODATA on an empty non-terminal. Always the
 * same sequence (the seeded generator the fuzz test and the soak use).
 */
export function queryLines(count: number, nodes: number): string[] {
  const rand = seededRandom(0x9e3779b9).int;
  const lines: string[] = [];
  for (let k = 0; k < count; k++) {
    const i = rand(nodes);
    const name = (prefix: string) => `${prefix}${nodeOf(i)}.pl-${licenceOf(i)}.${ZONE}`;
    const roll = rand(100);
    if (roll < 45) lines.push(`${name('i-')} A`);
    else if (roll < 80) lines.push(`${name('')} A`);
    else if (roll < 88) lines.push(`${name('i-')} AAAA`);
    else if (roll < 92) lines.push(`${name('')} TXT`);
    else if (roll < 96) lines.push(`i-nur${NODES_PER_LICENCE + rand(50)}.pl-${licenceOf(i)}.${ZONE} A`);
    else lines.push(`pl-${licenceOf(i)}.${ZONE} A`);
  }
  return lines;
}

/** A line of queryLines as the name and type it asks. */
export function splitQuestion(line: string): [string, QueryType] {
  return line.split(' ') as [string, QueryType];
}

/**
 * Each question asked of every server: any difference in rcode or answer records (answerSummary),
 * or a server that does not answer, is an error that ends the bench before anything is timed.
 */
export async function compareAnswers(
  bench: string,
  servers: { name: string; ask(line: string): Promise<DnsMessage | undefined> }[],
  lines: string[],
): Promise<void> {
  const differences: string[] = [];
  for (const line of lines) {
    const seen = await Promise.all(
      servers.map(async (s) => ({ name: s.name, answer: answerSummary(await s.ask(line)) })),
    );
    if (seen.some((x) => x.answer !== seen[0]!.answer || x.answer === 'no answer'))
      differences.push(`${line}\n${seen.map((x) => `  ${x.name}: ${x.answer}`).join('\n')}`);
  }
  // Thrown, not exit(): the bench's finally stops the servers it started, then it exits non-zero.
  if (differences.length > 0)
    throw new Error(
      `${bench}: the servers disagree on ${differences.length} of ${lines.length} sampled questions:\n${differences.slice(0, 20).join('\n')}`,
    );
  console.log(`answers: all servers agree on ${lines.length} sampled questions (rcode and answer records)`);
}

/** Every given checker (`nsd-checkzone`, `kzonecheck`) must accept the zone file, or the comparison is with error replies. */
export function checkZone(bench: string, zoneFile: string, tools: readonly ('nsd-checkzone' | 'kzonecheck')[]): void {
  for (const tool of tools) {
    const args = tool === 'nsd-checkzone' ? [ZONE, zoneFile] : ['-o', ZONE, zoneFile];
    const run = spawnSync(which(tool) ?? `/usr/sbin/${tool}`, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
    if (run.status !== 0) {
      console.error(
        `${bench}: ${tool} rejects the zone file (exit ${run.status}):\n${`${run.stdout}${run.stderr}`.split('\n').slice(0, 20).join('\n')}`,
      );
      process.exit(1);
    }
  }
}
