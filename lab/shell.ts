// Commands inside the lab's namespaces. Everything the lab runs goes through here, so that every
// process it starts is known by its id and can be ended on the way out, also on failure or Ctrl-C.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';

/** The prefix of every namespace the lab makes; `hairpin lab down` removes whatever carries it. */
export const PREFIX = 'hp-';

export class LabCommandError extends Error {
  readonly code = 'ERR_LAB_COMMAND';
}

/**
 * Run a program to completion (bounded in time) and return its standard output.
 *
 * ```ts
 * await sh('ip', ['netns', 'add', 'hp-inet']);
 * ```
 */
export function sh(
  program: string,
  args: string[],
  options: { input?: string; timeoutMs?: number; allowFail?: boolean } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      program,
      args,
      { timeout: options.timeoutMs ?? 20_000, maxBuffer: 16 << 20, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error && !options.allowFail)
          reject(new LabCommandError(`${program} ${args.join(' ')}: ${stderr.trim() || error.message}`));
        else resolve(stdout);
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Run a program inside a namespace (`ip netns exec` also bind-mounts /etc/netns/<ns>/resolv.conf). */
export function inNs(
  ns: string,
  program: string,
  args: string[],
  options: { input?: string; timeoutMs?: number; allowFail?: boolean } = {},
): Promise<string> {
  return sh('ip', ['netns', 'exec', ns, program, ...args], options);
}

/** `ip -n <ns> -batch -`: one process per namespace instead of one per command. */
export async function ipBatch(ns: string, lines: string[]): Promise<void> {
  await sh('ip', ['-n', ns, '-batch', '-'], { input: `${lines.join('\n')}\n` });
}

export async function sysctl(ns: string, settings: Record<string, string>): Promise<void> {
  await inNs(ns, 'sysctl', ['-q', ...Object.entries(settings).map(([k, v]) => `${k}=${v}`)]);
}

/** A veth pair made straight inside its two namespaces (nothing appears in the host's). */
export async function veth(a: { ns: string; name: string }, b: { ns: string; name: string }): Promise<void> {
  await sh('ip', ['link', 'add', a.name, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.name, 'netns', b.ns]);
}

/** Processes the lab started, ended by their id (process group) when the lab goes down. */
const started = new Set<ChildProcess>();
/**
 * Set by a Ctrl-C during a run: no daemon starts and no wait goes on after it, so the bring-up
 * or the scenarios unwind at their next step and the tear-down then sees everything they made.
 */
let interruptedBy: NodeJS.Signals | undefined;

export function setInterrupted(signal: NodeJS.Signals | undefined): void {
  interruptedBy = signal;
}

export function interrupted(): boolean {
  return interruptedBy !== undefined;
}

function refuseIfInterrupted(what: string): void {
  if (interruptedBy) throw new LabCommandError(`${interruptedBy}: the lab is going down, not ${what}`);
}
const stopping = new WeakSet<ChildProcess>();
/** Daemons that ended while the lab still needed them: something outside the lab ended them. */
const lost: string[] = [];

export interface Daemon {
  child: ChildProcess;
  /** Ends the process group: SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
}

/**
 * Start a long-running program in a namespace, its output appended to a log file.
 *
 * ```ts
 * const resolver = startDaemon('hp-inet', 'unbound', ['-d', '-c', conf], '/tmp/hp-lab/unbound.log');
 * await resolver.stop();
 * ```
 */
export function startDaemon(
  ns: string,
  program: string,
  args: string[],
  log: string,
  env: NodeJS.ProcessEnv = process.env,
): Daemon {
  refuseIfInterrupted(`starting ${program}`);
  const fd = openSync(log, 'a');
  const child = spawn('ip', ['netns', 'exec', ns, program, ...args], {
    stdio: ['ignore', fd, fd],
    detached: true,
    env,
  });
  closeSync(fd);
  started.add(child);
  child.once('exit', (code, signal) => {
    started.delete(child);
    if (!stopping.has(child)) lost.push(`${program} in ${ns} (log ${log}) exited early: ${signal ?? `code ${code}`}`);
  });
  return { child, stop: () => stopChild(child) };
}

function stopChild(child: ChildProcess, graceMs = 2_000): Promise<void> {
  stopping.add(child);
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => signal(child, 'SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    signal(child, 'SIGTERM');
  });
}

function signal(child: ChildProcess, name: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, name); // the group: `ip netns exec` execs the program, which may fork
  } catch {
    /* already gone */
  }
}

/** The daemons that ended before the lab stopped them (a crash, or a kill from outside the lab). */
export function lostDaemons(): readonly string[] {
  return lost;
}

/** End every process this lab run started, by id. */
export async function stopAll(): Promise<void> {
  await Promise.all([...started].map((child) => stopChild(child)));
}

/** Leave the started processes running after this process exits (`hairpin lab up`); `lab down` ends them. */
export function releaseAll(): void {
  for (const child of started) {
    stopping.add(child);
    child.unref();
  }
  started.clear();
}

/** Wait until `check` resolves true, polling; bounded by `timeoutMs`. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 10_000,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    refuseIfInterrupted(`waiting for ${what}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new LabCommandError(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
