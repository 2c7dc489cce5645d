// One argument-handling path for every `hairpin <command>`: options parsed strictly, -h/--help
// with examples and exit codes, usage errors as one line and the usage (exit 2), failures as one
// line (exit 1), never a stack trace (HAIRPIN_DEBUG=1 prints it).
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';

type Values<O extends ParseArgsOptionsConfig> = ReturnType<
  typeof parseArgs<{ options: O; allowPositionals: true; strict: true }>
>['values'];

export type Parsed<O extends ParseArgsOptionsConfig> = { values: Values<O>; positionals: string[] };

export interface Command<O extends ParseArgsOptionsConfig = ParseArgsOptionsConfig> {
  /** The synopsis and what the command does (without examples and exit codes). */
  usage: string;
  examples: string[];
  /** Exit codes besides 0 (done), 1 (failed) and 2 (usage). */
  exitCodes?: string[];
  options: O;
  run(parsed: Parsed<O>): Promise<number>;
}

/** A command with its options' types inferred from their declaration. */
export function defineCommand<const O extends ParseArgsOptionsConfig>(command: Command<O>): Command<O> {
  return command;
}

/** Bad usage: the message is one line, the usage follows it, the exit code is 2. */
export class UsageError extends Error {
  static readonly code = 'ERR_USAGE';
  readonly code = UsageError.code;
}

/** A manager (or other server) that could not be reached: one line, exit 1. */
export class UnreachableError extends Error {
  static readonly code = 'ERR_UNREACHABLE';
  readonly code = UnreachableError.code;
}

// biome-ignore lint/suspicious/noExplicitAny: help is read from any command, whatever its options' type
export function helpText(name: string, command: Command<any>): string {
  const exits = ['0  done', '1  failed (the reason on stderr)', '2  bad usage', ...(command.exitCodes ?? [])];
  return `${command.usage}\n\nExamples:\n${command.examples.map((e) => `  ${e}`).join('\n')}\n\nExit codes:\n${exits.map((e) => `  ${e}`).join('\n')}\n\n-h, --help prints this.`.replace(
    /^usage: hairpin \S+/,
    `usage: hairpin ${name}`,
  );
}

const NETWORK_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'name resolution failed',
  ETIMEDOUT: 'timed out',
  UND_ERR_CONNECT_TIMEOUT: 'timed out',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'connection closed',
};

/**
 * fetch() to `url`, a failure to connect named in words: "cannot reach the manager at
 * http://127.0.0.1:8787: connection refused" rather than "fetch failed" and a cause chain.
 */
export async function fetchOrExplain(url: URL, init: RequestInit, what = 'the manager'): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const reason = (cause?.code && NETWORK_ERRORS[cause.code]) ?? cause?.message ?? (e as Error).message;
    throw new UnreachableError(`cannot reach ${what} at ${url.origin}: ${reason}`);
  }
}

/** The manager's URL: the flag, HAIRPIN_MANAGER_URL, or the local manager on HAIRPIN_HTTP_PORT. */
export function managerUrl(flag: string | undefined, env: NodeJS.ProcessEnv): string {
  return flag ?? env.HAIRPIN_MANAGER_URL ?? `http://127.0.0.1:${env.HAIRPIN_HTTP_PORT || '8787'}`;
}

/**
 * Parse and run; every outcome is an exit code.
 *
 * ```ts
 * process.exitCode = await runCommand('admin', adminCommand, ['enrol', '1234', 'nur1']);
 * ```
 */
export async function runCommand<O extends ParseArgsOptionsConfig>(
  name: string,
  command: Command<O>,
  argv: string[],
): Promise<number> {
  const usage = () => helpText(name, command);
  try {
    let parsed: Parsed<O> & { values: { help?: boolean } };
    try {
      parsed = parseArgs({
        args: argv,
        options: { ...command.options, help: { type: 'boolean', short: 'h' } },
        allowPositionals: true,
        strict: true,
      }) as typeof parsed;
    } catch (e) {
      // node:util's messages are one line and name the option; drop the "To specify a positional…" tail.
      throw new UsageError((e as Error).message.split('. To specify')[0]!.replace(/\n.*/s, ''));
    }
    if (parsed.values.help) {
      console.log(usage());
      return 0;
    }
    return await command.run(parsed);
  } catch (e) {
    if (process.env.HAIRPIN_DEBUG) console.error(e);
    if (e instanceof UsageError) {
      console.error(`hairpin ${name}: ${e.message}\n\n${usage()}`);
      return 2;
    }
    console.error(`hairpin ${name}: ${(e as Error).message.split('\n')[0]}`);
    return 1;
  }
}
