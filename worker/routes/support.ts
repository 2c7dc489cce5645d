// The support pages (server-rendered HTML, no script) and support-token issuance. The pages
// read the same store functions as GET /v1/compat, so their numbers cannot drift from it.
import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { VERDICTS, VERDICT_CODES, type Verdict } from '../../probe/verdicts.ts';
import { requireAdmin } from '../auth.ts';
import type { ManagerEnv } from '../context.ts';
import { ProblemError } from '../problem.ts';
import { since } from './compat.ts';
import { ProbeReports, type CompatEntry, type VerdictCounts } from '../store/probe-reports.ts';
import { issueSupportToken, requireSupport, SUPPORT_COOKIE, supportCallerFromToken } from '../support-auth.ts';
import { readJsonObject, rejectUnknownFields } from '../validate.ts';

export const supportRoutes = new Hono<ManagerEnv>();

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const DEFAULT_TTL = 8 * 3600;
const MAX_TTL = 30 * 86_400;

supportRoutes.post('/v1/support-tokens', async (c) => {
  requireAdmin(c);
  const body = c.req.header('content-type') ? await readJsonObject(c.req.raw) : {};
  rejectUnknownFields(body, ['subject', 'ttlSeconds']);
  const subject = body.subject ?? 'support';
  const ttl = body.ttlSeconds ?? DEFAULT_TTL;
  if (typeof subject !== 'string' || subject.length < 1 || subject.length > 200) throw new ProblemError('invalid-request', '"subject" must be a string of 1 to 200 characters');
  if (!Number.isInteger(ttl) || (ttl as number) < 60 || (ttl as number) > MAX_TTL) throw new ProblemError('invalid-request', `"ttlSeconds" must be a whole number from 60 to ${MAX_TTL}`);
  return c.json({ subject, ...(await issueSupportToken(c, subject, ttl as number)) }, 201);
});

/** The support page lists this many licences; the finder opens any other. */
const RECENT_LICENCES = 50;

/** One colour per verdict: greens pass, reds and oranges are filters, greys are "nothing to see". */
const COLOURS: Record<Verdict, string> = {
  ok: '#2e7d32', 'filtered-servfail': '#c62828', 'filtered-nodata': '#ef6c00', 'filtered-refused': '#ad1457',
  nxdomain: '#6a1b9a', 'not-published': '#9e9e9e', mismatch: '#f9a825', timeout: '#455a64', unreachable: '#212121',
};

const STYLE = `body{font:15px/1.4 system-ui,sans-serif;margin:1.5rem;color:#222}h1{font-size:1.4rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{padding:.25rem .5rem;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}td{white-space:nowrap}td.reason{text-align:left;max-width:40rem;white-space:normal}.legend span{display:inline-block;margin-right:1rem}
.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}a{color:#1565c0}details{margin:.3rem 0}
pre{background:#f5f5f5;padding:.5rem;overflow:auto;max-width:70rem;font-size:12px}`;

function page(title: string, body: Html): Html {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>${title} — hairpin support</title><style>${raw(STYLE)}</style></head>
<body><nav><a href="/support">ISP compatibility</a></nav><h1>${title}</h1>${body}</body></html>`;
}

/** `2026-11-25 14:23:32`: an ISO time or epoch ms, to the second, for the "(UTC)" columns. */
const utc = (at: string | number) => (typeof at === 'number' ? new Date(at).toISOString() : at).replace('T', ' ').slice(0, 19);

const percent = (part: number, whole: number) => (whole === 0 ? '–' : `${Math.round((part / whole) * 100)} %`);

/** Verdict shares as one stacked bar, inline SVG: readable without script or stylesheet. */
function bar(verdicts: VerdictCounts, total: number): Html {
  let x = 0;
  const segments = VERDICT_CODES.filter((v) => verdicts[v] > 0).map((v) => {
    const width = (verdicts[v] / total) * 300;
    const rect = html`<rect x="${x.toFixed(1)}" y="0" width="${width.toFixed(1)}" height="16" fill="${COLOURS[v]}"><title>${v}: ${verdicts[v]}</title></rect>`;
    x += width;
    return rect;
  });
  return html`<svg width="300" height="16" role="img" aria-label="verdict shares">${segments}</svg>`;
}

const legend = html`<p class="legend">${VERDICT_CODES.map((v) => html`<span title="${VERDICTS[v]}"><i class="swatch" style="background:${COLOURS[v]}"></i>${v}</span>`)}</p>`;

function entryCells(entry: CompatEntry): Html {
  return html`<td data-field="reports">${entry.reports}</td><td data-field="resolved">${entry.resolved}</td><td>${percent(entry.resolved, entry.reports)}</td>
${VERDICT_CODES.map((v) => html`<td data-verdict="${v}">${entry.verdicts[v]}</td>`)}
<td data-field="hairpins">${entry.hairpins.yes} / ${entry.hairpins.no} / ${entry.hairpins.unknown}</td><td>${utc(entry.lastSeen)}</td><td>${bar(entry.verdicts, entry.reports)}</td>`;
}

const entryHeader = html`<th>reports</th><th>resolved</th><th>share</th>${VERDICT_CODES.map((v) => html`<th>${v}</th>`)}<th>hairpins yes/no/?</th><th>last seen (UTC)</th><th>verdict shares</th>`;

// Support pages name licences and shops' networks: never kept by a shared cache.
supportRoutes.use('/support/*', async (c, next) => {
  await next();
  c.header('cache-control', 'private, no-store');
});

supportRoutes.get('/support', async (c) => {
  const token = c.req.query('token');
  if (token) {
    // Opening the link a support token came with: keep it in a cookie and drop it from the URL.
    if (!(await supportCallerFromToken(c, token))) throw new ProblemError('unauthorized', 'the support token is not valid');
    setCookie(c, SUPPORT_COOKIE, token, { httpOnly: true, sameSite: 'Strict', path: '/', secure: new URL(c.req.url).protocol === 'https:' });
    return c.redirect('/support', 303);
  }
  await requireSupport(c);
  // The licence finder's form: a licence beyond the recent list is one field away.
  const wanted = c.req.query('licence')?.trim();
  if (wanted) return c.redirect(`/support/licences/${encodeURIComponent(wanted)}`, 303);
  const days = Number(c.req.query('days') ?? 0);
  const reports = new ProbeReports(c.get('deps').store);
  const [networks, licences] = await Promise.all([reports.compat(since(c)), reports.licences(RECENT_LICENCES)]);
  const period = (d: number, text: string) => (d === days || (d === 0 && !(days > 0)) ? html`<strong>${text}</strong>` : html`<a href="/support${d ? `?days=${d}` : ''}">${text}</a>`);
  return c.html(page('ISP compatibility', html`
<p>Does the internal name resolve through the shop's resolver, per network and resolver. Same numbers as <a href="/v1/compat${days > 0 ? `?days=${days}` : ''}">/v1/compat</a>.</p>
<p id="period">Reports of: ${period(0, 'all time')} · ${period(7, 'the last 7 days')} · ${period(30, 'the last 30 days')} · ${period(90, 'the last 90 days')}</p>
${legend}
<table id="networks"><thead><tr><th>network</th>${entryHeader}</tr></thead><tbody>
${networks.map((n) => html`<tr data-network="${n.network}"><td>${n.asn !== null ? `AS${n.asn}${n.organisation ? ` — ${n.organisation}` : ''}` : (n.label ?? 'unknown network')}
<details><summary>${n.resolvers.length} resolver(s)</summary><table><tbody>${n.resolvers.map((r) => html`<tr data-resolver="${r.resolver}"><td>${r.resolver}</td>${entryCells(r)}</tr>`)}</tbody></table></details></td>${entryCells(n)}</tr>`)}
</tbody></table>
<h2>By licence</h2>
<form action="/support" method="get"><label>Licence <input name="licence" required></label> <button>Open</button> — below, the ${RECENT_LICENCES} licences seen most recently.</form>
<table id="licences"><thead><tr><th>licence</th><th>nodes</th><th>reports</th><th>last seen (UTC)</th></tr></thead><tbody>
${licences.map((l) => html`<tr><td><a href="/support/licences/${encodeURIComponent(l.licence)}">${l.licence}</a></td><td>${l.nodes}</td><td>${l.reports}</td><td>${utc(l.lastSeen)}</td></tr>`)}
</tbody></table>`));
});

supportRoutes.get('/support/licences/:licence', async (c) => {
  await requireSupport(c);
  const licence = c.req.param('licence');
  const nodes = await new ProbeReports(c.get('deps').store).forLicence(licence);
  if (nodes.length === 0) throw new ProblemError('not-found', `no probe reports for licence "${licence}"`);
  return c.html(page(`Licence ${licence}`, html`${legend}
<table id="nodes"><thead><tr><th>node</th><th>last verdict</th><th>reason</th><th>resolver</th><th>network</th><th>hairpins</th><th>at (UTC)</th><th>reports</th><th>verdict shares</th></tr></thead><tbody>
${nodes.map((n) => html`<tr data-node="${n.node}"><td><a href="/support/licences/${encodeURIComponent(licence)}/nodes/${encodeURIComponent(n.node)}">${n.node}</a></td>
<td style="color:${COLOURS[n.last.verdict]}">${n.last.verdict}</td><td class="reason">${n.last.reason}</td><td>${n.last.resolver}</td>
<td>${networkText(n.last.network)}</td><td>${hairpinText(n.last.hairpins)}</td><td>${utc(n.last.at)}</td><td>${n.reports}</td><td>${bar(n.verdicts, n.reports)}</td></tr>`)}
</tbody></table>`));
});

supportRoutes.get('/support/licences/:licence/nodes/:node', async (c) => {
  await requireSupport(c);
  const { licence, node } = c.req.param();
  const reports = await new ProbeReports(c.get('deps').store).forNode(licence, node, 20);
  if (reports.length === 0) throw new ProblemError('not-found', `no probe reports for node "${node}" of licence "${licence}"`);
  return c.html(page(`Node ${node} of licence ${licence}`, html`<p><a href="/support/licences/${encodeURIComponent(licence)}">back to licence ${licence}</a></p>
<table id="reports"><thead><tr><th>at (UTC)</th><th>verdict</th><th>reason</th><th>resolver</th><th>network</th><th>hairpins</th><th>ms</th></tr></thead><tbody>
${reports.map((r) => html`<tr><td>${utc(r.at)}</td><td style="color:${COLOURS[r.verdict]}">${r.verdict}</td>
<td class="reason">${r.reason}<details><summary>evidence</summary><pre>${JSON.stringify(r.evidence, null, 2)}</pre></details></td>
<td>${r.resolver}</td><td>${networkText(r.network)}</td><td>${hairpinText(r.hairpins)}</td><td>${r.elapsedMs}</td></tr>`)}
</tbody></table>`));
});

function networkText(n: { asn: number | null; organisation: string | null; label: string | null; publicAddress: string | null }): string {
  return [n.asn !== null ? `AS${n.asn}` : '', n.organisation ?? '', n.label ? `(${n.label})` : '', n.publicAddress ?? ''].filter(Boolean).join(' ');
}

function hairpinText(h: boolean | null): string {
  return h === null ? 'not tested' : h ? 'yes' : 'no';
}
