// docs/operations.md's tables are checked against the code: the dyndns2 answers and the metrics.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Metrics } from '../../worker/metrics.ts';
import { DYNDNS_ANSWERS } from '../../worker/routes/dyndns.ts';

const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');

/** The first column of the table whose header row starts with `| <first> |`. */
function firstColumn(first: string): string[] {
  const lines = doc.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`| ${first} |`));
  expect(start, `a table headed "${first}" in docs/operations.md`).toBeGreaterThanOrEqual(0);
  const rows: string[] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(/^\|\s*`([^`\s]+)/.exec(line)![1]!);
  }
  return rows;
}

describe('docs/operations.md', () => {
  it('lists every dyndns2 answer the route gives, and no other', () => {
    expect(firstColumn('answer').sort()).toEqual(Object.keys(DYNDNS_ANSWERS).sort());
  });

  it('lists every metric /metrics renders, and no other', () => {
    const rendered = new Set([...new Metrics(Date.now).render().matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]!));
    expect(firstColumn('metric').sort()).toEqual([...rendered].sort());
  });
});
