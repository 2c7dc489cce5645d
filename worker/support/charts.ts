// The support page's two pictures, drawn on the server as inline SVG (no script): verdict shares
// per ISP per week, and the ISP × resolver grid of outcomes. Both are sized for a phone (a
// viewBox under 400 units wide scales to the column it sits in) and carry their numbers in
// <title> tooltips and data- attributes, so a test reads the same numbers a person hovers.
import { html } from 'hono/html';
import { VERDICT_CODES, type Verdict } from '../../contract/verdicts.ts';
import type { CompatEntry, NetworkCompat, WeeklyCount } from '../store/probe-reports.ts';
import { WEEK_MS } from '../store/probe-reports.ts';
import { type SortKey, type SupportFilters, sortHref, supportHref } from './filters.ts';
import { hairpinShare, networkName, OUTCOME_KEYS, OUTCOMES, type Outcome, outcomeCount, share } from './outcomes.ts';
import { COLOURS, type Html, percent } from './view.ts';

/** Longer names are cut (the full name is in the tooltip) so a row fits a phone. */
function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const n1 = (x: number) => x.toFixed(1);
const isoDay = (at: number) => new Date(at).toISOString().slice(0, 10);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const shortDay = (at: number) => {
  const d = new Date(at);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]}`;
};

// ---- verdict shares per week --------------------------------------------------------------

const W = 360;
const PLOT = { left: 34, right: 354, top: 26, bottom: 118 };
/** Light grey for "every other verdict" when a verdict filter picks one out. */
const REST = '#d6d6d6';

/** One network's weeks: a 100 % stacked column per week, verdicts in the legend's order. */
function weeklyChart(
  network: NetworkCompat,
  weeks: readonly number[],
  counts: ReadonlyMap<number, Partial<Record<Verdict, number>>>,
  picked: Verdict | undefined,
): Html {
  const slot = (PLOT.right - PLOT.left) / weeks.length;
  const barWidth = Math.max(2, slot * 0.78);
  const labelEvery = Math.ceil(weeks.length / 7);
  const height = PLOT.bottom - PLOT.top;
  const name = networkName(network);
  const bars = weeks.map((week, i) => {
    const byVerdict = counts.get(week) ?? {};
    const total = VERDICT_CODES.reduce((sum, v) => sum + (byVerdict[v] ?? 0), 0);
    const x = PLOT.left + i * slot + (slot - barWidth) / 2;
    const label =
      i % labelEvery === 0
        ? html`<text x="${n1(x + barWidth / 2)}" y="132" text-anchor="middle">${shortDay(week)}</text>`
        : '';
    if (total === 0) {
      return html`<g data-week="${isoDay(week)}" data-reports="0"><rect x="${n1(x)}" y="${PLOT.bottom - 1}" width="${n1(barWidth)}" height="1" fill="#bbb"><title>week of ${isoDay(week)}: no reports</title></rect>${label}</g>`;
    }
    // Stack from the bottom; with a verdict picked, it alone is coloured and sits at the bottom.
    const segments: { key: string; count: number; fill: string }[] = picked
      ? [
          { key: picked, count: byVerdict[picked] ?? 0, fill: COLOURS[picked] },
          { key: 'other verdicts', count: total - (byVerdict[picked] ?? 0), fill: REST },
        ]
      : VERDICT_CODES.map((v) => ({ key: v, count: byVerdict[v] ?? 0, fill: COLOURS[v] }));
    const detail = VERDICT_CODES.filter((v) => byVerdict[v])
      .map((v) => `${v} ${byVerdict[v]} (${percent(byVerdict[v]!, total)})`)
      .join(', ');
    let y = PLOT.bottom;
    const rects = segments
      .filter((s) => s.count > 0)
      .map((s) => {
        const h = (s.count / total) * height;
        y -= h;
        return html`<rect data-verdict="${s.key}" data-count="${s.count}" x="${n1(x)}" y="${n1(y)}" width="${n1(barWidth)}" height="${n1(h)}" fill="${s.fill}"></rect>`;
      });
    return html`<g data-week="${isoDay(week)}" data-reports="${total}"><title>${name}, week of ${isoDay(week)}: ${total} report(s) — ${detail}</title>${rects}${label}</g>`;
  });
  const grid = [0, 0.5, 1].map((f) => {
    const y = PLOT.bottom - f * height;
    return html`<line x1="${PLOT.left}" x2="${PLOT.right}" y1="${n1(y)}" y2="${n1(y)}" stroke="#e3e3e3"></line><text x="${PLOT.left - 4}" y="${n1(y + 3)}" text-anchor="end">${f === 0 ? '0' : `${f * 100} %`}</text>`;
  });
  return html`<figure data-network="${network.network}"><svg class="chart" viewBox="0 0 ${W} 140" role="img" aria-label="${name}: verdict shares per week" font-size="10" fill="#444">
<text x="0" y="12" font-size="12" font-weight="bold" fill="#222">${cut(name, 40)}<title>${name}</title></text><text x="${W}" y="12" text-anchor="end">${network.reports} report(s)</text>
${grid}${bars}</svg></figure>`;
}

/** Mondays (epoch ms) from the first to the last, at most MAX_WEEKS of them (the latest). */
export function weekRange(first: number, last: number, max: number): number[] {
  const weeks: number[] = [];
  for (let week = last; week >= first && weeks.length < max; week -= WEEK_MS) weeks.unshift(week);
  return weeks;
}

/** Small multiples, one chart per network, sharing one week axis. */
export function weeklyCharts(
  networks: readonly NetworkCompat[],
  counts: readonly WeeklyCount[],
  weeks: readonly number[],
  filters: SupportFilters,
): Html {
  const byNetwork = new Map<string, Map<number, Partial<Record<Verdict, number>>>>();
  for (const c of counts) {
    let weeksOf = byNetwork.get(c.network);
    if (!weeksOf) byNetwork.set(c.network, (weeksOf = new Map()));
    const week = weeksOf.get(c.week) ?? {};
    week[c.verdict] = (week[c.verdict] ?? 0) + c.reports;
    weeksOf.set(c.week, week);
  }
  return html`<div class="multiples" id="weekly">${networks.map((n) => weeklyChart(n, weeks, byNetwork.get(n.network) ?? new Map(), filters.verdict))}</div>`;
}

// ---- the ISP × resolver grid --------------------------------------------------------------

interface Column {
  key: SortKey;
  label: string;
  colour: string;
  value(entry: CompatEntry): { count: number; of: number } | undefined;
}

/** Each row is a name line above a line of cells, so the grid is as narrow as its cells: a phone shows it whole. */
const CELL = 64;
const NAME_LINE = 16;
const CELL_LINE = 22;
const ROW = NAME_LINE + CELL_LINE + 4;
const HEAD = 40;
/** Drawn this much larger than its viewBox where there is room (a laptop), shrunk to the column on a phone. */
const SCALE = 1.25;

function columns(picked: Verdict | undefined): Column[] {
  const outcome = (o: Outcome): Column => ({
    key: o,
    label: OUTCOMES[o].label,
    colour: OUTCOMES[o].colour,
    value: (e) => ({ count: outcomeCount(e, o), of: e.reports }),
  });
  return [
    ...(picked
      ? [
          {
            key: 'verdict' as const,
            label: cut(picked, 10),
            colour: COLOURS[picked],
            value: (e: CompatEntry) => ({ count: e.verdicts[picked], of: e.reports }),
          },
        ]
      : []),
    ...OUTCOME_KEYS.map(outcome),
    {
      key: 'hairpins',
      label: 'hairpins',
      colour: '#1565c0',
      value: (e) =>
        hairpinShare(e) === undefined ? undefined : { count: e.hairpins.yes, of: e.hairpins.yes + e.hairpins.no },
    },
  ];
}

/** One cell: the column's colour, stronger with the share; the share in words, the counts in the tooltip. */
function cell(column: Column, entry: CompatEntry, x: number, y: number, who: string): Html {
  const v = column.value(entry);
  if (!v)
    return html`<text x="${x + CELL / 2}" y="${y + 15}" text-anchor="middle" fill="#999">–<title>${who}: hairpin self-test not run</title></text>`;
  const s = share(v.count, v.of);
  const title =
    column.key === 'hairpins'
      ? `${who}: the box hairpins in ${v.count} of ${v.of} self-test(s)`
      : `${who}: ${column.label} in ${v.count} of ${v.of} report(s)`;
  return html`<g data-column="${column.key}" data-count="${v.count}"><rect x="${x + 1}" y="${y}" width="${CELL - 2}" height="${CELL_LINE}" fill="${column.colour}" fill-opacity="${s === 0 ? 0.04 : (0.15 + 0.85 * s).toFixed(2)}"></rect>
<text x="${x + CELL / 2}" y="${y + 15}" text-anchor="middle" fill="${s >= 0.5 ? '#fff' : '#222'}">${Math.round(s * 100)} %</text><title>${title}</title></g>`;
}

function row(entry: CompatEntry, name: Html, who: string, y: number, cols: readonly Column[], attributes: Html): Html {
  return html`<g ${attributes} data-reports="${entry.reports}">${name}
<text x="${CELL * cols.length}" y="${y + 12}" text-anchor="end" fill="#555">${entry.reports} report(s)</text>
${cols.map((c, i) => cell(c, entry, CELL * i, y + NAME_LINE, who))}</g>`;
}

/**
 * Rows: each network, then its resolvers; columns: the outcome shares and how often the box
 * hairpins. Heads are links that sort; a network's name is a link that filters to it.
 */
export function resolverGrid(
  networks: readonly NetworkCompat[],
  filters: SupportFilters,
  resolversShown: number,
): Html {
  const cols = columns(filters.verdict);
  const width = CELL * cols.length;
  const rows: Html[] = [];
  let y = HEAD;
  for (const n of networks) {
    const name = networkName(n);
    const link = supportHref({ ...filters, isp: n.network });
    rows.push(html`<rect x="0" y="${y - 2}" width="${width}" height="${ROW}" fill="#eef2f7"></rect>`);
    rows.push(
      row(
        n,
        html`<a href="${link}"><text x="2" y="${y + 12}" font-weight="bold">${cut(name, 38)}<title>${name}, last report ${n.lastSeen.slice(0, 10)}</title></text></a>`,
        name,
        y,
        cols,
        html`data-network="${n.network}"`,
      ),
    );
    y += ROW;
    for (const r of n.resolvers.slice(0, resolversShown)) {
      rows.push(
        row(
          r,
          html`<text x="12" y="${y + 12}">${cut(r.resolver, 40)}<title>${r.resolver}</title></text>`,
          `${name} / ${r.resolver}`,
          y,
          cols,
          html`data-network="${n.network}" data-resolver="${r.resolver}"`,
        ),
      );
      y += ROW;
    }
    const hidden = n.resolvers.length - resolversShown;
    if (hidden > 0) {
      rows.push(
        html`<a href="${link}"><text x="12" y="${y + 12}" font-style="italic">+ ${hidden} more resolver(s): show this ISP only</text></a>`,
      );
      y += NAME_LINE + 4;
    }
  }
  const sortLink = (key: SortKey, label: string, x: number, y: number, anchor: string) => {
    const arrow = filters.sort === key ? (filters.order === 'asc' ? ' ▲' : ' ▼') : '';
    return html`<a href="${sortHref(filters, key)}" data-sort="${key}"><text x="${x}" y="${y}" text-anchor="${anchor}" font-weight="bold">${label}${arrow}</text></a>`;
  };
  const head = [
    sortLink('network', 'ISP / resolver', 2, 14, 'start'),
    sortLink('reports', 'reports', width, 14, 'end'),
    ...cols.map((c, i) => sortLink(c.key, c.label, CELL * i + CELL / 2, 32, 'middle')),
  ];
  return html`<svg class="grid" id="grid" width="${Math.round(width * SCALE)}" height="${Math.round((y + 2) * SCALE)}" viewBox="0 0 ${width} ${y + 2}" role="img" aria-label="ISP × resolver: how often the internal name resolved, was filtered, timed out" font-size="11" fill="#222">
${head}<line x1="0" x2="${width}" y1="${HEAD - 4}" y2="${HEAD - 4}" stroke="#bbb"></line>${rows}</svg>`;
}
