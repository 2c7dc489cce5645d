// The IPv6 edge of the field, started once the links exist: each IPv6 box's router
// advertisements (dnsmasq, RA only: the LAN hosts make their own addresses by SLAAC, a stable one
// and an RFC 8981 temporary one), and the carrier's NAT64 (tayga) that carries the IPv6-only
// phone's packets to IPv4 addresses under the NAT64 prefix. The DNS64 beside it is a resolver
// (lab/resolvers.ts).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BOXES, type BoxPlan, INET, NAT64 } from './plan.ts';
import { type Daemon, inNs, ipBatch, startDaemon, waitFor } from './shell.ts';

/** dnsmasq as the box's router advertisement daemon only (`--port=0`: no DNS). */
function startRouterAdvertisements(b: BoxPlan, dir: string): Daemon {
  const name = `ra-${b.key}`;
  return startDaemon(
    b.ns,
    'dnsmasq',
    [
      '--no-daemon',
      '--port=0',
      '--no-resolv',
      '--no-hosts',
      '--enable-ra',
      // `constructor:lan0`: the /64 advertised is the one on lan0; `ra-only`: SLAAC, no DHCPv6.
      '--dhcp-range=::,constructor:lan0,ra-only,64,1h',
      `--pid-file=${join(dir, `${name}.pid`)}`,
    ],
    join(dir, `${name}.log`),
  );
}

/** The global addresses a namespace's interface holds, with the kernel's flags as `ip` prints them. */
export async function globalIpv6(ns: string, dev: string): Promise<Array<{ address: string; temporary: boolean }>> {
  const out = await inNs(ns, 'ip', ['-6', '-o', 'addr', 'show', 'dev', dev, 'scope', 'global'], { allowFail: true });
  return [...out.matchAll(/inet6 ([0-9a-f:]+)\/\d+ .*$/gm)].map((m) => ({
    address: m[1]!,
    temporary: /\btemporary\b/.test(m[0]),
  }));
}

/** tayga in `hp-inet`: its tun device, the routes to it (NAT64 prefix, IPv4 pool), the daemon. */
async function startNat64(dir: string): Promise<Daemon> {
  const conf = join(dir, 'tayga.conf');
  await writeFile(
    conf,
    `tun-device ${NAT64.tun}\nipv4-addr ${NAT64.address}\nprefix ${NAT64.prefix}\ndynamic-pool ${NAT64.pool}\n`,
  );
  await inNs(INET, 'tayga', ['--mktun', '-c', conf]);
  await ipBatch(INET, [
    `link set ${NAT64.tun} up`,
    `route add ${NAT64.pool} dev ${NAT64.tun}`,
    `route add ${NAT64.prefix} dev ${NAT64.tun}`,
  ]);
  // -d: in the foreground, logging each new mapping (line-buffered: the lab reads it while it runs).
  return startDaemon(INET, 'stdbuf', ['-oL', 'tayga', '-d', '-c', conf], join(dir, 'tayga.log'));
}

/**
 * Start the IPv6 edge and wait until every IPv6 LAN host has its SLAAC addresses: the agent's
 * first report must carry the node's stable one.
 */
export async function startIpv6Edge(dir: string): Promise<Daemon[]> {
  const boxes = BOXES.filter((b) => b.ipv6);
  const daemons = boxes.map((b) => startRouterAdvertisements(b, dir));
  daemons.push(await startNat64(dir));
  for (const b of boxes) {
    for (const [ns, dev] of [
      [b.node.ns, 'eth0'],
      [b.phone.ns, 'wlan0'],
    ] as const) {
      await waitFor(
        `SLAAC addresses in ${ns} (log ra-${b.key}.log)`,
        async () => {
          const held = await globalIpv6(ns, dev);
          return held.some((a) => a.temporary) && held.some((a) => !a.temporary);
        },
        15_000,
        100,
      );
    }
  }
  return daemons;
}
