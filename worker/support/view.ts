// The support pages' shell: one stylesheet, the verdict colours, the legend. No script, no inline
// style (the stylesheet is a file of its own, colours are its classes, and SVG presentation
// attributes are not styles), so a strict Content-Security-Policy (`style-src 'self'`, no
// script at all) leaves the pages whole without a nonce.
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { VERDICT_CODES, VERDICTS, type Verdict } from '../../contract/verdicts.ts';

export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** One colour per verdict: greens pass, reds and oranges are filters, greys are "nothing to see". */
export const COLOURS: Record<Verdict, string> = {
  ok: '#2e7d32',
  dns64: '#00838f',
  'filtered-servfail': '#c62828',
  'filtered-nodata': '#ef6c00',
  'filtered-refused': '#ad1457',
  overridden: '#4e342e',
  'stale-cache': '#90caf9',
  nxdomain: '#6a1b9a',
  'not-published': '#9e9e9e',
  mismatch: '#f9a825',
  'upstream-failure': '#78909c',
  timeout: '#455a64',
  unreachable: '#212121',
};

// Phone first: nothing is wider than the screen; wide tables scroll inside their own box.
export const STYLESHEET = `*{box-sizing:border-box}body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;padding:.75rem;max-width:80rem;color:#222}
h1{font-size:1.35rem;margin:.5rem 0}h2{font-size:1.1rem;margin:1.5rem 0 .25rem}a{color:#1565c0}p{margin:.4rem 0}
.scroll{overflow-x:auto;max-width:100%}table{border-collapse:collapse;margin:.5rem 0 1rem}
th,td{padding:.25rem .5rem;border-bottom:1px solid #ddd;text-align:right;vertical-align:top}th:first-child,td:first-child{text-align:left}
td.reason{text-align:left;min-width:14rem;max-width:40rem}pre{background:#f5f5f5;padding:.5rem;overflow:auto;max-width:70rem;font-size:12px}
.legend{display:flex;flex-wrap:wrap;gap:.2rem 1rem;padding:0;list-style:none;font-size:13px}
.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end;margin:.5rem 0}form.filters label{display:flex;flex-direction:column;font-size:13px}
select,input,button{font:inherit;max-width:100%}.note{color:#555;font-size:13px}
figure{margin:0}.columns{display:flex;flex-wrap:wrap;gap:0 3rem;align-items:flex-start}.columns>section{flex:0 1 34rem;min-width:0;max-width:100%}.multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(20rem,1fr));gap:.75rem 1.5rem}
svg.chart{display:block;width:100%;height:auto}svg.grid{display:block;max-width:100%;height:auto}svg a text{fill:#1565c0}
${VERDICT_CODES.map((v) => `.v-${v}{background:${COLOURS[v]}}.t-${v}{color:${COLOURS[v]}}`).join('')}`;

export const STYLESHEET_PATH = '/support/style.css';

export function page(title: string, body: Html): Html {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — hairpin support</title><link rel="stylesheet" href="${STYLESHEET_PATH}"></head>
<body><nav><a href="/support">ISP compatibility</a></nav><h1>${title}</h1>${body}</body></html>`;
}

export const legend = html`<ul class="legend">${VERDICT_CODES.map((v) => html`<li title="${VERDICTS[v]}"><i class="swatch v-${v}"></i>${v}</li>`)}</ul>`;

/** `2026-11-25 14:23:32`: an ISO time or epoch ms, to the second, for the "(UTC)" columns. */
export const utc = (at: string | number) =>
  (typeof at === 'number' ? new Date(at).toISOString() : at).replace('T', ' ').slice(0, 19);

export const percent = (part: number, whole: number) => (whole === 0 ? '–' : `${Math.round((part / whole) * 100)} %`);
