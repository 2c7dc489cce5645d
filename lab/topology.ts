// Builds and removes the field: namespaces, veth links, the boxes' LAN bridges, addresses, routes
// and each namespace's resolv.conf. Links are created straight inside their namespaces
// (`ip link add … netns A peer … netns B`), so no interface ever appears in the host's namespace.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import {
  BOXES,
  type BoxPlan,
  CELL,
  CELL6,
  DUAL,
  INET,
  ipv6Namespaces,
  namespaces,
  SERVICES,
  SERVICES6,
} from './plan.ts';
import { ipBatch, PREFIX, sh, sysctl, veth, waitFor } from './shell.ts';
import { addBoxIpv6, addInternetIpv6, buildIpv6Phones, prepareIpv6 } from './topology-ipv6.ts';

/** `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf. */
export async function setResolver(ns: string, address: string): Promise<void> {
  await mkdir(`/etc/netns/${ns}`, { recursive: true });
  // Written in place: a running process's glibc notices the change (mtime) on its next lookup.
  await writeFile(
    `/etc/netns/${ns}/resolv.conf`,
    `# hairpin lab\nnameserver ${address}\noptions timeout:2 attempts:1\n`,
  );
}

async function buildBox(b: BoxPlan): Promise<void> {
  for (const ns of [b.ns, b.node.ns, b.phone.ns]) await sh('ip', ['netns', 'add', ns]);
  if (b.ipv6) {
    await prepareIpv6(b.ns, 'router');
    for (const ns of [b.node.ns, b.phone.ns]) await prepareIpv6(ns, 'host');
  }
  await veth({ ns: b.ns, name: 'wan0' }, { ns: INET, name: b.wan.inetIf });
  await veth({ ns: b.ns, name: 'p-node' }, { ns: b.node.ns, name: 'eth0' });
  await veth({ ns: b.ns, name: 'p-phone' }, { ns: b.phone.ns, name: 'wlan0' });
  await veth({ ns: b.phone.ns, name: 'wwan0' }, { ns: INET, name: b.phone.wwan.inetIf });
  await ipBatch(b.ns, [
    'link set lo up',
    'link add lan0 type bridge',
    'link set p-node master lan0',
    'link set p-phone master lan0',
    ...['lan0', 'p-node', 'p-phone', 'wan0'].map((i) => `link set ${i} up`),
    `addr add ${b.lan.box}/24 dev lan0`,
    `addr add ${b.wan.box}/24 dev wan0`,
    `route add default via ${b.wan.inet}`,
  ]);
  await ipBatch(b.node.ns, [
    'link set lo up',
    'link set eth0 up',
    `addr add ${b.lan.node}/24 dev eth0`,
    `route add default via ${b.lan.box}`,
  ]);
  await ipBatch(b.phone.ns, [
    'link set lo up',
    'link set wlan0 up',
    'link set wwan0 up',
    `addr add ${b.lan.phone}/24 dev wlan0`,
    `addr add ${b.phone.wwan.phone}/24 dev wwan0`,
    `route add default via ${b.lan.box}`,
    // One routing table per network, as phones keep them: a connection made over cellular stays
    // on cellular when Wi-Fi comes back, until the app moves it.
    `rule add from ${b.phone.wwan.phone} lookup 100`,
    `route add default via ${b.phone.wwan.inet} dev wwan0 table 100`,
  ]);
  await ipBatch(INET, [
    `link set ${b.wan.inetIf} up`,
    `addr add ${b.wan.inet}/24 dev ${b.wan.inetIf}`,
    `link set ${b.phone.wwan.inetIf} up`,
    `addr add ${b.phone.wwan.inet}/24 dev ${b.phone.wwan.inetIf}`,
  ]);
  await sysctl(b.ns, { 'net.ipv4.ip_forward': '1' });
  await addBoxIpv6(b);
  await setResolver(b.node.ns, b.lan.box);
  await setResolver(b.phone.ns, b.lan.box);
  await setResolver(b.ns, SERVICES.resolver);
}

/** Build every namespace and link of the field (services are started elsewhere). */
export async function buildTopology(): Promise<void> {
  await sh('ip', ['netns', 'add', INET]);
  await prepareIpv6(INET, 'router');
  await ipBatch(INET, ['link set lo up', ...Object.values(SERVICES).map((a) => `addr add ${a}/32 dev lo`)]);
  await addInternetIpv6();
  await sysctl(INET, { 'net.ipv4.ip_forward': '1' });
  await setResolver(INET, SERVICES.resolver);
  for (const b of BOXES) await buildBox(b);
  await sh('ip', ['netns', 'add', CELL.ns]);
  await veth({ ns: CELL.ns, name: 'wwan0' }, { ns: INET, name: CELL.inetIf });
  await ipBatch(CELL.ns, [
    'link set lo up',
    'link set wwan0 up',
    `addr add ${CELL.phone}/24 dev wwan0`,
    `route add default via ${CELL.inet}`,
  ]);
  await ipBatch(INET, [`link set ${CELL.inetIf} up`, `addr add ${CELL.inet}/24 dev ${CELL.inetIf}`]);
  await setResolver(CELL.ns, SERVICES.resolver);
  await buildIpv6Phones();
  await setResolver(CELL6.ns, SERVICES6.dns64);
  await setResolver(DUAL.ns, SERVICES.resolver);
  // IPv4 only outside the IPv6 part of the field (lab/topology-ipv6.ts): the question there is
  // the RFC 1918 path; IPv6 would add DAD waits and AAAA noise.
  const keep = ipv6Namespaces();
  for (const ns of namespaces().filter((n) => !keep.includes(n)))
    await sysctl(ns, { 'net.ipv6.conf.all.disable_ipv6': '1', 'net.ipv6.conf.default.disable_ipv6': '1' });
}

/** The namespaces that carry the lab's prefix, whoever made them (leftovers of a killed run). */
export async function labNamespaces(): Promise<string[]> {
  const out = await sh('ip', ['netns', 'list'], { allowFail: true });
  return out
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter((n) => n.startsWith(PREFIX));
}

/**
 * Remove every lab namespace and its /etc/netns entry. Processes still inside a namespace are
 * ended first (by their ids, as `ip netns pids` lists them), so that deleting it frees it.
 */
export async function removeTopology(): Promise<string[]> {
  const found = await labNamespaces();
  const pidsIn = async (ns: string) =>
    (await sh('ip', ['netns', 'pids', ns], { allowFail: true })).split('\n').filter(Boolean);
  for (const ns of found) {
    for (const pid of await pidsIn(ns)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    // A namespace goes away with its last process: wait (bounded) for the kills to land.
    await waitFor(`processes in ${ns} to end`, async () => (await pidsIn(ns)).length === 0, 5_000, 50).catch(
      () => undefined,
    );
    await sh('ip', ['netns', 'delete', ns], { allowFail: true });
    await rm(`/etc/netns/${ns}`, { recursive: true, force: true });
  }
  return found;
}

/**
 * The phone leaves Wi-Fi for cellular: Wi-Fi down, default route and resolver from the carrier.
 * Like Android and iOS on a network loss, the sockets of the lost network are destroyed
 * (`ss -K`, SOCK_DESTROY) instead of being left to time out.
 */
export async function moveToCellular(b: BoxPlan): Promise<void> {
  await ipBatch(b.phone.ns, ['link set wlan0 down', `route replace default via ${b.phone.wwan.inet} dev wwan0`]);
  await setResolver(b.phone.ns, SERVICES.resolver);
  await sh('ip', ['netns', 'exec', b.phone.ns, 'ss', '-K', 'src', b.lan.phone], { allowFail: true });
}

/** Back on the shop's Wi-Fi: the box's route and resolver again. */
export async function moveToWifi(b: BoxPlan): Promise<void> {
  await ipBatch(b.phone.ns, ['link set wlan0 up', `route replace default via ${b.lan.box} dev wlan0`]);
  await setResolver(b.phone.ns, b.lan.box);
}
