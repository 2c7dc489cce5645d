// Tables in the docs that list the code's vocabulary are checked against the code, row by row,
// so they cannot go stale: add a verdict and the docs test fails until the table says what it means.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERDICT_CODES, VERDICT_INFO } from '../../probe/verdicts.ts';
import { HTTP_LIMIT_VARIABLES } from '../../worker/adapter/node/http-limits.ts';

const ROOT = join(import.meta.dirname, '../..');

/** The body rows of the Markdown table that follows `heading`, as cells, backticks removed. */
export function tableRows(file: string, heading: string): string[][] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const start = text.indexOf(heading);
  if (start < 0) throw new Error(`${file}: no "${heading}"`);
  const lines = text.slice(start).split('\n').slice(1);
  const first = lines.findIndex((l) => l.startsWith('|'));
  const table = lines.slice(first, lines.findIndex((l, i) => i > first && !l.startsWith('|')));
  return table.slice(2).map((row) => row.split('|').slice(1, -1).map((cell) => cell.trim().replace(/`/g, '')));
}

/** The first column of the Markdown table that follows `heading`, backticks removed. */
export function firstColumn(file: string, heading: string): string[] {
  return tableRows(file, heading).map((row) => row[0]!);
}

describe('docs tables', () => {
  it('docs/probe.md lists every verdict of probe/verdicts.ts, in its order', () => {
    expect(firstColumn('docs/probe.md', '## Verdicts')).toEqual(VERDICT_CODES);
  });

  it('docs/manager.md lists every HTTP limit of the Node entry, in its order, with its default', () => {
    const text = readFileSync(join(ROOT, 'docs/manager.md'), 'utf8');
    expect(firstColumn('docs/manager.md', '## HTTP limits')).toEqual(Object.values(HTTP_LIMIT_VARIABLES).map(([name]) => name));
    for (const [name, fallback] of Object.values(HTTP_LIMIT_VARIABLES)) expect(text).toContain(`| \`${name}\` | ${fallback} |`);
  });

  it('docs/probe.md says, per verdict, what probe/verdicts.ts says: meaning, evidence, what support does', () => {
    const rows = tableRows('docs/probe.md', '## Verdicts');
    expect(rows).toEqual(VERDICT_CODES.map((code) => [code, VERDICT_INFO[code].meaning, VERDICT_INFO[code].evidence, VERDICT_INFO[code].action]));
  });
});
