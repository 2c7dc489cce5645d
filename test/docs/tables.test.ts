// Tables in the docs that list the code's vocabulary are checked against the code, row by row,
// so they cannot go stale: add a verdict, a problem type, a variable or an agent setting and the
// docs test fails until the docs say what it means.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../../agent/config.ts';
import { PROBLEMS } from '../../contract/problem.ts';
import { VERDICT_CODES, VERDICT_INFO } from '../../contract/verdicts.ts';
import { STALE_INFO, STALE_OUTCOMES } from '../../probe/serve-stale.ts';
import { HTTP_LIMIT_VARIABLES } from '../../worker/adapter/node/http-limits.ts';

const ROOT = join(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

/** The body rows of the Markdown table that follows `heading`, as cells, backticks removed. */
export function tableRows(file: string, heading: string): string[][] {
  const text = read(file);
  const start = text.indexOf(heading);
  if (start < 0) throw new Error(`${file}: no "${heading}"`);
  const lines = text.slice(start).split('\n').slice(1);
  const first = lines.findIndex((l) => l.startsWith('|'));
  const end = lines.findIndex((l, i) => i > first && !l.startsWith('|'));
  return lines.slice(first + 2, end < 0 ? undefined : end).map((row) =>
    row
      .split('|')
      .slice(1, -1)
      .map((cell) => cell.trim().replace(/`/g, '')),
  );
}

/** The first column of the Markdown table that follows `heading`, backticks removed. */
export function firstColumn(file: string, heading: string): string[] {
  return tableRows(file, heading).map((row) => row[0]!);
}

const listed = (...patterns: string[]) =>
  execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', ...patterns], {
    cwd: ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter(Boolean);

const variables = (text: string) => new Set(text.match(/\bHAIRPIN_[A-Z0-9]+(?:_[A-Z0-9]+)*\b/g));

describe('docs tables', () => {
  it('docs/probe.md lists every verdict of contract/verdicts.ts, in its order', () => {
    expect(firstColumn('docs/probe.md', '## Verdicts')).toEqual(VERDICT_CODES);
  });

  it('docs/manager.md lists every HTTP limit of the Node entry, in its order, with its default', () => {
    const text = read('docs/manager.md');
    expect(firstColumn('docs/manager.md', '## HTTP limits')).toEqual(
      Object.values(HTTP_LIMIT_VARIABLES).map(([name]) => name),
    );
    for (const [name, fallback] of Object.values(HTTP_LIMIT_VARIABLES))
      expect(text).toContain(`| \`${name}\` | ${fallback} |`);
  });

  it('docs/probe.md says, per verdict, what contract/verdicts.ts says: meaning, evidence, what support does', () => {
    const rows = tableRows('docs/probe.md', '## Verdicts');
    expect(rows).toEqual(
      VERDICT_CODES.map((code) => [
        code,
        VERDICT_INFO[code].meaning,
        VERDICT_INFO[code].evidence,
        VERDICT_INFO[code].action,
      ]),
    );
  });

  it('docs/probe.md says, per serve-stale outcome, what probe/serve-stale.ts says', () => {
    expect(tableRows('docs/probe.md', '## Serve-stale')).toEqual(
      STALE_OUTCOMES.map((code) => [code, STALE_INFO[code].meaning, STALE_INFO[code].evidence]),
    );
  });

  it('docs/manager.md lists every problem type of contract/problem.ts, with its status and title', () => {
    const rows = tableRows('docs/manager.md', 'answer `misdirected-request` and `origin-not-allowed`');
    expect(rows).toEqual(Object.entries(PROBLEMS).map(([code, [status, title]]) => [code, String(status), title]));
  });

  it('every HAIRPIN_* variable the code reads is documented, and the docs name no other', () => {
    const code = new Set(
      listed('worker/*.ts', 'cli/*.ts', 'agent/*.ts', 'probe/*.ts', 'lab/*.ts', 'relay/*.ts')
        .filter((f) => !f.endsWith('.test.ts'))
        .flatMap((f) => [...variables(read(f))]),
    );
    const docs = new Set(listed('README.md', 'docs/*.md').flatMap((f) => [...variables(read(f))]));
    // The agent reads HAIRPIN_AGENT_<KEY> for each configuration key (agent/config.ts, envName).
    const agentKeys = new Set(
      CONFIG_KEYS.map((k) => `HAIRPIN_AGENT_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`),
    );
    expect([...code].filter((v) => !docs.has(v) && !agentKeys.has(v)).sort()).toEqual([]);
    // Tests read a few of their own (HAIRPIN_SCREENSHOTS): the docs may name those too.
    const anywhere = new Set([...code, ...listed('*.ts').flatMap((f) => [...variables(read(f))])]);
    expect([...docs].filter((v) => !anywhere.has(v) && !agentKeys.has(v)).sort()).toEqual([]);
  });

  it('docs/agent.md lists every key of the agent configuration', () => {
    const keys = tableRows('docs/agent.md', 'variables, which win').flatMap((row) => row[0]!.split(/,\s*/));
    expect(keys.sort()).toEqual([...CONFIG_KEYS].sort());
  });
});
