// The support page in a real browser (Debian's Chromium through playwright-core): it renders,
// its numbers are those of GET /v1/compat, and the drill-down reaches a node's evidence.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dohTransport } from '../../probe/doh.ts';
import { probeNode } from '../../probe/probe.ts';
import { postProbeReport } from '../../probe/report.ts';
import { VERDICT_CODES, type Verdict } from '../../probe/verdicts.ts';
import { CHROMIUM, CHROMIUM_ARGS } from '../../lab/chromium.ts';
import { ADMIN_TOKEN, startTestManager, type TestManager } from '../support/manager.ts';

const have = existsSync(CHROMIUM);
if (!have && process.env.CI) throw new Error(`CI needs ${CHROMIUM} (scripts/install-system-packages.sh)`);

let manager: TestManager;
let context: BrowserContext;
let profile: string;
let token: string;
export let screenshotPath = '';

/** Who reported what: network label, verdicts in order, hairpin self-test. */
const FIELD: [string, string, string, Verdict[], boolean | null][] = [
  ['1234', 'nur1', 'orange-pro', ['ok', 'ok', 'ok', 'ok'], false],
  ['1234', 'nur2', 'orange-pro', ['ok', 'mismatch'], false],
  ['5678', 'nur1', 'free', ['filtered-servfail', 'filtered-servfail', 'filtered-servfail'], true],
  ['5678', 'nur2', 'free', ['filtered-servfail', 'timeout'], true],
  ['9012', 'nur1', 'sfr-box', ['filtered-nodata', 'ok', 'nxdomain'], null],
];

beforeAll(async () => {
  manager = await startTestManager();
  const doh = dohTransport(`${manager.url}/dns-query`);
  for (const [licence, node, label, verdicts, hairpins] of FIELD) {
    const credential = await manager.enrol(licence, node);
    await manager.report(licence, node, credential, { privateIpv4: '192.168.1.10' });
    const result = await probeNode({ names: { internal: `i-${node}.pl-${licence}.example.test` }, truth: doh, resolver: doh });
    for (const verdict of verdicts) {
      await postProbeReport(manager.url, licence, node, credential, { result: { ...result, verdict, reason: `field: ${verdict}`, resolver: 'system (192.168.1.1)' }, hairpins, network: { label } });
    }
  }
  const res = await fetch(`${manager.url}/v1/support-tokens`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ subject: 'chromium-test' }) });
  token = ((await res.json()) as { token: string }).token;
  if (!have) return;
  profile = mkdtempSync(join(tmpdir(), 'hairpin-support-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1600, height: 900 },
  });
}, 60_000);

afterAll(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await manager?.close();
});

describe.skipIf(!have)('support page in Chromium', () => {
  it('needs the support role: without a token the page is a 401 problem', async () => {
    const page = await context.newPage();
    const response = await page.goto(`${manager.url}/support`);
    expect(response?.status()).toBe(401);
    await page.close();
  });

  it('renders the verdict shares per network, with the numbers of /v1/compat', async () => {
    const page = await context.newPage();
    // The token link sets an HttpOnly cookie and redirects to the clean URL.
    await page.goto(`${manager.url}/support?token=${token}`);
    expect(new URL(page.url()).search).toBe('');
    await expect(page.title()).resolves.toMatch(/ISP compatibility/);
    const shown = await page.$$eval('#networks > tbody > tr[data-network]', (rows) => rows.map((row) => ({
      network: row.getAttribute('data-network'),
      reports: Number(row.querySelector(':scope > td[data-field="reports"]')?.textContent),
      resolved: Number(row.querySelector(':scope > td[data-field="resolved"]')?.textContent),
      verdicts: Object.fromEntries([...row.querySelectorAll(':scope > td[data-verdict]')].map((td) => [td.getAttribute('data-verdict'), Number(td.textContent)])),
      bars: row.querySelectorAll(':scope > td:last-child > svg > rect').length,
    })));
    const api = (await (await fetch(`${manager.url}/v1/compat`, { headers: { authorization: `Bearer ${token}` } })).json()) as { networks: { network: string; reports: number; resolved: number; verdicts: Record<string, number> }[] };
    expect(shown.map((s) => s.network)).toEqual(api.networks.map((n) => n.network));
    for (const n of api.networks) {
      const row = shown.find((s) => s.network === n.network)!;
      expect(row).toMatchObject({ reports: n.reports, resolved: n.resolved, verdicts: n.verdicts });
      expect(row.bars).toBe(VERDICT_CODES.filter((v) => n.verdicts[v]! > 0).length);
    }
    expect(shown.find((s) => s.network === 'label:free')).toMatchObject({ reports: 5, resolved: 0, verdicts: { 'filtered-servfail': 4, timeout: 1 } });
    screenshotPath = join(tmpdir(), `hairpin-support-${process.pid}.png`);
    await page.screenshot({ path: screenshotPath, fullPage: true });
    console.log(`support page screenshot: ${screenshotPath}`);
    await page.close();
  });

  it('drills down to a licence and a node, with the evidence', async () => {
    const page = await context.newPage();
    await page.goto(`${manager.url}/support`);
    await page.click('#licences a:text("5678")');
    await page.waitForURL(/\/support\/licences\/5678$/);
    const nodes = await page.$$eval('#nodes tr[data-node]', (rows) => rows.map((r) => [r.getAttribute('data-node'), r.children[1]?.textContent]));
    expect(nodes).toEqual([['nur1', 'filtered-servfail'], ['nur2', 'timeout']]);
    await page.click('#nodes a:text("nur2")');
    await page.waitForURL(/\/nodes\/nur2$/);
    expect(await page.$$eval('#reports tbody tr', (rows) => rows.length)).toBe(2);
    await page.click('#reports summary >> nth=0');
    await expect(page.locator('#reports pre').first().textContent()).resolves.toMatch(/"checks"/);
    await page.close();
  });
});
