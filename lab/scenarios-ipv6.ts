// The IPv6 rows: the path with no NAT at all (docs/ipv6.md). From the LAN of a box that routes a
// /64 but does not hairpin, the external name reaches the node over IPv6 (same /64, on-link);
// from an IPv6-only carrier (DNS64 + NAT64) an IPv4-only node's external name works through the
// NAT64 and the probe says DNS64; the box whose IPv6 firewall drops inbound connections is what
// the manager's reachability check reports, with the advice; a dual-stack phone's runtime picks
// the family (Happy Eyeballs) with nothing IPv6-specific in the client.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ReachabilityView } from '../contract/api.ts';
import type { ProbeResult } from '../probe/index.ts';
import type { Field } from './field.ts';
import { MANAGER_URL, ROOT } from './internet.ts';
import { globalIpv6 } from './ipv6.ts';
import type { ClientResult } from './phone.ts';
import { type BoxPlan, boxPlan, CELL6, DUAL, INET, NAT64, NODE_PORT, SERVICES, SERVICES6, ZONE } from './plan.ts';
import {
  type Check,
  check,
  clientRun,
  everyCallSucceeds,
  failuresSeen,
  origin,
  phone,
  relayOption,
  row,
  type ScenarioRow,
  servedBy,
  sibling,
  transfers,
} from './scenario-kit.ts';
import { inNs } from './shell.ts';

const NAT64_NET = NAT64.prefix.replace(/\/96$/, '');
const isIpv6 = (peer: string | undefined) => peer?.includes(':') === true;

/** The addresses the node saw the calls come from, each once. */
const peers = (result: ClientResult) => [...new Set(result.calls.map((c) => c.peer ?? '—'))].join(', ');

/** `dig +short` for one type, through a namespace's own resolver or a given server. */
async function dig(ns: string, name: string, type: 'A' | 'AAAA', server?: string): Promise<string[]> {
  const out = await inNs(ns, 'dig', [...(server ? [`@${server}`] : []), '+short', '+time=2', '+tries=1', name, type], {
    allowFail: true,
  });
  return out.split('\n').filter((l) => /^[0-9a-f.:]+$/.test(l));
}

/** One HTTPS call with curl, forced onto one family: the status, or `000` when it never got one. */
async function curlStatus(field: Field, ns: string, url: string, family: '-4' | '-6'): Promise<string> {
  const out = await inNs(
    ns,
    'curl',
    [
      family,
      '-sS',
      '-o',
      '/dev/null',
      '-w',
      '%{http_code}',
      '--max-time',
      '5',
      '--cacert',
      field.internet.trustFile,
      url,
    ],
    { allowFail: true },
  );
  return out.trim() || '000';
}

/**
 * 12. The IPv6 box's Wi-Fi: no hairpin and a resolver that strips RFC 1918 answers, so neither the
 * internal name nor the external one over IPv4 reaches the node — without IPv6 this shop is the
 * relay's (row 8). The node's stable address is the external name's AAAA and the phone is on the
 * same /64: the external name works over IPv6, no relay, no internal name.
 */
async function ipv6LanScenario(field: Field): Promise<ScenarioRow> {
  const b = boxPlan('v6open');
  const status = field.nodes.v6open;
  const pairing = status.pairing;
  const external = origin(pairing.url);
  const result = await phone<ClientResult>(field, b.phone.ns, [
    'client',
    clientRun(pairing.url, { oracle: external, ...relayOption(pairing) }),
  ]);
  const transfer = await transfers(field, b.phone.ns, external, sibling(pairing.url));
  const held = await globalIpv6(b.node.ns, 'eth0');
  const stable = held.filter((a) => !a.temporary).map((a) => a.address);
  const aaaa = await dig(INET, status.names.external, 'AAAA', SERVICES.manager);
  const overIpv4 = await curlStatus(field, b.phone.ns, `${external}/v1/items`, '-4');
  const lanPrefix = b.ipv6!.lan.prefix.replace(/::\/64$/, ':');
  const checks: Check[] = [
    check(
      "the external name's AAAA is the node's stable SLAAC address, not its temporary one",
      aaaa.length === 1 && stable.includes(aaaa[0]!),
      `AAAA ${aaaa.join(', ') || 'none'}; node holds ${held.map((a) => `${a.address}${a.temporary ? ' (temporary)' : ''}`).join(', ')}`,
    ),
    check(
      'pairing names the IPv6 path in its explanation',
      pairing.explanation.some((l) => l.includes(`global IPv6 address ${aaaa[0]}`)),
      `${pairing.kind}: ${pairing.explanation.find((l) => l.includes('IPv6')) ?? 'no IPv6 sentence'}`,
    ),
    everyCallSucceeds(result),
    servedBy(result, external, 'served by the external origin: no relay, no internal name'),
    check(
      "every call over IPv6, straight to the node (it sees the phone's own address: no NAT)",
      result.calls.every((c) => !c.ok || c.peer?.startsWith(lanPrefix)),
      peers(result),
    ),
    check('over IPv4 the external name fails from this LAN (no hairpin)', overIpv4 === '000', `curl -4: ${overIpv4}`),
    check('10 MB over IPv6', transfer.chosen?.ok === true, transfer.chosen?.error ?? `${transfer.chosen?.ms} ms`),
  ];
  return row(
    {
      id: '12',
      title: 'IPv6 box (routes a /64, no hairpin, filtering resolver): the external name over IPv6 from the LAN',
      where: `${b.phone.ns} (Wi-Fi, dual-stack LAN)`,
      url: pairing.url,
      pairing: `${pairing.kind}: ${pairing.verdict}`,
      oracleMs: result.oracle?.ms ?? null,
      transfer,
      checks,
      notes: [
        `internal origin: ${failuresSeen(result) || 'no failure before the external origin won'}`,
        `the node saw the calls from ${peers(result)} (the phone's temporary address)`,
      ],
    },
    result,
  );
}

/**
 * 13. The IPv6-only phone (DNS64 + NAT64), the app paired at the Orange shop, whose node has no
 * IPv6: the external name's AAAA is made by the DNS64 from its A, and the NAT64 carries the calls
 * to the box's port forward. The internal name's synthesised AAAA leads nowhere (RFC 1918 behind
 * NAT64), which the probe must say.
 */
async function nat64Scenario(field: Field, dir: string): Promise<ScenarioRow> {
  const pairing = field.nodes.orange.pairing;
  const names = field.nodes.orange.names;
  const external = sibling(pairing.url);
  const result = await phone<ClientResult>(field, CELL6.ns, ['client', clientRun(pairing.url, { oracle: external })]);
  const transfer = await transfers(field, CELL6.ns, external, origin(pairing.url));
  const synthesised = await dig(CELL6.ns, names.external, 'AAAA');
  const tayga = await readFile(join(dir, 'tayga.log'), 'utf8').catch(() => '');
  const mapped = new RegExp(`assigned new pool address (\\S+) \\(${CELL6.phone}\\)`).exec(tayga)?.[1];
  // `hairpin probe` on the phone, as support would run it there: the system's resolver (the
  // DNS64), the manager's DoH reached by name through the NAT64 (the phone has no IPv4).
  const out = await inNs(
    CELL6.ns,
    'env',
    [
      `NODE_EXTRA_CA_CERTS=${field.internet.trustFile}`,
      process.execPath,
      join(ROOT, 'bin/hairpin.js'),
      'probe',
      names.internal,
      '--external',
      names.external,
      '--doh',
      `http://ns1.${ZONE}/dns-query`,
      '--json',
    ],
    { allowFail: true, timeoutMs: 60_000 },
  );
  const probe = parseProbe(out);
  const externalAaaa = probe?.checks.find((c) => c.role === 'external' && c.type === 'AAAA');
  const nat64 = probe?.dns64?.prefixes.map((p) => `${p.prefix}/${p.length}`) ?? [];
  const checks: Check[] = [
    check(
      "the DNS64 makes the external name's AAAA from its A",
      synthesised.length > 0 && synthesised.every((a) => a.startsWith(NAT64_NET)),
      `AAAA ${synthesised.join(', ') || 'none'}`,
    ),
    everyCallSucceeds(result),
    servedBy(result, external, 'served by the external origin'),
    check(
      'through the NAT64 (tayga mapped the phone)',
      mapped !== undefined,
      mapped ? `${CELL6.phone} → ${mapped}` : 'no mapping logged',
    ),
    check(
      `the probe reports DNS64 (NAT64 prefix ${NAT64.prefix}) and the verdict dns64 for the internal name`,
      nat64.includes(NAT64.prefix) && probe?.verdict === 'dns64',
      probe ? `${probe.verdict}; prefixes ${nat64.join(', ') || 'none'}` : `no result: ${out.slice(0, 120)}`,
    ),
    check(
      "the probe: the external name's synthesised AAAA is ok (reached through NAT64)",
      externalAaaa?.verdict === 'ok',
      externalAaaa ? `${externalAaaa.verdict}: ${externalAaaa.reason}` : 'no external AAAA check',
    ),
    check(
      '10 MB through the NAT64',
      transfer.chosen?.ok === true,
      transfer.chosen?.error ?? `${transfer.chosen?.ms} ms`,
    ),
  ];
  return row(
    {
      id: '13',
      title: 'IPv6-only cellular (DNS64 + NAT64), IPv4-only node: the external name through NAT64',
      where: `${CELL6.ns} (IPv6 only, resolver ${SERVICES6.dns64} DNS64)`,
      url: pairing.url,
      pairing: `orange ${pairing.kind}`,
      oracleMs: result.oracle?.ms ?? null,
      transfer,
      checks,
      notes: [
        `internal origin: ${failuresSeen(result) || 'no failure before the external origin won'}`,
        ...(probe ? [`probe: ${probe.verdict} — ${probe.reason}`] : []),
      ],
    },
    result,
  );
}

function parseProbe(out: string): ProbeResult | undefined {
  try {
    return JSON.parse(out) as ProbeResult;
  } catch {
    return undefined;
  }
}

/** `POST …/reachability` as the admin (the token on curl's standard input, not its command line). */
async function reachabilityCheck(field: Field, b: BoxPlan): Promise<{ status: string; body: string }> {
  const url = `${MANAGER_URL}/v1/licences/${b.node.licence}/nodes/${b.node.name}/reachability`;
  const out = await inNs(
    INET,
    'curl',
    ['-sS', '--max-time', '15', '-X', 'POST', '-H', '@-', '-H', 'content-length: 0', '-w', '\n%{http_code}', url],
    { input: `authorization: Bearer ${field.internet.adminToken}\n`, allowFail: true, timeoutMs: 20_000 },
  );
  const i = out.lastIndexOf('\n');
  return { body: out.slice(0, i), status: out.slice(i + 1).trim() };
}

/** The check, waiting out the per-node minute once if the agent's own pairing just used it. */
async function reachability(field: Field, b: BoxPlan): Promise<ReachabilityView | string> {
  let answer = await reachabilityCheck(field, b);
  if (answer.status === '429') {
    const wait = Math.min(Number(/next in (\d+) s/.exec(answer.body)?.[1] ?? 60), 61);
    await new Promise((r) => setTimeout(r, wait * 1000));
    answer = await reachabilityCheck(field, b);
  }
  if (answer.status !== '200') return `${answer.status} ${answer.body}`;
  return (JSON.parse(answer.body) as { reachability: ReachabilityView }).reachability;
}

const outcome = (view: ReachabilityView | string, family: 'ipv4' | 'ipv6') =>
  typeof view === 'string' ? view : (view[family]?.outcome ?? 'not checked');
const seen = (view: ReachabilityView | string) =>
  typeof view === 'string'
    ? view
    : (['ipv4', 'ipv6'] as const)
        .map(
          (f) =>
            `${f} ${view[f]?.address ?? '—'}: ${view[f]?.outcome ?? 'not checked'} (${view[f]?.detail ?? ''}, ${view[f]?.elapsedMs ?? '—'} ms)`,
        )
        .join('; ');

/**
 * 14. The box that drops inbound IPv6: the manager's check from outside says so (`filtered`,
 * beside the IPv4 port forward's `open`), the open box's says `open`, and pairing again at the
 * shop gives the advice naming where each common box opens its IPv6 firewall. The shop's own
 * Wi-Fi still reaches the node over IPv6 (the firewall is between the LAN and the WAN).
 */
async function blockedIpv6Scenario(field: Field): Promise<ScenarioRow> {
  const shut = boxPlan('v6shut');
  const [shutView, openView] = await Promise.all([reachability(field, shut), reachability(field, boxPlan('v6open'))]);
  // Pairing again, after the check: the bring-up's own decision may have read the node view while
  // the agent's first check (3 s to say "filtered") was still under way.
  const pairing = await field.nodes.v6shut.pair();
  // The open box too: at its start the agent asked for a check before its service listened.
  const openPairing = await field.nodes.v6open.pair();
  const advice = (pairing.advice ?? []).find((a) => a.includes('blocks inbound IPv6')) ?? '';
  const address = typeof shutView === 'string' ? undefined : shutView.ipv6?.address;
  const external = origin(pairing.url);
  const fromLan = await curlStatus(field, shut.phone.ns, `${external}/v1/items`, '-6');
  // The same name from the IPv6-only carrier: the DNS64 makes no AAAA where one exists, so the
  // NAT64 path to the box's IPv4 port forward is not offered either (docs/ipv6.md).
  const fromCell6 = await curlStatus(field, CELL6.ns, `${external}/v1/items`, '-6');
  const checks: Check[] = [
    check(
      'the check reports IPv6 filtered (dropped by the box)',
      outcome(shutView, 'ipv6') === 'filtered',
      seen(shutView),
    ),
    check("and IPv4 open (the box's port forward)", outcome(shutView, 'ipv4') === 'open', outcome(shutView, 'ipv4')),
    check("the open box's IPv6: open", outcome(openView, 'ipv6') === 'open', seen(openView)),
    check(
      "pairing's advice names the box's IPv6 firewall setting for the node's address and port",
      address !== undefined &&
        advice.includes(`TCP port ${NODE_PORT} to ${address}`) &&
        ['Livebox', 'Freebox', 'Bbox', 'SFR Box', 'Fritz!Box', 'OpenWrt'].every((box) => advice.includes(box)),
      advice ? `${advice.slice(0, 90)}…` : `no IPv6 advice (${(pairing.advice ?? []).length} lines)`,
    ),
    check(
      'no IPv6 firewall advice for the open box',
      !(openPairing.advice ?? []).some((a) => a.includes('blocks inbound IPv6')),
      `${(openPairing.advice ?? []).length} advice lines`,
    ),
    check(
      "the shop's Wi-Fi still reaches the node over IPv6 (inside the firewall)",
      fromLan === '200',
      `curl -6: ${fromLan}`,
    ),
  ];
  return row(
    {
      id: '14',
      title: 'IPv6 box dropping inbound IPv6: the reachability check says so, pairing advises',
      where: `${INET} (POST …/reachability) and ${shut.phone.ns} (Wi-Fi)`,
      url: pairing.url,
      pairing: `${pairing.kind}: ${pairing.verdict}`,
      oracleMs: null,
      transfer: { chosen: null, other: null },
      checks,
      notes: [
        `reachability: ${seen(shutView)}`,
        ...(advice ? [`advice: ${advice}`] : []),
        `from the IPv6-only carrier: ${fromCell6 === '000' ? 'fails (AAAA published, so the DNS64 makes none and the NAT64 path is not offered)' : fromCell6}`,
      ],
    },
    { startedAt: 0, calls: [], switches: [], failures: [], firstGoodMs: null, oracle: null },
  );
}

/**
 * 15. A dual-stack phone on cellular, the client as it ships: to the open box's node the runtime
 * takes IPv6; to the node behind the box that drops inbound IPv6 it falls back to IPv4 (the box's
 * port forward) after its Happy Eyeballs attempt delay (Node: 250 ms).
 */
async function dualStackScenario(field: Field, id: string, key: 'v6open' | 'v6shut'): Promise<ScenarioRow> {
  const pairing = field.nodes[key].pairing;
  const external = origin(pairing.url);
  const result = await phone<ClientResult>(field, DUAL.ns, [
    'client',
    clientRun(pairing.url, {
      oracle: external,
      ...(pairing.relayUrl ? { relayOrigin: origin(pairing.relayUrl) } : {}),
    }),
  ]);
  const wantIpv6 = key === 'v6open';
  const checks: Check[] = [
    everyCallSucceeds(result),
    servedBy(result, external, 'served by the external origin'),
    check(
      wantIpv6
        ? 'over IPv6 (the phone reaches the node directly)'
        : "over IPv4 (the box's port forward), IPv6 being dropped",
      result.calls.every((c) => !c.ok || (wantIpv6 ? c.peer === DUAL.phone6 : !isIpv6(c.peer))),
      peers(result),
    ),
  ];
  return row(
    {
      id,
      title: wantIpv6
        ? 'Dual-stack cellular, node behind the open IPv6 box: IPv6'
        : 'Dual-stack cellular, node behind the box dropping inbound IPv6: IPv4 (Happy Eyeballs)',
      where: `${DUAL.ns} (cellular, dual-stack)`,
      url: pairing.url,
      pairing: `${key} ${pairing.kind}`,
      oracleMs: result.oracle?.ms ?? null,
      transfer: { chosen: null, other: null },
      checks,
      notes: [
        `${key}: the node saw the calls from ${peers(result)}; internal origin: ${failuresSeen(result) || 'no failure seen'}`,
      ],
    },
    result,
  );
}

export async function ipv6Scenarios(field: Field): Promise<ScenarioRow[]> {
  return [
    await ipv6LanScenario(field),
    await nat64Scenario(field, field.dir),
    await blockedIpv6Scenario(field),
    await dualStackScenario(field, '15a', 'v6open'),
    await dualStackScenario(field, '15b', 'v6shut'),
  ];
}
