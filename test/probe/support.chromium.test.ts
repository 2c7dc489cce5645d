// The support page in a real browser (Debian's Chromium through playwright-core), on a phone
// (390 px) and a laptop (1,280 px): no horizontal scroll of the page, the weekly charts and the
// ISP × resolver grid drawn with the numbers of GET /v1/compat, the filters and sorting as links
// and a GET form (no script), and the drill-down to a node's evidence.
// HAIRPIN_SCREENSHOTS=docs/images writes the pictures the docs show (docs/probe.md).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Verdict } from '../../contract/verdicts.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../../lab/chromium.ts';
import { dohTransport } from '../../probe/doh.ts';
import { type ProbeResult, probeNode } from '../../probe/probe.ts';
import { postProbeReport } from '../../probe/report.ts';
import { WEEK_MS } from '../../worker/store/probe-reports.ts';
import { ADMIN_TOKEN, startTestManager, type TestManager } from '../support/manager.ts';

const have = existsSync(CHROMIUM);
if (!have && process.env.CI) throw new Error(`CI needs ${CHROMIUM} (scripts/install-system-packages.sh)`);
const screenshots = process.env.HAIRPIN_SCREENSHOTS ? resolve(process.env.HAIRPIN_SCREENSHOTS) : undefined;

let manager: TestManager;
let context: BrowserContext;
let profile: string;
let token: string;

/** Reports sent through the API now: licence, node, network label, verdicts in order, hairpin self-test. */
const FIELD: [string, string, string, Verdict[], boolean | null][] = [
  ['1234', 'nur1', 'orange-pro', ['ok', 'ok', 'ok', 'ok'], false],
  ['1234', 'nur2', 'orange-pro', ['ok', 'mismatch'], false],
  ['5678', 'nur1', 'free', ['filtered-servfail', 'filtered-servfail', 'filtered-servfail'], true],
  ['5678', 'nur2', 'free', ['filtered-servfail', 'timeout'], true],
  ['9012', 'nur1', 'sfr-box', ['filtered-nodata', 'ok', 'nxdomain'], null],
];

/** Weeks of history written to the store, per ISP: what its resolvers answer, a verdict per week and shop. */
const HISTORY: { asn: number; organisation: string; resolvers: string[]; week(w: number, shop: number): Verdict }[] = [
  {
    asn: 3215,
    organisation: 'Orange',
    resolvers: ['system (192.168.1.1)', 'udp://192.168.1.1:53'],
    week: (w, s) => ((w + s) % 7 === 0 ? 'mismatch' : 'ok'),
  },
  {
    asn: 12322,
    organisation: 'Free SAS',
    resolvers: ['system (192.168.1.254)'],
    week: (w, s) => (s === 0 && w > 5 ? 'ok' : (w + s) % 5 === 0 ? 'timeout' : 'filtered-servfail'),
  },
  {
    asn: 15557,
    organisation: 'SFR',
    resolvers: ['system (192.168.1.1)', 'doh:https://doh.example.net/dns-query'],
    week: (w, s) => (s % 2 === 1 ? 'ok' : w < 4 ? 'filtered-nodata' : 'filtered-refused'),
  },
  {
    asn: 5410,
    organisation: 'Bouygues Telecom',
    resolvers: ['system (192.168.1.254)'],
    week: (w, s) => ((w * 3 + s) % 4 === 0 ? 'timeout' : 'ok'),
  },
];

async function seedHistory(sample: ProbeResult): Promise<void> {
  const reports = manager.store.probeReports;
  const now = Date.now();
  let id = 0;
  for (const isp of HISTORY) {
    for (let w = 1; w <= 8; w++) {
      for (let shop = 0; shop < 4; shop++) {
        const verdict = isp.week(w, shop);
        const resolver = isp.resolvers[shop % isp.resolvers.length]!;
        await reports.add({
          id: `history-${id++}`,
          licence: `7${isp.asn % 1000}`,
          node: `nur${shop + 1}`,
          at: now - (9 - w) * WEEK_MS,
          verdict,
          reason: `history: ${verdict}`,
          name: `i-nur${shop + 1}.pl-7${isp.asn % 1000}.example.test`,
          resolver,
          hairpins: isp.asn === 12322 ? true : shop % 2 === 0 ? false : null,
          network: {
            publicAddress: '192.0.2.10',
            asn: isp.asn,
            organisation: isp.organisation,
            label: null,
            source: 'lookup',
          },
          elapsedMs: 40,
          evidence: { ...sample, verdict, resolver },
        });
      }
    }
  }
}

beforeAll(async () => {
  manager = await startTestManager();
  const doh = dohTransport(`${manager.url}/dns-query`);
  let sample: ProbeResult | undefined;
  for (const [licence, node, label, verdicts, hairpins] of FIELD) {
    const credential = await manager.enrol(licence, node);
    await manager.report(licence, node, credential, { privateIpv4: '192.168.1.10' });
    const result = await probeNode({
      names: { internal: `i-${node}.pl-${licence}.example.test` },
      truth: doh,
      resolver: doh,
    });
    sample ??= result;
    for (const verdict of verdicts) {
      await postProbeReport(manager.url, licence, node, credential, {
        result: { ...result, verdict, reason: `field: ${verdict}`, resolver: 'system (192.168.1.1)' },
        hairpins,
        network: { label },
      });
    }
  }
  await seedHistory(sample!);
  const res = await fetch(`${manager.url}/v1/support-tokens`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ subject: 'chromium-test' }),
  });
  token = ((await res.json()) as { token: string }).token;
  if (!have) return;
  profile = mkdtempSync(join(tmpdir(), 'hairpin-support-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
  });
}, 90_000);

afterEach(() => {
  expect(violations.splice(0)).toEqual([]);
});

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await manager?.close();
});

interface Compat {
  networks: {
    network: string;
    reports: number;
    verdicts: Record<string, number>;
    resolvers: { resolver: string; reports: number; verdicts: Record<string, number> }[];
  }[];
}

async function compat(query = ''): Promise<Compat> {
  return (
    await fetch(`${manager.url}/v1/compat${query}`, { headers: { authorization: `Bearer ${token}` } })
  ).json() as Promise<Compat>;
}

/** What a strict edge would send: no script at all, styles from this origin only (no inline style, no nonce). */
const STRICT_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const violations: string[] = [];

async function open(path: string, width: number): Promise<Page> {
  const page = await context.newPage();
  // The pages must stay whole under a strict Content-Security-Policy: it is added to every page
  // here, and any violation Chromium reports fails the test (afterEach).
  await page.route(`${manager.url}/support**`, async (route) => {
    const response = await route.fetch({ maxRedirects: 0 });
    await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': STRICT_CSP } });
  });
  page.on('console', (m) => {
    if (/Content Security Policy/i.test(m.text())) violations.push(m.text());
  });
  await page.setViewportSize({ width, height: width < 500 ? 844 : 900 });
  const response = await page.goto(`${manager.url}${path}`);
  expect(response?.status()).toBe(200);
  return page;
}

/** The page itself never scrolls sideways (wide tables scroll inside their own box). */
async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: window.innerWidth,
  }));
  expect(scrollWidth, `page ${scrollWidth} px wide in a ${innerWidth} px window`).toBeLessThanOrEqual(innerWidth);
}

async function gridRows(page: Page) {
  return page.$$eval('#grid g[data-reports][data-network]', (rows) =>
    rows.map((g) => ({
      network: g.getAttribute('data-network'),
      resolver: g.getAttribute('data-resolver'),
      reports: Number(g.getAttribute('data-reports')),
      cells: Object.fromEntries(
        [...g.querySelectorAll('g[data-column]')].map((c) => [
          c.getAttribute('data-column'),
          Number(c.getAttribute('data-count')),
        ]),
      ),
    })),
  );
}

const sum = (verdicts: Record<string, number>, codes: string[]) => codes.reduce((s, v) => s + (verdicts[v] ?? 0), 0);

describe.skipIf(!have)('support page in Chromium', () => {
  it('needs the support role: a 401 problem without a token; the token link keeps it in a cookie', async () => {
    const page = await context.newPage();
    expect((await page.goto(`${manager.url}/support`))?.status()).toBe(401);
    // The link sets an HttpOnly cookie and redirects to the clean URL; the tests below use the cookie.
    await page.goto(`${manager.url}/support?token=${token}`);
    expect(new URL(page.url()).search).toBe('');
    await page.close();
  });

  for (const width of [390, 1280]) {
    it(`at ${width} px: charts and grid drawn with the numbers of /v1/compat, no horizontal scroll`, async () => {
      const page = await open('/support', width);
      await expectNoHorizontalScroll(page);
      // The stylesheet applied (a file of its own, allowed by style-src 'self').
      expect(await page.$eval('#weekly', (e) => getComputedStyle(e).display)).toBe('grid');
      const api = await compat();
      // One weekly chart per ISP (the 8 busiest), each with the page's week axis and the week's total.
      const charts = await page.$$eval('#weekly figure[data-network]', (figs) =>
        figs.map((f) => ({
          network: f.getAttribute('data-network'),
          weeks: [...f.querySelectorAll('g[data-week]')].map((g) => Number(g.getAttribute('data-reports'))),
          width: f.getBoundingClientRect().width,
        })),
      );
      expect(charts.map((c) => c.network)).toEqual(api.networks.slice(0, 8).map((n) => n.network));
      for (const chart of charts) {
        expect(chart.weeks.reduce((a, b) => a + b, 0)).toBe(
          api.networks.find((n) => n.network === chart.network)!.reports,
        );
        expect(chart.width).toBeGreaterThan(250);
      }
      expect(charts.find((c) => c.network === 'AS12322')!.weeks.filter((n) => n > 0)).toHaveLength(8);
      // The grid: a row per ISP, then its resolvers, with the outcome counts of /v1/compat.
      const rows = await gridRows(page);
      expect(rows.filter((r) => r.resolver === null).map((r) => r.network)).toEqual(api.networks.map((n) => n.network));
      for (const n of api.networks) {
        for (const entry of [n, ...n.resolvers]) {
          const resolver = 'resolver' in entry ? entry.resolver : null;
          const row = rows.find((r) => r.network === n.network && r.resolver === resolver)!;
          expect(row, `${n.network} ${resolver}`).toMatchObject({
            reports: entry.reports,
            cells: {
              resolved: sum(entry.verdicts, ['ok']),
              filtered: sum(entry.verdicts, ['filtered-servfail', 'filtered-nodata', 'filtered-refused', 'nxdomain']),
              timeout: sum(entry.verdicts, ['timeout']),
              other: sum(entry.verdicts, ['not-published', 'mismatch', 'unreachable', 'dns64']),
            },
          });
        }
      }
      const grid = await page.locator('#grid').boundingBox();
      expect(grid!.width).toBeGreaterThan(width < 500 ? 330 : 380);
      if (screenshots) {
        mkdirSync(screenshots, { recursive: true });
        await page.screenshot({ path: join(screenshots, `support-${width}.png`), fullPage: true });
      }
      await page.close();
    });
  }

  it('filters by verdict and period from the form, and sorts from the grid heads', async () => {
    const page = await open('/support', 390);
    await page.selectOption('#filters select[name="verdict"]', 'filtered-servfail');
    await page.selectOption('#filters select[name="days"]', '7');
    await Promise.all([page.waitForURL(/verdict=filtered-servfail/), page.click('#filters button')]);
    expect(new URL(page.url()).searchParams.get('days')).toBe('7');
    await expectNoHorizontalScroll(page);
    // Only the ISPs whose reports this week had a SERVFAIL, the share of it highest first.
    const api = await compat('?days=7');
    const servfail = api.networks.filter((n) => n.verdicts['filtered-servfail']! > 0);
    const rows = (await gridRows(page)).filter((r) => r.resolver === null);
    expect(rows.map((r) => r.network).sort()).toEqual(servfail.map((n) => n.network).sort());
    const shares = rows.map((r) => r.cells.verdict! / r.reports);
    expect(shares).toEqual([...shares].sort((a, b) => b - a));
    // The weekly bars colour the picked verdict only.
    const segments = await page.$$eval('#weekly rect[data-verdict]', (rects) => [
      ...new Set(rects.map((r) => r.getAttribute('data-verdict'))),
    ]);
    expect(segments.sort()).toEqual(['filtered-servfail', 'other verdicts']);
    // A column head sorts; the same head again flips the order.
    await Promise.all([page.waitForURL(/sort=network/), page.click('#grid a[data-sort="network"]')]);
    const names = (await gridRows(page)).filter((r) => r.resolver === null).map((r) => r.network);
    await Promise.all([page.waitForURL(/order=desc/), page.click('#grid a[data-sort="network"]')]);
    expect((await gridRows(page)).filter((r) => r.resolver === null).map((r) => r.network)).toEqual(
      [...names].reverse(),
    );
    await page.close();
  });

  it("an ISP's name in the grid shows that ISP alone, with every resolver", async () => {
    const page = await open('/support', 1280);
    await Promise.all([
      page.waitForURL(/isp=AS15557/),
      page.click('#grid g[data-network="AS15557"]:not([data-resolver]) a'),
    ]);
    expect(await page.$$eval('#weekly figure', (f) => f.map((x) => x.getAttribute('data-network')))).toEqual([
      'AS15557',
    ]);
    expect((await gridRows(page)).map((r) => r.resolver)).toEqual([
      null,
      'doh:https://doh.example.net/dns-query',
      'system (192.168.1.1)',
    ]);
    await expect(page.locator('#filters select[name="isp"]').inputValue()).resolves.toBe('AS15557');
    await page.close();
  });

  it('answers a bad filter with a problem, not a page', async () => {
    for (const query of ['verdict=bogus', 'days=-1', 'sort=colour', 'order=up']) {
      const res = await fetch(`${manager.url}/support?${query}`, { headers: { authorization: `Bearer ${token}` } });
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/problem\+json/);
    }
  });

  it('drills down to a licence and a node, with the evidence; no page scrolls sideways on a phone', async () => {
    const page = await open('/support', 390);
    await page.click('#licences a:text("5678")');
    await page.waitForURL(/\/support\/licences\/5678$/);
    await expectNoHorizontalScroll(page);
    const nodes = await page.$$eval('#nodes tr[data-node]', (rows) =>
      rows.map((r) => [r.getAttribute('data-node'), r.children[1]?.textContent]),
    );
    expect(nodes).toEqual([
      ['nur1', 'filtered-servfail'],
      ['nur2', 'timeout'],
    ]);
    await page.click('#nodes a:text("nur2")');
    await page.waitForURL(/\/nodes\/nur2$/);
    await expectNoHorizontalScroll(page);
    expect(await page.$$eval('#reports tbody tr', (rows) => rows.length)).toBe(2);
    await page.click('#reports summary >> nth=0');
    await expect(page.locator('#reports pre').first().textContent()).resolves.toMatch(/"checks"/);
    await page.close();
  });
});
