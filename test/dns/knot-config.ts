// A knotd configuration serving one zone file from a temp dir on a loopback port, with one worker
// of each kind so the benchmark compares like with like.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * ```ts
 * const conf = await writeKnotConfig(dir, port, 'example.test', zoneFilePath);
 * await startDaemon('knotd', ['-c', conf], { port, probeName: 'example.test' });
 * ```
 */
export async function writeKnotConfig(dir: string, port: number, zone: string, zoneFile: string): Promise<string> {
  const conf = join(dir, 'knot.conf');
  await writeFile(
    conf,
    `server:
  listen: 127.0.0.1@${port}
  rundir: "${dir}"
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
log:
  - target: stderr
    any: warning
database:
  storage: "${dir}"
zone:
  - domain: ${zone}
    storage: "${dir}"
    file: "${zoneFile}"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
`,
  );
  return conf;
}
