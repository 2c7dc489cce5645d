// The scenario table, as printed by `hairpin lab run` and pasted into docs/lab.md ("The scenarios").
import type { Measure } from './phone.ts';
import type { ResolverBehaviour } from './resolvers.ts';
import type { ScenarioRow } from './scenario-kit.ts';

function transfer(m: Measure | null): string {
  if (!m) return '—';
  if (!m.ok)
    return /TimeoutError/.test(m.error ?? '')
      ? `no answer in ${(m.ms / 1000).toFixed(0)} s`
      : `fails (${(m.error ?? '').replace(/^TypeError: /, '')})`;
  return `${(m.ms / 1000).toFixed(2)} s (${((8 * (m.bytes ?? 0)) / m.ms / 1000).toFixed(0)} Mbit/s)`;
}

function ms(v: number | null): string {
  return v === null ? '—' : `${v} ms`;
}

/**
 * A Markdown table, readable as plain text too.
 *
 * ```ts
 * console.log(formatTable(rows));
 * ```
 */
export function formatTable(rows: readonly ScenarioRow[]): string {
  const header = [
    '#',
    'scenario',
    'URL chosen',
    'calls ok/failed',
    'switches',
    'first good answer (client / oracle)',
    '10 MB chosen path',
    '10 MB other path',
    'result',
  ];
  return markdown(
    header,
    rows.map((r) => [
      r.id,
      r.title,
      `${new URL(r.url).hostname} (${r.pairing})`,
      `${r.calls.ok}/${r.calls.failed}`,
      r.switches.length ? `${r.switches.length}: ${r.switches.map((x) => x.replace(/\.pl-.*$/, '')).join(', ')}` : '0',
      `${ms(r.firstGoodMs)} / ${ms(r.oracleMs)}`,
      transfer(r.transfer.chosen),
      transfer(r.transfer.other),
      r.passed
        ? 'pass'
        : `FAIL: ${r.checks
            .filter((c) => !c.ok)
            .map((c) => `${c.what} (saw ${c.saw})`)
            .join('; ')}`,
    ]),
  );
}

/** The field's resolvers and what each answered for an internal name (measured, not assumed). */
export function formatResolvers(rows: readonly ResolverBehaviour[]): string {
  return markdown(
    ['resolver', 'software', 'answer for i-nur1 (RFC 1918)'],
    rows.map((r) => [
      r.resolver,
      r.software,
      `${r.rcode}${r.addresses.length ? ` ${r.addresses.join(' ')}` : ', no address'}${r.ede ? `, EDE ${r.ede}` : ''}`,
    ]),
  );
}

export function markdown(header: string[], lines: string[][]): string {
  const all = [header, ...lines].map((cells) => cells.map((c) => c.replace(/\|/g, '\\|')));
  const widths = header.map((_, i) => Math.max(...all.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(all[0]!), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...all.slice(1).map(line)].join('\n');
}

/** What each scenario showed beyond the numbers (errors seen, warnings, advice), one line each. */
export function formatNotes(rows: readonly ScenarioRow[]): string {
  return rows.flatMap((r) => r.notes.map((n) => `${r.id}: ${n}`)).join('\n');
}
