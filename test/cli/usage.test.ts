// Every command through the one argument path: bad flags exit 2 with one line and the usage,
// never a stack trace; -h/--help exit 0 with examples and exit codes; --version; the manager's
// settings as flags and from a config file; connection failures named in one line.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestManager } from '../support/manager.ts';
import { freePort } from '../support/net.ts';
import { spawnManager } from '../support/process.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'hairpin-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function hairpin(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      `${root}node_modules/.bin/node`,
      [`${root}bin/hairpin.js`, ...args],
      {
        timeout: 90_000,
        env: { PATH: process.env.PATH, HOME: dir, ...env },
        cwd: dir,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const failed = e as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const NO_STACK = /^\s+at |Error:|ERR_PARSE_ARGS/m;

describe('hairpin', () => {
  it('--version, -h, and no or an unknown command', async () => {
    const version = await hairpin(['--version']);
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^hairpin \d+\.\d+\.\d+\n$/) });
    for (const help of ['-h', '--help']) {
      const shown = await hairpin([help]);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/Examples:[\s\S]*Exit codes:/);
    }
    for (const args of [[], ['bogus']]) {
      const bad = await hairpin(args);
      expect(bad.code).toBe(2);
      expect(bad.stderr.split('\n')[0]).toMatch(/^hairpin: (no command given|unknown command "bogus")$/);
    }
  });

  it('every command: a bad flag exits 2 with one line and the usage, -h exits 0 with examples and exit codes', async () => {
    const commands = [...(await hairpin(['--help'])).stdout.matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1]!);
    expect(commands).toEqual(['manager', 'admin', 'agent', 'probe', 'zonefile', 'lab']);
    // Commands side by side (each a process start, seconds on a loaded machine), checks in order.
    await Promise.all(
      commands.map(async (command) => {
        const bad = await hairpin([command, '--bogus']);
        expect(bad.code, command).toBe(2);
        expect(bad.stderr, command).not.toMatch(NO_STACK);
        const [first, blank, usage] = bad.stderr.split('\n');
        expect(first, command).toBe(`hairpin ${command}: Unknown option '--bogus'`);
        expect(blank).toBe('');
        expect(usage, command).toMatch(new RegExp(`^usage: hairpin ${command}`));
        for (const help of ['-h', '--help']) {
          const shown = await hairpin([command, help]);
          expect(shown.code, `${command} ${help}`).toBe(0);
          expect(shown.stdout, command).toMatch(/\nExamples:\n {2}\S[\s\S]*\nExit codes:\n {2}0 /);
        }
      }),
    );
  }, 180_000);

  it('bad arguments and settings exit 2 too, without a stack trace', async () => {
    await Promise.all(
      [
        ['admin'],
        ['admin', 'enrol', '1234'],
        ['admin', 'frobnicate'],
        ['agent'],
        ['agent', 'status'],
        ['probe'],
        ['probe', '--timeout', 'soon', 'x.example.test'],
        ['lab', 'sideways'],
        ['zonefile', 'extra'],
        ['manager', '--http-port', 'eighty', '--db', ':memory:'],
        ['manager', 'now'],
      ].map(async (args) => {
        const bad = await hairpin(args, { HAIRPIN_ADMIN_TOKEN: 'x' });
        expect(bad.code, args.join(' ')).toBe(2);
        expect(bad.stderr, args.join(' ')).not.toMatch(NO_STACK);
        expect(bad.stderr).toMatch(/^hairpin \w+: .+\n\nusage: /);
      }),
    );
  }, 180_000);

  it('names a manager it cannot reach in one line, found from HAIRPIN_HTTP_PORT', async () => {
    const port = await freePort();
    const refused = await hairpin(['admin', 'licences'], { HAIRPIN_ADMIN_TOKEN: 'x', HAIRPIN_HTTP_PORT: String(port) });
    expect(refused).toMatchObject({
      code: 1,
      stderr: `hairpin admin: cannot reach the manager at http://127.0.0.1:${port}: connection refused\n`,
    });
  });

  it('admin finds the manager from HAIRPIN_HTTP_PORT and prints dates as ISO 8601', async () => {
    const manager = await startTestManager();
    try {
      await manager.enrol('1234', 'nur1');
      const env = { HAIRPIN_ADMIN_TOKEN: ADMIN_TOKEN, HAIRPIN_HTTP_PORT: String(manager.http.port) };
      for (const args of [['licences'], ['nodes', '1234']]) {
        const listed = await hairpin(['admin', ...args], env);
        expect(listed.code, listed.stderr).toBe(0);
        const dates = [...listed.stdout.matchAll(/"\w+At": ("[^"]*"|\d+)/g)].map((m) => m[1]!);
        expect(dates.length, listed.stdout).toBeGreaterThan(0);
        for (const date of dates) expect(date).toMatch(/^"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$/);
      }
    } finally {
      await manager.close();
    }
  });
});

describe('hairpin manager settings', () => {
  it('takes flags, a config file, and the environment: flag over environment over file', async () => {
    const [filePort, envPort, flagPort] = [await freePort(), await freePort(), await freePort()];
    const file = join(dir, 'manager.env');
    writeFileSync(
      file,
      `# a comment\nHAIRPIN_ZONE="file.example"\nHAIRPIN_HTTP_PORT=${filePort}\nHAIRPIN_DB=:memory:\nHAIRPIN_ADMIN_TOKEN='from-file'\n`,
    );
    // File alone: its zone and port.
    const fromFile = await spawnManager({ HAIRPIN_CONFIG: file, HAIRPIN_HTTP_PORT: '' }, filePort).catch(
      () => undefined,
    );
    try {
      expect(fromFile).toBeDefined();
      expect(await (await fetch(`${fromFile!.url}/health`)).json()).toMatchObject({ zone: 'file.example' });
    } finally {
      await fromFile?.stop();
    }
    // The environment over the file, a flag over the environment.
    const both = await spawnManager(
      { HAIRPIN_CONFIG: file, HAIRPIN_HTTP_PORT: String(envPort), HAIRPIN_ZONE: 'env.example' },
      envPort,
    );
    try {
      expect(await (await fetch(`${both.url}/health`)).json()).toMatchObject({ zone: 'env.example' });
    } finally {
      await both.stop();
    }
    const flagged = await spawnManager({ HAIRPIN_CONFIG: file, HAIRPIN_HTTP_PORT: String(envPort) }, flagPort, [
      '--http-port',
      String(flagPort),
      '--zone',
      'flag.example',
    ]);
    try {
      expect(await (await fetch(`${flagged.url}/health`)).json()).toMatchObject({ zone: 'flag.example' });
    } finally {
      await flagged.stop();
    }
  }, 180_000);

  it('rejects an unknown setting in the file, naming the line', async () => {
    const file = join(dir, 'typo.env');
    writeFileSync(file, 'HAIRPIN_ZONE=example.net\nHAIRPIN_HTTP_PROT=9000\n');
    const bad = await hairpin(['manager'], { HAIRPIN_CONFIG: file });
    expect(bad.code).toBe(2);
    expect(bad.stderr.split('\n')[0]).toBe(`hairpin manager: ${file}:2: unknown setting HAIRPIN_HTTP_PROT`);
  });
});
