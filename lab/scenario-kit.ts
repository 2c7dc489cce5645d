// What every lab scenario file shares: the row and check types, running the client on a phone, the
// checks most rows make. The scenario files import it, and none imports another's helpers.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Field } from './field.ts';
import { ROOT } from './internet.ts';
import type { ClientResult, ClientRun, Measure } from './phone.ts';
import type { PhoneBrowser } from './phone-browser.ts';
import { type BoxKey, type BoxPlan, NODE_PORT, SERVICES } from './plan.ts';
import { inNs } from './shell.ts';

export const RACE_DELAY_MS = 250;
/** The lab's re-probe schedule: first after 500 ms, doubling up to 1 s (production: 30 s → 10 min). */
export const REPROBE = { initialMs: 500, maxMs: 1_000 } as const;
const TRANSFER_BYTES = 10_000_000;

export interface Check {
  what: string;
  ok: boolean;
  saw: string;
}

export interface ScenarioRow {
  id: string;
  title: string;
  where: string;
  /** The URL the client started from (the pairing URL), and its kind. */
  url: string;
  pairing: string;
  calls: { ok: number; failed: number };
  switches: string[];
  firstGoodMs: number | null;
  oracleMs: number | null;
  transfer: { chosen: Measure | null; other: Measure | null };
  checks: Check[];
  notes: string[];
  passed: boolean;
  /** The outage rows' own figures (lab/scenarios-outage.ts), shown in a table of their own. */
  outage?: OutageFigures;
}

export function check(what: string, ok: boolean, saw: string): Check {
  return { what, ok, saw };
}

/**
 * Run one of the lab's scripts (`lab/phone.ts`, `lab/browser.ts`, …) in a namespace, trusting the
 * lab's CA, and read the JSON it prints on its last line.
 */
export async function labScript<T>(
  field: Field,
  ns: string,
  script: string,
  args: string[],
  timeoutMs = 60_000,
): Promise<T> {
  const out = await inNs(
    ns,
    'env',
    [`NODE_EXTRA_CA_CERTS=${field.internet.trustFile}`, process.execPath, join(ROOT, script), ...args],
    { timeoutMs },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!) as T;
}

export const phone = <T>(field: Field, ns: string, args: string[], timeoutMs = 60_000) =>
  labScript<T>(field, ns, 'lab/phone.ts', args, timeoutMs);

/** What the node's agent keeps in its state file (agent-state.json), as the rows read it. */
export async function agentState<T>(field: Field, key: BoxKey): Promise<T> {
  return JSON.parse(await readFile(join(field.dir, `agent-${key}`, 'agent-state.json'), 'utf8')) as T;
}

export const origin = (url: string) => new URL(url).origin;
/** The client's relay origin, where pairing handed the node a relay name. */
export const relayOption = (pairing: { relayUrl?: string | null | undefined }) =>
  pairing.relayUrl ? { relayOrigin: origin(pairing.relayUrl) } : {};
export const host = (url: string | null | undefined) => (url ? new URL(url).hostname : '—');

/** Chromium on a box's phone, for the app of the box's node as pairing handed it out. */
export function phoneBrowser(field: Field, b: BoxPlan): PhoneBrowser {
  const pairing = field.nodes[b.key].pairing;
  return {
    appOrigin: field.internet.appOrigin(b.node.licence),
    mountPoint: pairing.url,
    ...relayOption(pairing),
    spki: field.internet.spkiHashes,
    publicEndpoints: [`${SERVICES.apps}:443`, `${b.wan.box}:${NODE_PORT}`, `${SERVICES.manager}:443`],
  };
}

export function clientRun(mountPoint: string, extra: Partial<ClientRun> = {}): string {
  return JSON.stringify({
    mountPoint,
    calls: 10,
    intervalMs: 20,
    raceDelayMs: RACE_DELAY_MS,
    reprobe: REPROBE,
    ...extra,
  } satisfies ClientRun);
}

export function row(
  base: Omit<ScenarioRow, 'passed' | 'calls' | 'switches' | 'firstGoodMs'>,
  result: ClientResult,
): ScenarioRow {
  const ok = result.calls.filter((c) => c.ok).length;
  return {
    ...base,
    calls: { ok, failed: result.calls.length - ok },
    switches: result.switches.map((s) => `${s.reason}→${host(s.to)}`),
    firstGoodMs: result.firstGoodMs,
    passed: base.checks.every((c) => c.ok),
  };
}

/** 10 MB over the chosen origin and over the other one, each from a fresh process. */
export async function transfers(field: Field, ns: string, chosen: string, other: string) {
  const chosenTransfer = await phone<Measure>(field, ns, ['transfer', chosen, String(TRANSFER_BYTES)]);
  const otherTransfer = await phone<Measure>(field, ns, ['transfer', other, String(TRANSFER_BYTES)]);
  return { chosen: chosenTransfer, other: otherTransfer };
}

export const failuresSeen = (result: ClientResult) =>
  result.failures.map((f) => `${f.what} at ${f.at - result.startedAt} ms`).join(', ');

export function served(result: ClientResult, expected: string): boolean {
  return result.calls.every((c) => !c.ok || c.origin === expected);
}

/** The check most rows make: every call of the session succeeded. */
export function everyCallSucceeds(result: ClientResult, what = 'every call succeeds'): Check {
  const ok = result.calls.filter((c) => c.ok).length;
  return check(what, ok === result.calls.length, `${ok}/${result.calls.length}`);
}

/** Every successful call was answered by `expected`; the hosts seen otherwise. */
export function servedBy(result: ClientResult, expected: string, what: string): Check {
  return check(what, served(result, expected), [...new Set(result.calls.map((c) => host(c.origin)))].join(','));
}

export function sibling(url: string): string {
  const u = new URL(url);
  u.hostname = u.hostname.startsWith('i-') ? u.hostname.slice(2) : `i-${u.hostname}`;
  return u.origin;
}

/** The outage rows' figures, as their own table shows them. */
export interface OutageFigures {
  box: string;
  runtime: string;
  /** Calls (or answers) during the outage, ok/failed. */
  during: string;
  kept: string;
  reload: string;
  userSaw: string;
  back: string;
  /**
   * The floors for this row, shown in the outage table: met or not. A floor the code
   * meets today is also among the row's checks, so that it stays met.
   */
  floors: Check[];
}
