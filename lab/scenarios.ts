// The scenarios: each drives the field end to end from a phone and judges what it saw. Each
// returns a row of the table (lab/table.ts); `checks` lists what was required and whether it held.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BrowserResult, BrowserRun } from './browser.ts';
import type { Field } from './field.ts';
import { setCarrierPolicy } from './firewall.ts';
import type { ClientResult, Measure } from './phone.ts';
import { ADDRESS_TTL_SECONDS, type BoxKey, boxPlan, CELL, NODE_PORT, SERVICES } from './plan.ts';
import {
  agentState,
  type Check,
  check,
  clientRun,
  everyCallSucceeds,
  failuresSeen,
  host,
  labScript,
  origin,
  phone,
  phoneBrowser,
  RACE_DELAY_MS,
  REPROBE,
  relayOption,
  row,
  type ScenarioRow,
  served,
  servedBy,
  sibling,
  transfers,
} from './scenario-kit.ts';
import { ipv6Scenarios } from './scenarios-ipv6.ts';
import { LAB_OUTAGE_MS, outageScenarios } from './scenarios-outage.ts';
import { inNs, waitFor } from './shell.ts';
import { moveToCellular, moveToWifi, setResolver } from './topology.ts';

/** A LAN phone on Wi-Fi, with the URL its box's node handed out. */
async function lanScenario(
  field: Field,
  id: string,
  key: BoxKey,
  expectKind: string,
  title: string,
): Promise<ScenarioRow> {
  const b = boxPlan(key);
  const pairing = field.nodes[key].pairing;
  const chosen = origin(pairing.url);
  const other = sibling(pairing.url);
  const result = await phone<ClientResult>(field, b.phone.ns, ['client', clientRun(pairing.url, { oracle: chosen })]);
  const transfer = await transfers(field, b.phone.ns, chosen, other);
  const checks = [
    check(
      `pairing hands out the ${expectKind} URL`,
      pairing.kind === expectKind,
      `${pairing.kind} (${pairing.verdict})`,
    ),
    everyCallSucceeds(result),
    servedBy(result, chosen, 'every call is served by the handed-out origin'),
  ];
  const notes: string[] = [];
  if (key === 'orange') {
    checks.push(
      check(
        'the external name fails from inside (no hairpin)',
        !transfer.other!.ok,
        transfer.other!.error ?? 'it worked',
      ),
    );
    notes.push(`external name from the Orange LAN: ${transfer.other!.error}`);
  }
  return row(
    {
      id,
      title,
      where: `${b.phone.ns} (Wi-Fi)`,
      url: pairing.url,
      pairing: `${pairing.kind}: ${pairing.verdict}`,
      oracleMs: result.oracle?.ms ?? null,
      transfer,
      checks,
      notes,
    },
    result,
  );
}

/** The cellular-only phone with a given carrier resolver and RFC 1918 policy, app paired at the Orange shop. */
async function cellularScenario(
  field: Field,
  id: string,
  title: string,
  resolver: string,
  policy: 'reject' | 'drop',
): Promise<ScenarioRow> {
  await setCarrierPolicy(policy);
  await setResolver(CELL.ns, resolver);
  try {
    const pairing = field.nodes.orange.pairing;
    const external = sibling(pairing.url);
    const result = await phone<ClientResult>(field, CELL.ns, ['client', clientRun(pairing.url, { oracle: external })]);
    const transfer = await transfers(field, CELL.ns, external, origin(pairing.url));
    const extra = (result.firstGoodMs ?? Infinity) - (result.oracle?.ms ?? Infinity);
    const internalFailure = result.failures.find((f) => f.what.endsWith(`@${host(pairing.url)}`));
    // Beyond the oracle the client pays its identity probe (~70–100 ms measured) and, when the
    // internal attempt hangs, the race delay before the external attempt starts (RFC 8305 §5).
    // Waiting for the internal attempt's own time bound (3 s here) would blow either bound.
    const bound = policy === 'reject' ? RACE_DELAY_MS : RACE_DELAY_MS + 400;
    const checks = [
      everyCallSucceeds(result),
      servedBy(result, external, 'served by the external origin'),
      check(`first good answer within oracle + ${bound} ms`, extra <= bound, `+${extra} ms`),
    ];
    if (policy === 'reject') {
      checks.push(
        check(
          'the internal origin fails at once (before the race delay)',
          internalFailure !== undefined && internalFailure.at - result.startedAt < RACE_DELAY_MS,
          failuresSeen(result) || 'no failure seen',
        ),
      );
    }
    const notes = [`internal origin: ${failuresSeen(result) || 'no failure before the external origin won'}`];
    return row(
      {
        id,
        title,
        where: `${CELL.ns} (cellular, ${policy}, resolver ${resolver})`,
        url: pairing.url,
        pairing: `orange ${pairing.kind}`,
        oracleMs: result.oracle?.ms ?? null,
        transfer,
        checks,
        notes,
      },
      result,
    );
  } finally {
    await setCarrierPolicy('reject');
    await setResolver(CELL.ns, SERVICES.resolver);
  }
}

/** Scenarios 6 and 7: one client session on the Orange phone, Wi-Fi → cellular → Wi-Fi. */
async function roamingScenarios(field: Field): Promise<ScenarioRow[]> {
  const b = boxPlan('orange');
  const pairing = field.nodes.orange.pairing;
  const internal = origin(pairing.url);
  const external = sibling(pairing.url);
  // ~5 s of calls: 1.2 s on Wi-Fi, 1.5 s on cellular, then long enough back on Wi-Fi for the
  // re-probe (at most REPROBE.maxMs away) to bring the client home and for calls to follow.
  const session = phone<ClientResult>(field, b.phone.ns, [
    'client',
    clientRun(pairing.url, { calls: 90, intervalMs: 50 }),
  ]);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  // From the session's first connection (the client's identity probe to the node), not from the
  // spawn: on a loaded machine the phone's process alone has taken over 3 s to start.
  await waitFor(
    "the phone's session to reach the node",
    async () =>
      (await inNs(b.phone.ns, 'ss', ['-Htn', 'state', 'established', 'dst', `${b.lan.node}:${NODE_PORT}`])).trim() !==
      '',
    30_000,
    50,
  );
  await sleep(1_200);
  const leftAt = Date.now();
  await moveToCellular(b);
  await sleep(1_500);
  const backAt = Date.now();
  await moveToWifi(b);
  const result = await session;
  const during = (from: number, to: number) => result.calls.filter((c) => c.at >= from && c.at < to);
  const onCell = during(leftAt, backAt);
  const toExternal = result.switches.find((s) => s.at >= leftAt && s.to === external);
  const back = result.switches.find((s) => s.at >= backAt && s.to === internal);
  const backMs = back ? back.at - backAt : null;
  // What the two rows share: one session, no oracle, no transfer measured.
  const session6and7 = {
    url: pairing.url,
    pairing: `orange ${pairing.kind}`,
    oracleMs: null,
    transfer: { chosen: null, other: null },
  };
  const cellRow = row(
    {
      ...session6and7,
      id: '6',
      title: 'Phone moves from Wi-Fi to cellular mid-session (times from the move)',
      where: `${b.phone.ns} (Wi-Fi → cellular)`,
      checks: [
        check(
          'no call fails (idempotent GETs)',
          result.calls.every((c) => c.ok),
          `${
            result.calls
              .filter((c) => !c.ok)
              .map((c) => c.error)
              .join('; ') || 'none failed'
          }`,
        ),
        check(
          'switched to the external origin on cellular',
          toExternal !== undefined,
          toExternal
            ? `${toExternal.reason} after ${toExternal.at - leftAt} ms (${toExternal.failure ?? ''})`
            : 'no switch',
        ),
        check(
          'calls on cellular served by the external origin',
          onCell.length > 0 &&
            onCell.filter((c) => c.at > (toExternal?.at ?? Infinity)).every((c) => c.origin === external),
          `${onCell.length} calls on cellular`,
        ),
      ],
      notes: [`left Wi-Fi ${leftAt - result.startedAt} ms into the session`],
    },
    { ...result, calls: result.calls.filter((c) => c.at < backAt) },
  );
  const wifiRow = row(
    {
      ...session6and7,
      id: '7',
      title: 'Back on Wi-Fi: returns to the internal origin (times from the move)',
      where: `${b.phone.ns} (cellular → Wi-Fi)`,
      checks: [
        check(
          'no call fails',
          result.calls.every((c) => c.ok),
          `${result.calls.filter((c) => !c.ok).length} failed`,
        ),
        check(
          `back on the internal origin within the re-probe interval (${REPROBE.maxMs} ms + probe)`,
          backMs !== null && backMs <= REPROBE.maxMs + 500,
          back ? `${back.reason} after ${backMs} ms` : 'never came back',
        ),
        check(
          'last call served by the internal origin',
          result.calls.at(-1)?.origin === internal,
          host(result.calls.at(-1)?.origin),
        ),
      ],
      notes: [],
    },
    {
      ...result,
      calls: result.calls.filter((c) => c.at >= backAt),
      switches: result.switches.filter((s) => s.at >= backAt),
    },
  );
  // For these two rows the "first good answer" is counted from the move: the first call that
  // succeeded over cellular (on the external origin), and the switch back to the internal one.
  const firstOnCell = onCell.find((c) => c.ok && c.origin === external);
  cellRow.firstGoodMs = firstOnCell ? firstOnCell.at + firstOnCell.ms - leftAt : null;
  wifiRow.firstGoodMs = backMs;
  return [cellRow, wifiRow];
}

/**
 * The third box, from its own Wi-Fi: neither name reaches the node (the resolver filters the
 * internal one, the box does not hairpin the external one), so pairing hands out the relay and
 * the app's calls go through it. From outside, the external name still serves, not the relay.
 */
async function thirdBoxScenario(field: Field): Promise<ScenarioRow> {
  const pairing = field.nodes.third.pairing;
  const relay = pairing.relayUrl ? origin(pairing.relayUrl) : '';
  const inside = boxPlan('third').phone.ns;
  const result = await phone<ClientResult>(field, inside, [
    'client',
    clientRun(pairing.url, { oracle: relay, relayOrigin: relay }),
  ]);
  const transfer = await transfers(field, inside, relay, origin(pairing.url));
  const outside = await phone<ClientResult>(field, CELL.ns, [
    'client',
    clientRun(pairing.url, { calls: 3, relayOrigin: relay }),
  ]);
  return row(
    {
      id: '8',
      title: "Third box: no hairpin, filtering resolver: the shop's Wi-Fi through the relay",
      where: `${inside} (Wi-Fi)`,
      url: pairing.url,
      pairing: `${pairing.kind}: ${pairing.verdict}`,
      oracleMs: result.oracle?.ms ?? null,
      transfer,
      checks: [
        check(
          'pairing hands out the relay, with its warning and advice',
          pairing.kind === 'relay' && !!pairing.relayUrl && !!pairing.warning,
          `${pairing.kind} ${pairing.relayUrl ?? 'no relay'}`,
        ),
        everyCallSucceeds(result, "every call from the shop's Wi-Fi succeeds"),
        servedBy(result, relay, 'served by the relay origin'),
        check(
          '10 MB through the relay',
          transfer.chosen?.ok === true,
          transfer.chosen?.error ?? `${transfer.chosen?.ms} ms`,
        ),
        check(
          'from outside, the external origin serves (not the relay)',
          outside.calls.every((c) => c.ok) && served(outside, origin(pairing.url)),
          [...new Set(outside.calls.map((c) => host(c.origin) + (c.ok ? '' : ` ${c.error}`)))].join(','),
        ),
      ],
      notes: [
        `the external name from the third box's Wi-Fi: ${transfer.other?.error ?? 'it worked'}`,
        `warning: ${pairing.warning}`,
        ...(pairing.advice ?? []).map((a) => `advice: ${a}`),
      ],
    },
    result,
  );
}

/**
 * What the relay costs, on one phone that reaches both paths (cellular, the third box's node):
 * first good answer and 10 MB through the relay against the direct external path (the oracle).
 */
async function relayCostScenario(field: Field): Promise<ScenarioRow> {
  const pairing = field.nodes.third.pairing;
  const relay = pairing.relayUrl ? origin(pairing.relayUrl) : '';
  const external = origin(pairing.url);
  // Each from a fresh process: the first answer includes the connection and TLS handshake.
  const viaRelay = await phone<Measure>(field, CELL.ns, ['oracle', relay]);
  const direct = await phone<Measure>(field, CELL.ns, ['oracle', external]);
  const transfer = await transfers(field, CELL.ns, relay, external);
  const ratio = (a: Measure | null, b: Measure | null) => (a?.ok && b?.ok ? (a.ms / b.ms).toFixed(2) : '—');
  const checks = [
    check('first answer through the relay', viaRelay.ok, viaRelay.error ?? `${viaRelay.ms} ms`),
    check('first answer on the direct external path', direct.ok, direct.error ?? `${direct.ms} ms`),
    check(
      '10 MB through the relay and direct',
      transfer.chosen?.ok === true && transfer.other?.ok === true,
      `${transfer.chosen?.ms} ms vs ${transfer.other?.ms} ms`,
    ),
  ];
  return {
    id: '11',
    title: 'Relay vs direct external path, same phone: first answer and 10 MB',
    where: `${CELL.ns} (cellular, third box's node)`,
    url: relay,
    pairing: `${pairing.kind}: relay vs external`,
    calls: {
      ok: [viaRelay, direct].filter((m) => m.ok).length,
      failed: [viaRelay, direct].filter((m) => !m.ok).length,
    },
    switches: [],
    firstGoodMs: viaRelay.ok ? viaRelay.ms : null,
    oracleMs: direct.ok ? direct.ms : null,
    transfer,
    checks,
    notes: [
      `first answer: relay/direct ${ratio(viaRelay, direct)}×; 10 MB: relay/direct ${ratio(transfer.chosen, transfer.other)}× (relay capped at the manager's HAIRPIN_RELAY_BYTES_PER_SECOND, default 8 MiB/s)`,
    ],
    passed: checks.every((c) => c.ok),
  };
}

/**
 * Chromium on a LAN phone, the app loaded from the public app store: with the Local Network
 * Access permission granted (Orange: internal origin), denied where the hairpin gives a path
 * (Free: external at once, no new prompt), and denied where no path exists (Orange: a quick,
 * clear error naming the permission).
 */
async function browserScenario(field: Field, id: string, key: BoxKey, grant: boolean): Promise<ScenarioRow> {
  const b = boxPlan(key);
  const pairing = field.nodes[key].pairing;
  const spec: BrowserRun = { ...phoneBrowser(field, b), grant, calls: 5 };
  const result = await labScript<BrowserResult>(field, b.phone.ns, 'lab/browser.ts', [JSON.stringify(spec)], 90_000);
  const ok = result.calls.filter((c) => c.origin);
  const failed = result.calls.filter((c) => !c.origin);
  const internal = origin(key === 'orange' ? pairing.url : sibling(pairing.url));
  const external = origin(key === 'orange' ? sibling(pairing.url) : pairing.url);
  const allOn = (name: string, expected: string | undefined) =>
    check(
      `every call succeeds on the ${name} origin`,
      failed.length === 0 && ok.length > 0 && ok.every((c) => c.origin === expected),
      result.calls.map((c) => (c.origin ? host(c.origin) : c.code)).join(','),
    );
  const refusedOnce = check(
    'the internal origin is refused once, not asked again',
    result.internalAttempts <= 1,
    `${result.internalAttempts} internal attempt(s): ${result.failures.join(', ') || 'none'}`,
  );
  const checks: Check[] = [
    check(
      `permission ${grant ? 'granted' : 'denied'}`,
      result.permission === (grant ? 'granted' : 'denied'),
      result.permission,
    ),
  ];
  let title: string;
  if (grant) {
    title = 'Chromium, Orange LAN, Local Network Access granted';
    checks.push(allOn('internal', internal));
  } else if (key === 'free') {
    title = 'Chromium, Free LAN, Local Network Access denied';
    checks.push(
      allOn('external', external),
      refusedOnce,
      check(
        'first call without the race delay',
        (result.calls[0]?.ms ?? Infinity) < 1_000,
        `${result.calls[0]?.ms} ms`,
      ),
    );
  } else {
    title = 'Chromium, Orange LAN, Local Network Access denied, no hairpin: through the relay';
    checks.push(
      allOn('relay', relayOption(pairing).relayOrigin),
      refusedOnce,
      check('first answer within 2 s', (result.calls[0]?.ms ?? Infinity) < 2_000, `${result.calls[0]?.ms} ms`),
    );
  }
  return {
    id,
    title,
    where: `${b.phone.ns} (Chromium, app from ${new URL(spec.appOrigin).hostname})`,
    url: pairing.url,
    pairing: `${pairing.kind}, LNA ${grant ? 'granted' : 'denied'}`,
    calls: { ok: ok.length, failed: failed.length },
    switches: result.switches,
    firstGoodMs: ok[0] ? result.calls.slice(0, result.calls.indexOf(ok[0]) + 1).reduce((a, c) => a + c.ms, 0) : null,
    oracleMs: null,
    transfer: { chosen: null, other: null },
    checks,
    notes: failed.length
      ? [`error shown to the app after ${failed[0]!.ms} ms: ${failed[0]!.code}: ${failed[0]!.message}`]
      : [],
    passed: checks.every((c) => c.ok),
  };
}

/**
 * The Orange node's DHCP lease moves it to another address mid-session, with production timers:
 * the manager's 60 s TTL, the agent's defaults, the client's default re-probe (30 s → 10 min).
 * The shop's resolver keeps the old address up to a TTL, so the app's calls fail until then; the
 * goal is the first good call within TTL + 10 s of the move, and a pairing URL that never changed
 * (the agent must not read its own fresh change as a broken LAN). Runs last: it moves the node.
 */
async function dhcpScenario(field: Field): Promise<ScenarioRow> {
  const b = boxPlan('orange');
  const pairing = field.nodes.orange.pairing;
  const internal = origin(pairing.url);
  const moved = b.lan.node.replace(/\.\d+$/, '.11');
  const goalMs = (ADDRESS_TTL_SECONDS + 10) * 1000;
  // Long enough to see the first good call after the TTL (and the agent decide again), bounded.
  const session = phone<ClientResult>(
    field,
    b.phone.ns,
    [
      'client',
      clientRun(pairing.url, {
        calls: 1_000,
        intervalMs: 500,
        durationMs: goalMs + 12_000,
        reprobe: { initialMs: 30_000, maxMs: 600_000 },
      }),
    ],
    goalMs + 60_000,
  );
  await new Promise((r) => setTimeout(r, 3_000));
  const movedAt = Date.now();
  // A new lease: the old address goes, the new one comes, the default route is set again.
  await inNs(b.node.ns, 'ip', ['addr', 'del', `${b.lan.node}/24`, 'dev', 'eth0']);
  await inNs(b.node.ns, 'ip', ['addr', 'add', `${moved}/24`, 'dev', 'eth0']);
  await inNs(b.node.ns, 'ip', ['route', 'replace', 'default', 'via', b.lan.box]);
  const result = await session;
  const after = result.calls.filter((c) => c.at >= movedAt);
  const firstGood = after.find((c) => c.ok);
  const firstGoodMs = firstGood ? firstGood.at + firstGood.ms - movedAt : null;
  // Meanwhile the client may get through on the relay (both direct names fail from the Orange LAN
  // while caches hold the old address): what must follow is its return to the internal origin.
  const backInternal = after.find((c) => c.ok && c.origin === internal);
  const backInternalMs = backInternal ? backInternal.at + backInternal.ms - movedAt : null;
  const log = await readFile(join(field.dir, `agent-${b.key}.log`), 'utf8');
  const reportedLine = log.split('\n').find((l) => l.includes(`-> ${moved}`)) ?? '';
  const state = await agentState<{
    addressChange?: { at: string };
    pairing?: { url: string; internal: { verdict: string; answers: string[] } };
  }>(field, b.key);
  const reportedMs = state.addressChange ? Date.parse(state.addressChange.at) - movedAt : null;
  const decisions = log
    .split('\n')
    .filter((l) => l.startsWith('pairing: '))
    .map((l) => l.slice('pairing: '.length));
  const checks = [
    check(
      `first good call within TTL + 10 s (${goalMs / 1000} s) of the move`,
      firstGoodMs !== null && firstGoodMs <= goalMs,
      firstGoodMs === null ? 'none' : `${(firstGoodMs / 1000).toFixed(1)} s`,
    ),
    check(
      `back on the internal origin (new address) within TTL + 10 s (${goalMs / 1000} s) of the move`,
      backInternalMs !== null && backInternalMs <= goalMs,
      backInternalMs === null
        ? 'never'
        : `${(backInternalMs / 1000).toFixed(1)} s (first good call on ${host(firstGood?.origin)})`,
    ),
    check(
      'the agent reported the new address within seconds',
      reportedMs !== null && reportedMs >= 0 && reportedMs < 10_000,
      reportedMs === null ? 'no report' : `${(reportedMs / 1000).toFixed(1)} s after the move`,
    ),
    check(
      'the pairing URL never changed',
      state.pairing?.url === pairing.url && decisions.every((d) => d === pairing.url),
      `${state.pairing?.url} (${decisions.length} decision(s) logged: ${[...new Set(decisions)].join(', ') || 'none'})`,
    ),
    check('no "LAN path broken" warning', !log.includes('LAN path to the node is broken'), 'agent log'),
  ];
  const notes = [
    `moved ${b.lan.node} → ${moved} ${movedAt - result.startedAt} ms into the session; ${after.filter((c) => !c.ok).length} call(s) failed while the shop's resolver held the old address`,
    `agent: ${reportedLine.trim() || 'no change logged'}; last decision ${state.pairing?.internal.verdict} (${state.pairing?.internal.answers.join(', ')})`,
  ];
  const r = row(
    {
      id: '10',
      title: `Node's address changes mid-session (DHCP), production TTL ${ADDRESS_TTL_SECONDS} s and timers (times from the move)`,
      where: `${b.phone.ns} (Wi-Fi)`,
      url: pairing.url,
      pairing: `orange ${pairing.kind}`,
      oracleMs: null,
      transfer: { chosen: null, other: null },
      checks,
      notes,
    },
    { ...result, calls: after },
  );
  r.firstGoodMs = firstGoodMs;
  return r;
}

export async function runScenarios(
  field: Field,
  log: (line: string) => void = () => {},
  /** Set: the long outage run (`hairpin lab run --outage`), its rows only, with this outage. */
  longOutageMs?: number,
): Promise<ScenarioRow[]> {
  const rows: ScenarioRow[] = [];
  const add = (r: ScenarioRow) => {
    rows.push(r);
    log(`lab: scenario ${r.id} ${r.passed ? 'passed' : 'FAILED'}: ${r.title}`);
  };
  if (longOutageMs !== undefined) {
    for (const r of await outageScenarios(field, longOutageMs)) add(r);
    return rows;
  }
  add(await lanScenario(field, '1', 'orange', 'internal', 'Orange LAN: internal URL'));
  add(await lanScenario(field, '2', 'free', 'external-hairpin', 'Free LAN: external URL through the hairpin'));
  add(await cellularScenario(field, '3', 'Cellular, resolver passes private answers', SERVICES.resolver, 'reject'));
  add(
    await cellularScenario(
      field,
      '4',
      'Cellular, resolver filters private answers',
      SERVICES.filteringResolver,
      'reject',
    ),
  );
  add(await cellularScenario(field, '5', 'Cellular, RFC 1918 silently dropped', SERVICES.resolver, 'drop'));
  for (const r of await roamingScenarios(field)) add(r);
  add(await thirdBoxScenario(field));
  add(await browserScenario(field, '9a', 'orange', true));
  add(await browserScenario(field, '9b', 'free', false));
  add(await browserScenario(field, '9c', 'orange', false));
  add(await relayCostScenario(field));
  for (const r of await ipv6Scenarios(field)) add(r);
  // Before row 10, which moves the Orange node.
  for (const r of await outageScenarios(field, LAB_OUTAGE_MS)) add(r);
  add(await dhcpScenario(field));
  return rows;
}
