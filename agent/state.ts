// What the running agent last saw and did, kept in a file beside the certificate so that
// `hairpin agent status` (another process) can show it.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { NodeAddresses } from './addresses.ts';
import { writeFileAtomic } from './cert/files.ts';
import type { PairingDecision } from './pairing.ts';

export interface LastReport {
  at: string;
  ok: boolean;
  /** Zone serial after the report, when it went through. */
  serial?: number;
  changed?: boolean;
  error?: string;
}

export interface AgentState {
  addresses?: NodeAddresses;
  /** The public IPv4 the manager holds for the node (what the external name points at). */
  publicIpv4?: string | null;
  lastReport?: LastReport;
  /** The last successful report (what the manager publishes now). */
  lastGoodReport?: LastReport;
  pairing?: Omit<PairingDecision, 'probe'>;
  /** The node's last change of private address, while it matters to the pairing decision. */
  addressChange?: { from: string; to: string; at: string };
  /** The TTL of the internal name's address records, as the manager served it at the last decision. */
  addressTtl?: number;
  /** What the last probe report sent said: the next one goes only when this changes, or daily. */
  lastProbeReport?: { at: string; verdict: string; resolver: string; hairpins: boolean; serveStale?: string };
}

export function statePath(certDir: string): string {
  return join(certDir, 'agent-state.json');
}

export async function readState(certDir: string): Promise<AgentState> {
  return readFile(statePath(certDir), 'utf8').then(
    (t) => JSON.parse(t) as AgentState,
    () => ({}),
  );
}

/**
 * The state to write, given what the file holds now: another process (the installer's `hairpin
 * agent pairing-url`, beside the running agent) may have decided the pairing or sent a probe
 * report since this one read it. Those parts go to the newer copy, by their own time; the rest is
 * this process's (it reports the addresses). Without it the running agent's next write put back
 * the decision it made at start, and `hairpin agent status` showed that one.
 */
export function keepNewerDecision(mine: AgentState, onDisk: AgentState): AgentState {
  const newer = (a: string | undefined, b: string | undefined) =>
    b !== undefined && (a === undefined || Date.parse(b) > Date.parse(a));
  const merged = { ...mine };
  if (newer(mine.pairing?.decidedAt, onDisk.pairing?.decidedAt)) {
    merged.pairing = onDisk.pairing;
    // Read from the manager's answer by that same decision.
    if (onDisk.addressTtl !== undefined) merged.addressTtl = onDisk.addressTtl;
  }
  if (newer(mine.lastProbeReport?.at, onDisk.lastProbeReport?.at)) merged.lastProbeReport = onDisk.lastProbeReport;
  return merged;
}

export async function writeState(certDir: string, state: AgentState): Promise<void> {
  await writeFileAtomic(statePath(certDir), `${JSON.stringify(state, null, 2)}\n`, 0o644);
}
