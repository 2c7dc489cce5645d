// The IPv6 side of the field: the internet's IPv6 links and routes, the boxes that route a /64 to
// their LAN, the IPv6-only and dual-stack phones on cellular. Addresses come from the
// documentation prefix 2001:db8::/32; the LAN hosts get theirs by SLAAC from the box's router
// advertisements (lab/ipv6.ts), with RFC 8981 temporary addresses beside the stable one.
import { type BoxPlan, CELL6, DUAL, INET, SERVICES6 } from './plan.ts';
import { ipBatch, sh, sysctl, veth } from './shell.ts';

/**
 * Settings an interface takes from `default` when it is made: so before its links. No duplicate
 * address detection (each address is alone on its link: no ~1 s tentative wait), privacy
 * addresses on hosts as Linux, Android and iOS make them, forwarding on routers.
 */
export async function prepareIpv6(ns: string, role: 'host' | 'router'): Promise<void> {
  await sysctl(ns, {
    'net.ipv6.conf.default.accept_dad': '0',
    'net.ipv6.conf.all.accept_dad': '0',
    ...(role === 'host'
      ? { 'net.ipv6.conf.default.use_tempaddr': '2' }
      : { 'net.ipv6.conf.all.forwarding': '1', 'net.ipv6.conf.default.forwarding': '1' }),
  });
}

/** The internet's IPv6 services, on `hp-inet`'s loopback. */
export async function addInternetIpv6(): Promise<void> {
  await ipBatch(
    INET,
    Object.values(SERVICES6).map((a) => `addr add ${a}/128 dev lo nodad`),
  );
}

/** A box's IPv6 WAN link and the /64 it routes to its LAN (the ISP's route to the prefix in `hp-inet`). */
export async function addBoxIpv6(b: BoxPlan): Promise<void> {
  const v6 = b.ipv6;
  if (!v6) return;
  await ipBatch(b.ns, [
    `addr add ${v6.wan.box}/64 dev wan0 nodad`,
    `addr add ${v6.lan.box}/64 dev lan0 nodad`,
    `route add ::/0 via ${v6.wan.inet} dev wan0`,
  ]);
  await ipBatch(INET, [
    `addr add ${v6.wan.inet}/64 dev ${b.wan.inetIf} nodad`,
    `route add ${v6.lan.prefix} via ${v6.wan.box} dev ${b.wan.inetIf}`,
  ]);
}

/** The IPv6-only phone and the dual-stack phone, each on its own cellular link to `hp-inet`. */
export async function buildIpv6Phones(): Promise<void> {
  for (const ns of [CELL6.ns, DUAL.ns]) {
    await sh('ip', ['netns', 'add', ns]);
    await prepareIpv6(ns, 'host');
  }
  await veth({ ns: CELL6.ns, name: 'wwan0' }, { ns: INET, name: CELL6.inetIf });
  await veth({ ns: DUAL.ns, name: 'wwan0' }, { ns: INET, name: DUAL.inetIf });
  // No IPv4 at all on the IPv6-only phone: not an address, not a route.
  await ipBatch(CELL6.ns, [
    'link set lo up',
    'link set wwan0 up',
    `addr add ${CELL6.phone}/64 dev wwan0 nodad`,
    `route add ::/0 via ${CELL6.inet} dev wwan0`,
  ]);
  await ipBatch(DUAL.ns, [
    'link set lo up',
    'link set wwan0 up',
    `addr add ${DUAL.phone}/24 dev wwan0`,
    `addr add ${DUAL.phone6}/64 dev wwan0 nodad`,
    `route add default via ${DUAL.inet}`,
    `route add ::/0 via ${DUAL.inet6} dev wwan0`,
  ]);
  await ipBatch(INET, [
    `link set ${CELL6.inetIf} up`,
    `addr add ${CELL6.inet}/64 dev ${CELL6.inetIf} nodad`,
    `link set ${DUAL.inetIf} up`,
    `addr add ${DUAL.inet}/24 dev ${DUAL.inetIf}`,
    `addr add ${DUAL.inet6}/64 dev ${DUAL.inetIf} nodad`,
  ]);
}
