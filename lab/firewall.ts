// nftables inside the namespaces: each box's NAT, its port forward and whether it hairpins; the
// carrier's treatment of RFC 1918 destinations for phones on "cellular".
import { BOXES, type BoxPlan, CELL, DUAL, INET, NODE_PORT, RFC1918 } from './plan.ts';
import { inNs } from './shell.ts';

function nft(ns: string, ruleset: string): Promise<string> {
  return inNs(ns, 'nft', ['-f', '-'], { input: ruleset });
}

/**
 * The box: LAN hosts leave masqueraded behind the WAN address. The forwarded port is served by
 * the box's user-space forwarder on its WAN address (lab/relay.ts), so from the WAN side the node
 * answers on `<wan>:8443`. A box that hairpins lets its LAN reach that same address and port; one
 * that does not (Orange) answers a LAN connection to its own public address with a reset: the
 * packet reaches the box itself, where no forward applies.
 */
export function boxRuleset(b: BoxPlan): string {
  return `table ip hp_box {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "wan0" masquerade
  }
  chain input {
    type filter hook input priority filter; policy accept;
    ${b.hairpin ? '# hairpin: the LAN may reach the public address and port like anyone' : `iifname "lan0" ip daddr ${b.wan.box} tcp dport ${NODE_PORT} reject with tcp reset`}
  }
}
`;
}

/** How the carrier treats a phone's packets to RFC 1918 addresses. */
export type CarrierPolicy = 'reject' | 'drop';

/**
 * In the internet's router: packets from a cellular link to an RFC 1918 address are refused at
 * once (ICMP administratively prohibited, as carriers do) or silently dropped (the slow case).
 * The hook is prerouting, before the route lookup: the router has no route to RFC 1918, so in
 * the forward hook it would already have answered "net unreachable" itself and a drop would
 * never be seen.
 */
export function carrierRuleset(policy: CarrierPolicy): string {
  const cellLinks = [CELL.inetIf, ...BOXES.map((b) => b.phone.wwan.inetIf), DUAL.inetIf]
    .map((i) => `"${i}"`)
    .join(', ');
  return `table ip hp_carrier {
  chain prerouting {
    type filter hook prerouting priority raw; policy accept;
    iifname { ${cellLinks} } ip daddr { ${RFC1918.join(', ')} } ${policy === 'reject' ? 'reject with icmp type admin-prohibited' : 'drop'}
  }
}
`;
}

/**
 * A box's IPv6 firewall, stateful as the boxes' are: the LAN goes out, answers come back, and
 * from the WAN only what a rule admits gets in; the rest is dropped without a word (Livebox,
 * Freebox, Bbox, SFR Box and Fritz!Box drop unsolicited inbound IPv6 by default). The open box
 * admits the node's port, as a shop does by opening it in the box's IPv6 firewall; the rule is
 * for the LAN's /64 since the node's SLAAC address is only known once the box advertised it.
 * ICMPv6 errors pass (path MTU discovery needs them, RFC 4890).
 */
export function box6Ruleset(b: BoxPlan): string {
  const v6 = b.ipv6!;
  return `table ip6 hp_box6 {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "lan0" accept
    icmpv6 type { destination-unreachable, packet-too-big, time-exceeded, parameter-problem, echo-request } accept
    ${v6.admitsNodePort ? `iifname "wan0" ip6 daddr ${v6.lan.prefix} tcp dport ${NODE_PORT} accept` : '# inbound: nothing admitted'}
  }
}
`;
}

export async function applyBoxFirewalls(): Promise<void> {
  for (const b of BOXES) {
    await nft(b.ns, boxRuleset(b));
    if (b.ipv6) await nft(b.ns, box6Ruleset(b));
  }
}

/** Install or swap the carrier's policy (the table is replaced whole). */
export async function setCarrierPolicy(policy: CarrierPolicy): Promise<void> {
  await inNs(INET, 'nft', ['delete', 'table', 'ip', 'hp_carrier'], { allowFail: true });
  await nft(INET, carrierRuleset(policy));
}
