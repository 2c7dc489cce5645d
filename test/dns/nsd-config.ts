// An nsd configuration serving one zone file from a temp dir on a loopback port, with one server
// process unless told otherwise, so the benchmarks compare like with like.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DnsRecord } from '../../dns/message.ts';
import { configFromEnv } from '../../worker/config.ts';
import type { Store } from '../../worker/store/store.ts';
import { listZoneRecords, toZoneFile } from '../../worker/zone/zone-file.ts';

/** The manager's zone as `<zone>.zone` in `dir`, the file a peer server loads; with its records. */
export async function writeZoneFile(
  store: Store,
  dir: string,
  zone: string,
  nameservers: string,
): Promise<{ zoneFile: string; zoneRecords: DnsRecord[] }> {
  const zoneRecords = await listZoneRecords(
    configFromEnv({ HAIRPIN_ZONE: zone, HAIRPIN_NAMESERVERS: nameservers }),
    store,
  );
  const zoneFile = join(dir, `${zone}.zone`);
  await writeFile(zoneFile, toZoneFile(zone, zoneRecords));
  return { zoneFile, zoneRecords };
}

/**
 * `zoneLines`: more lines for the zone block (`provide-xfr: 127.0.0.1 NOKEY`); `serverCount`:
 * NSD's server processes (1 unless a bench compares all cores). Its files go in `dir`: one NSD
 * per directory.
 *
 * ```ts
 * const conf = await writeNsdConfig(dir, port, 'example.test', zoneFilePath);
 * await startDaemon('nsd', ['-d', '-c', conf], { port, probeName: 'example.test' });
 * ```
 */
export async function writeNsdConfig(
  dir: string,
  port: number,
  zone: string,
  zoneFile: string,
  zoneLines: string[] = [],
  serverCount = 1,
): Promise<string> {
  const conf = join(dir, 'nsd.conf');
  // Several servers get a socket each (SO_REUSEPORT, as NSD's manual advises with server-count
  // above one, and as the built-in server's threads have): without it they all wait on one
  // socket, and two servers on two cores answered a third of one server's rate.
  // Debian builds NSD with response rate limiting on: off here, or it would drop our load.
  await writeFile(
    conf,
    `server:
  ip-address: 127.0.0.1@${port}
  server-count: ${serverCount}
  reuseport: ${serverCount > 1 ? 'yes' : 'no'}
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  database: ""
  pidfile: "${dir}/nsd.pid"
  xfrdfile: "${dir}/xfrd.state"
  zonelistfile: "${dir}/zone.list"
  logfile: "${dir}/nsd.log"
  rrl-ratelimit: 0
  verbosity: 0
remote-control:
  control-enable: no
zone:
  name: ${zone}
  zonefile: "${zoneFile}"
${zoneLines.map((l) => `  ${l}\n`).join('')}`,
  );
  return conf;
}
