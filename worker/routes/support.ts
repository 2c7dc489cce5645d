// The support pages (server-rendered HTML, no script) and support-token issuance. The pages
// read the same store functions as GET /v1/compat, so their numbers cannot drift from it.
import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import { SupportTokenRequest } from '../../contract/api.ts';
import { VERDICT_CODES, VERDICTS } from '../../contract/verdicts.ts';
import { isStaleOutcome } from '../../probe/serve-stale.ts';
import { requireAdmin } from '../auth.ts';
import type { ManagerEnv } from '../context.ts';
import { ProblemError } from '../problem.ts';
import { type VerdictCounts, weekStart } from '../store/probe-reports.ts';
import { resolverGrid, weeklyCharts, weekRange } from '../support/charts.ts';
import { PERIODS, parseFilters, type SupportFilters, supportHref } from '../support/filters.ts';
import { networkName, selectNetworks } from '../support/outcomes.ts';
import { COLOURS, type Html, legend, page, STYLESHEET, STYLESHEET_PATH, utc } from '../support/view.ts';
import { issueSupportToken, requireSupport, SUPPORT_COOKIE, supportCallerFromToken } from '../support-auth.ts';
import { parseBody, readJsonObject } from '../validate.ts';
import { sinceDays } from './compat.ts';

export const supportRoutes = new Hono<ManagerEnv>();

const DEFAULT_TTL = 8 * 3600;

supportRoutes.post('/v1/support-tokens', async (c) => {
  requireAdmin(c);
  const body = c.req.header('content-type') ? await readJsonObject(c.req.raw) : {};
  const { subject = 'support', ttlSeconds = DEFAULT_TTL } = parseBody(SupportTokenRequest, body);
  return c.json({ subject, ...(await issueSupportToken(c, subject, ttlSeconds)) }, 201);
});

/** The support page lists this many licences; the finder opens any other. */
const RECENT_LICENCES = 50;
/** Bounds on what one page draws, whatever the store holds: weekly charts, grid networks, resolvers per network. */
const CHARTED_NETWORKS = 8;
const GRID_NETWORKS = 40;
const RESOLVERS_PER_NETWORK = 8;
const RESOLVERS_OF_ONE_NETWORK = 200;
/** Weeks the charts show: the period's, at most this many (the latest). */
const MAX_WEEKS = 26;

const SUPPORT_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

// Support pages name licences and shops' networks: never kept by a shared cache.
supportRoutes.use('/support/*', async (c, next) => {
  await next();
  if (c.req.path !== STYLESHEET_PATH) c.header('cache-control', 'private, no-store');
  // The pages print what nodes and resolvers sent: should anything slip through the escaping, no
  // script runs, styles come only from the stylesheet, no other site frames them (clickjacking),
  // and no browser sniffs a type other than the one sent.
  c.header('content-security-policy', SUPPORT_CSP);
  c.header('x-content-type-options', 'nosniff');
});

// The pages' stylesheet: nothing private in it, so no support role needed, and cached a while.
supportRoutes.get(STYLESHEET_PATH, (c) =>
  c.body(STYLESHEET, 200, { 'content-type': 'text/css; charset=utf-8', 'cache-control': 'public, max-age=3600' }),
);

supportRoutes.get('/support', async (c) => {
  const token = c.req.query('token');
  if (token) {
    // Opening the link a support token came with: keep it in a cookie and drop it from the URL.
    if (!(await supportCallerFromToken(c, token)))
      throw new ProblemError('unauthorized', 'the support token is not valid');
    setCookie(c, SUPPORT_COOKIE, token, {
      httpOnly: true,
      sameSite: 'Strict',
      path: '/',
      secure: new URL(c.req.url).protocol === 'https:',
    });
    return c.redirect('/support', 303);
  }
  await requireSupport(c);
  // The licence finder's form: a licence beyond the recent list is one field away.
  const wanted = c.req.query('licence')?.trim();
  if (wanted) return c.redirect(`/support/licences/${encodeURIComponent(wanted)}`, 303);
  const filters = parseFilters(new URL(c.req.url).searchParams);
  const now = c.get('deps').now();
  const since = sinceDays(now, filters.days);
  const reports = c.get('deps').store.probeReports;
  const [all, weekly, licences] = await Promise.all([
    reports.compat(since),
    reports.weekly(since),
    reports.licences(RECENT_LICENCES),
  ]);
  const networks = selectNetworks(all, filters);
  const charted = networks.slice(0, CHARTED_NETWORKS);
  const first = weekStart(since || weekly.reduce((min, w) => Math.min(min, w.week), now));
  const weeks = weekRange(first, weekStart(now), MAX_WEEKS);
  const compatLink = `/v1/compat${filters.days ? `?days=${filters.days}` : ''}`;
  return c.html(
    page(
      'ISP compatibility',
      html`
<p>Does the internal name resolve through the shop's resolver, per ISP and resolver. Same numbers as <a href="${compatLink}">${compatLink}</a>.</p>
${filterForm(
  filters,
  all.map((n) => ({ key: n.network, name: networkName(n) })),
)}
${
  networks.length === 0
    ? html`<p id="empty">No probe reports match these filters. <a href="/support">Show everything</a>.</p>`
    : html`
<h2>Verdict shares per week</h2>
<p class="note">Weeks start on Monday (UTC); ${charted.length < networks.length ? `the ${charted.length} first ISPs in the grid's order of ${networks.length}; pick an ISP to see another` : `${networks.length} ISP(s)`}${filters.verdict ? `; ${filters.verdict} coloured, every other verdict grey` : ''}.</p>
${legend}
${weeklyCharts(charted, weekly, weeks, filters)}`
}
<div class="columns">${
        networks.length === 0
          ? ''
          : html`<section>
<h2>ISP × resolver</h2>
<p class="note">Share of reports per ISP and resolver: resolved (ok), filtered (SERVFAIL, stripped, REFUSED, NXDOMAIN), timed out, other (not published, mismatch, unreachable); hairpins: share of the box self-tests that reached the node's public name. Column heads sort; an ISP's name shows it alone.${networks.length > GRID_NETWORKS ? ` The ${GRID_NETWORKS} first ISPs of ${networks.length}.` : ''}</p>
${resolverGrid(networks.slice(0, GRID_NETWORKS), filters, filters.isp ? RESOLVERS_OF_ONE_NETWORK : RESOLVERS_PER_NETWORK)}</section>`
      }
<section><h2>By licence</h2>
<form action="/support" method="get"><label>Licence <input name="licence" required></label> <button>Open</button></form>
<p class="note">Below, the ${RECENT_LICENCES} licences seen most recently.</p>
<div class="scroll"><table id="licences"><thead><tr><th>licence</th><th>nodes</th><th>reports</th><th>last seen (UTC)</th></tr></thead><tbody>
${licences.map((l) => html`<tr><td><a href="/support/licences/${encodeURIComponent(l.licence)}">${l.licence}</a></td><td>${l.nodes}</td><td>${l.reports}</td><td>${utc(l.lastSeen)}</td></tr>`)}
</tbody></table></div></section></div>`,
    ),
  );
});

function filterForm(filters: SupportFilters, isps: { key: string; name: string }[]): Html {
  const option = (value: string, text: string, selected: boolean) =>
    html`<option value="${value}"${selected ? ' selected' : ''}>${text}</option>`;
  // An ISP named in the URL but without reports in this period stays selectable, so the form keeps it.
  if (filters.isp && !isps.some((i) => i.key === filters.isp))
    isps = [{ key: filters.isp, name: filters.isp }, ...isps];
  return html`<form class="filters" id="filters" action="/support" method="get">
<label>ISP <select name="isp">${option('', 'every ISP', !filters.isp)}${isps.map((i) => option(i.key, i.name, i.key === filters.isp))}</select></label>
<label>Verdict <select name="verdict">${option('', 'every verdict', !filters.verdict)}${VERDICT_CODES.map((v) => option(v, v, v === filters.verdict))}</select></label>
<label>Period <select name="days">${PERIODS.map((d) => option(String(d), d ? `last ${d} days` : 'all time', d === filters.days))}${(PERIODS as readonly number[]).includes(filters.days) ? '' : option(String(filters.days), `last ${filters.days} days`, true)}</select></label>
${filters.sort !== (filters.verdict ? 'verdict' : 'reports') || filters.order !== 'desc' ? html`<input type="hidden" name="sort" value="${filters.sort}"><input type="hidden" name="order" value="${filters.order}">` : ''}
<button>Apply</button> <a href="${supportHref({ isp: undefined, verdict: undefined, days: 0, sort: 'reports', order: 'desc' })}">reset</a></form>`;
}

supportRoutes.get('/support/licences/:licence', async (c) => {
  await requireSupport(c);
  const licence = c.req.param('licence');
  const nodes = await c.get('deps').store.probeReports.forLicence(licence);
  if (nodes.length === 0) throw new ProblemError('not-found', `no probe reports for licence "${licence}"`);
  return c.html(
    page(
      `Licence ${licence}`,
      html`${legend}
<div class="scroll"><table id="nodes"><thead><tr><th>node</th><th>last verdict</th><th>reason</th><th>resolver</th><th>network</th><th>hairpins</th><th>serves stale</th><th>at (UTC)</th><th>reports</th><th>verdict shares</th></tr></thead><tbody>
${nodes.map(
  (
    n,
  ) => html`<tr data-node="${n.node}"><td><a href="/support/licences/${encodeURIComponent(licence)}/nodes/${encodeURIComponent(n.node)}">${n.node}</a></td>
<td class="t-${n.last.verdict}">${n.last.verdict}</td><td class="reason">${n.last.reason}</td><td>${n.last.resolver}</td>
<td>${networkText(n.last.network)}</td><td>${hairpinText(n.last.hairpins)}</td>${staleCell(n.last.evidence)}<td>${utc(n.last.at)}</td><td>${n.reports}</td><td>${bar(n.verdicts, n.reports)}</td></tr>`,
)}
</tbody></table></div>`,
    ),
  );
});

supportRoutes.get('/support/licences/:licence/nodes/:node', async (c) => {
  await requireSupport(c);
  const { licence, node } = c.req.param();
  const reports = await c.get('deps').store.probeReports.forNode(licence, node, 20);
  if (reports.length === 0)
    throw new ProblemError('not-found', `no probe reports for node "${node}" of licence "${licence}"`);
  return c.html(
    page(
      `Node ${node} of licence ${licence}`,
      html`<p><a href="/support/licences/${encodeURIComponent(licence)}">back to licence ${licence}</a></p>
<div class="scroll"><table id="reports"><thead><tr><th>at (UTC)</th><th>verdict</th><th>reason</th><th>resolver</th><th>network</th><th>hairpins</th><th>serves stale</th><th>ms</th></tr></thead><tbody>
${reports.map(
  (r) => html`<tr><td>${utc(r.at)}</td><td class="t-${r.verdict}">${r.verdict}</td>
<td class="reason">${r.reason}<details><summary>evidence</summary><pre>${JSON.stringify(r.evidence, null, 2)}</pre></details></td>
<td>${r.resolver}</td><td>${networkText(r.network)}</td><td>${hairpinText(r.hairpins)}</td>${staleCell(r.evidence)}<td>${r.elapsedMs}</td></tr>`,
)}
</tbody></table></div>`,
    ),
  );
});

function networkText(n: {
  asn: number | null;
  organisation: string | null;
  label: string | null;
  publicAddress: string | null;
}): string {
  return [
    n.asn !== null ? `AS${n.asn}` : '',
    n.organisation ?? '',
    n.label ? `(${n.label})` : '',
    n.publicAddress ?? '',
  ]
    .filter(Boolean)
    .join(' ');
}

/**
 * The serve-stale check of a report (probe/serve-stale.ts), read from its evidence: the outcome,
 * its reason on hover; "not checked" for a probe run without it. Evidence is what a node sent:
 * only a known outcome is shown, the reason escaped like every other text.
 */
function staleCell(evidence: unknown): Html {
  const check = (evidence as { serveStale?: { outcome?: unknown; reason?: unknown } } | null)?.serveStale;
  if (!isStaleOutcome(check?.outcome)) return html`<td>not checked</td>`;
  return html`<td title="${typeof check.reason === 'string' ? check.reason.slice(0, 500) : ''}">${check.outcome}</td>`;
}

function hairpinText(h: boolean | null): string {
  return h === null ? 'not tested' : h ? 'yes' : 'no';
}

/** Verdict shares as one stacked bar, inline SVG: readable without script or stylesheet. */
function bar(verdicts: VerdictCounts, total: number): Html {
  let x = 0;
  const segments = VERDICT_CODES.filter((v) => verdicts[v] > 0).map((v) => {
    const width = (verdicts[v] / total) * 160;
    const rect = html`<rect x="${x.toFixed(1)}" y="0" width="${width.toFixed(1)}" height="14" fill="${COLOURS[v]}"><title>${v}: ${verdicts[v]} — ${VERDICTS[v]}</title></rect>`;
    x += width;
    return rect;
  });
  return html`<svg width="160" height="14" role="img" aria-label="verdict shares">${segments}</svg>`;
}
