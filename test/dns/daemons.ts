// Real DNS servers and resolvers for tests and the benchmark: each gets its own config in a temp
// dir and its own loopback port, runs in the foreground, and is killed by whoever started it.
import { type ChildProcess, spawn } from 'node:child_process';
import { encodeMessage } from '../../dns/message.ts';
import { query, udpExchange } from './wire-client.ts';

export interface Daemon {
  process: ChildProcess;
  port: number;
  /** What it wrote so far, for the failure message when it does not come up. */
  output(): string;
  stop(): Promise<void>;
}

// Still imported from here by test/probe/resolvers.ts; the helper lives in test/support/net.ts.

/**
 * Start `command` and wait until it answers a UDP query for `probeName` on `port` (any answer:
 * even REFUSED means it is listening), or until `ready` says so for a server that is not DNS.
 *
 * ```ts
 * const knot = await startDaemon('knotd', ['-c', conf], { port, probeName: 'example.test' });
 * await knot.stop();
 * ```
 */
export async function startDaemon(
  command: string,
  args: string[],
  options: {
    port: number;
    probeName: string;
    timeoutMs?: number;
    env?: Record<string, string>;
    ready?: () => Promise<boolean>;
  },
): Promise<Daemon> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  child.once('error', (e) => {
    output += `\n${e.message}`;
  });
  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exit;
      clearTimeout(timer);
    }
  };
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  const probe = encodeMessage(query(options.probeName, 'SOA'));
  const ready = options.ready ?? (async () => (await udpExchange(options.port, probe, 200)) !== undefined);
  while (Date.now() < deadline && !exited) {
    if (await ready()) return { process: child, port: options.port, output: () => output, stop };
  }
  await stop();
  throw new Error(`${command} did not come up on port ${options.port}:\n${output}`);
}
