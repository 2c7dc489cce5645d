// The manager's settings list is the one the code reads: every HAIRPIN_* variable in worker/ is a
// flag and a config-file key; the file format is the one systemd's EnvironmentFile= reads.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { flagName, MANAGER_VARIABLES, parseSettingsFile, variableName } from './settings.ts';

const worker = fileURLToPath(new URL('../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

describe('manager settings', () => {
  it('lists every HAIRPIN_* variable the manager reads', () => {
    const read = new Set(
      sources(worker).flatMap((f) =>
        [...readFileSync(f, 'utf8').matchAll(/\bHAIRPIN_[A-Z0-9_]*[A-Z0-9]\b/g)].map((m) => m[0]),
      ),
    );
    // HAIRPIN_CONFIG names the file itself, so it is no key of it.
    const listed = new Set<string>([...MANAGER_VARIABLES, 'HAIRPIN_CONFIG']);
    expect([...read].filter((v) => !listed.has(v)).sort()).toEqual([]);
  });

  it('maps variables to flags and back', () => {
    for (const v of MANAGER_VARIABLES) expect(variableName(flagName(v))).toBe(v);
    expect(flagName('HAIRPIN_HTTP_PORT')).toBe('http-port');
  });

  it('reads KEY=VALUE lines, comments and quotes; rejects what it does not know', () => {
    expect(
      parseSettingsFile(
        '# zone\nHAIRPIN_ZONE = example.net\n\nHAIRPIN_ADMIN_TOKEN="a b#c"\nHAIRPIN_DB=\'/var/lib/h.sqlite\'\n',
        'f',
      ),
    ).toEqual({
      HAIRPIN_ZONE: 'example.net',
      HAIRPIN_ADMIN_TOKEN: 'a b#c',
      HAIRPIN_DB: '/var/lib/h.sqlite',
    });
    expect(() => parseSettingsFile('HAIRPIN_ZONE=x\nHAIRPIN_NOPE=1\n', 'f')).toThrow(
      'f:2: unknown setting HAIRPIN_NOPE',
    );
    expect(() => parseSettingsFile('zone: x\n', 'f')).toThrow('f:1: expected KEY=VALUE');
  });
});
