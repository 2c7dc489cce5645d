import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../lab/chromium.ts';
import { createTestPki, type TestPki } from '../lab/pki.ts';
import { startNamedNodes, type TestNode } from '../test/support/node-server.ts';
import { browserBundle } from './bundle.ts';

// Debian's Chromium through playwright-core. Loopback servers play the three parties: the app
// store (public), the node's external origin (public) and its internal origin (a LAN address, via
// --ip-address-space-overrides), so Local Network Access applies exactly as in a shop.
const app = 'pl-1234.apps.example.test';
const names = { external: 'nur1.pl-1234.example.test', internal: 'i-nur1.pl-1234.example.test' };
const unresolvable = 'i-nur2.pl-1234.example.test';

let pki: TestPki;
let appServer: https.Server;
let appOrigin: string;
let internal: TestNode;
let external: TestNode;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  pki = createTestPki();
  const appCert = pki.issue([app]);
  const nodeCert = pki.issue([names.external, names.internal]);
  const clientJs = await browserBundle();
  ({ internal, external } = await startNamedNodes(names, nodeCert));
  // The service worker of an app that knows nothing of hairpin: it only calls /api/….
  const swJs = await browserBundle(`import { routeThroughHairpin } from './index.ts';
    routeThroughHairpin(self, { mountPoint: ${JSON.stringify(`${internal.origin}/`)}, otherOrigin: ${JSON.stringify(external.origin)}, pathPrefix: '/api/', storage: null });
    self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));`);
  appServer = https.createServer(appCert, (req, res) => {
    if (req.url === '/client.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(clientJs);
    if (req.url === '/sw.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(swJs);
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(
        '<!doctype html><title>app</title><script type="module">import * as h from "/client.js"; window.hairpin = h;</script>',
      );
  });
  await new Promise<void>((resolve) => appServer.listen(0, '127.0.0.1', () => resolve()));
  const appPort = (appServer.address() as AddressInfo).port;
  appOrigin = `https://${app}:${appPort}`;
  browser = await launchChromium([
    `--host-resolver-rules=MAP ${app} 127.0.0.1, MAP ${names.external} 127.0.0.1, MAP ${names.internal} 127.0.0.2, MAP ${unresolvable} ~NOTFOUND`,
    `--ip-address-space-overrides=127.0.0.1:${appPort}=public,127.0.0.1:${external.port}=public,127.0.0.2:${internal.port}=local`,
    `--ignore-certificate-errors-spki-list=${appCert.spki},${nodeCert.spki}`,
  ]);
}, 60_000);

afterEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
  // A test may leave the internal node stopped; the next one expects it up.
  await internal.start().catch(() => undefined);
});

afterAll(async () => {
  await browser?.close();
  await Promise.allSettled([internal?.stop(), external?.stop(), new Promise((r) => appServer?.close(r))]);
  pki?.dispose();
});

async function openApp(grant: boolean): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  if (grant) await context.grantPermissions(['local-network-access'], { origin: appOrigin });
  const page = await context.newPage();
  await page.goto(`${appOrigin}/`);
  await page.waitForFunction(() => 'hairpin' in window);
  return page;
}

type PageState = {
  current: string | null;
  switches: string[];
  failures: string[];
  internalCalls: number;
  permission: string;
};

/** Creates `window.client` in the page; every fetch it makes to the internal origin is counted. */
async function startClient(page: Page, mountPoint: string, { reprobeMs = 200, raceDelayMs = 250 } = {}): Promise<void> {
  await page.evaluate(
    ({ mountPoint, otherOrigin, internalOrigin, reprobeMs, raceDelayMs }) => {
      const w = window as unknown as Record<string, any>;
      w.log = { switches: [] as string[], failures: [] as string[], internalCalls: 0 };
      w.client = w.hairpin.createHairpinClient({
        mountPoint,
        otherOrigin,
        storage: null,
        raceDelayMs,
        reprobe: { initialMs: reprobeMs, maxMs: 2 * reprobeMs },
        fetch: (input: RequestInfo | URL, init?: RequestInit) => {
          if (String(input).startsWith(internalOrigin)) w.log.internalCalls++;
          return fetch(input, init);
        },
      });
      w.client.addEventListener('switch', (e: any) =>
        w.log.switches.push(`${e.reason}:${e.to === null ? 'none' : new URL(e.to).hostname}`),
      );
      w.client.addEventListener('failure', (e: any) =>
        w.log.failures.push(`${e.failure.kind}@${new URL(e.failure.origin).hostname}`),
      );
    },
    { mountPoint, otherOrigin: external.origin, internalOrigin: internal.origin, reprobeMs, raceDelayMs },
  );
}

async function call(page: Page, path: string): Promise<{ served?: string; code?: string; message?: string }> {
  return page.evaluate(async (path) => {
    try {
      const res = await (window as any).client.fetch(path);
      return { served: (await res.json()).served as string };
    } catch (e: any) {
      return { code: e.code as string, message: e.message as string };
    }
  }, path);
}

async function state(page: Page): Promise<PageState> {
  return page.evaluate(async () => {
    const w = window as any;
    const permission = (await navigator.permissions.query({ name: 'local-network-access' as PermissionName })).state;
    return { current: w.client.current, ...w.log, permission };
  });
}

describe('Chromium', () => {
  it('LNA granted: stays internal, fails over when the internal node goes away, comes back when it returns', async () => {
    const page = await openApp(true);
    await startClient(page, `${internal.origin}/`);
    expect(await call(page, '/v1/a')).toEqual({ served: 'internal' });
    await internal.stop();
    expect(await call(page, '/v1/b')).toEqual({ served: 'external' });
    expect(await call(page, '/v1/c')).toEqual({ served: 'external' });
    await internal.start();
    await page.waitForFunction((origin) => (window as any).client.current === origin, internal.origin, {
      timeout: 10_000,
    });
    expect(await call(page, '/v1/d')).toEqual({ served: 'internal' });
    const s = await state(page);
    expect(s.permission).toBe('granted');
    expect(s.switches).toEqual([
      `race:${names.internal}`,
      `transport-failure:${names.external}`,
      `internal-back:${names.internal}`,
    ]);
    expect(s.failures[0]).toBe(`network@${names.internal}`);
  });

  it('LNA denied: moves to the external origin at once and does not ask again', async () => {
    const page = await openApp(false);
    const hitsBefore = [...internal.hits.values()].reduce((a, b) => a + b, 0);
    // A Happy Eyeballs delay far above any scheduling noise: the call must not wait for it, since
    // the denial is known as soon as the permission state is.
    await startClient(page, `${internal.origin}/`, { raceDelayMs: 30_000 });
    const t0 = Date.now();
    expect(await call(page, '/v1/a')).toEqual({ served: 'external' });
    expect(Date.now() - t0).toBeLessThan(15_000);
    // Long enough for several re-probe periods (200–400 ms) to pass.
    await page.waitForTimeout(1_200);
    expect(await call(page, '/v1/b')).toEqual({ served: 'external' });
    const s = await state(page);
    expect(s.permission).toBe('denied');
    expect(s.internalCalls).toBe(1);
    expect(s.failures).toEqual([`local-network-denied@${names.internal}`]);
    expect(s.switches).toEqual([`race:${names.external}`]);
    expect([...internal.hits.values()].reduce((a, b) => a + b, 0)).toBe(hitsBefore);

    await external.stop();
    try {
      const failed = await call(page, '/v1/c');
      expect(failed.code).toBe('ERR_LOCAL_NETWORK_DENIED');
      expect(failed.message).toContain('local-network-access');
      expect((await state(page)).internalCalls).toBe(1);
    } finally {
      await external.start();
    }
  });

  it("the browser's online event brings the client back to the internal origin without waiting for the re-probe", async () => {
    const page = await openApp(true);
    await startClient(page, `${internal.origin}/`, { reprobeMs: 600_000 });
    await internal.stop();
    expect(await call(page, '/v1/a')).toEqual({ served: 'external' });
    await internal.start();
    // Back on the shop's Wi-Fi: the page sees offline, then online.
    await page.context().setOffline(true);
    await page.waitForFunction(() => !navigator.onLine);
    await page.context().setOffline(false);
    await page
      .waitForFunction((origin) => (window as any).client.current === origin, internal.origin, { timeout: 10_000 })
      .catch(async (error: Error) => {
        throw new Error(`${error.message}\npage state: ${JSON.stringify(await state(page))}`);
      });
    expect((await state(page)).switches.at(-1)).toBe(`internal-back:${names.internal}`);
  });

  it('online fires before the internal origin is reachable: retried within seconds, not a re-probe period later', async () => {
    const page = await openApp(true);
    await startClient(page, `${internal.origin}/`, { reprobeMs: 600_000 });
    await internal.stop();
    expect(await call(page, '/v1/a')).toEqual({ served: 'external' });
    await page.context().setOffline(true);
    await page.waitForFunction(() => !navigator.onLine);
    await page.context().setOffline(false);
    // The probe the event starts fails: the shop's network has not settled yet.
    await page.waitForFunction(
      (host) => (window as any).log.failures.filter((f: string) => f.endsWith(`@${host}`)).length >= 2,
      names.internal,
    );
    await internal.start();
    await page.waitForFunction((origin) => (window as any).client.current === origin, internal.origin, {
      timeout: 10_000,
    });
    expect((await state(page)).switches.at(-1)).toBe(`internal-back:${names.internal}`);
  });

  it('internal name not found: the external origin answers', async () => {
    const page = await openApp(true);
    await startClient(page, `https://${unresolvable}:${internal.port}/`);
    expect(await call(page, '/v1/a')).toEqual({ served: 'external' });
    const s = await state(page);
    // Re-probes of the unresolvable name (every 200–400 ms) may add the same failure again.
    expect(new Set(s.failures)).toEqual(new Set([`network@${unresolvable}`]));
  });
});

describe('Chromium service worker', () => {
  it("routes an unchanged app's /api/ calls through the client, and fails over", async () => {
    const context = await browser.newContext();
    contexts.push(context);
    await context.grantPermissions(['local-network-access'], { origin: appOrigin });
    const page = await context.newPage();
    await page.goto(`${appOrigin}/`);
    const registered = await page.evaluate(async () => {
      await navigator.serviceWorker.register('/sw.js', { type: 'module' });
      await navigator.serviceWorker.ready;
      return true;
    });
    expect(registered).toBe(true);
    await page.reload();
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const api = (path: string) =>
      page.evaluate(async (p) => {
        try {
          return (await (await fetch(p)).json()).served as string;
        } catch (e) {
          return `error: ${String(e)}`;
        }
      }, path);
    expect(await api('/api/v1/stock')).toBe('internal');
    await internal.stop();
    expect(await api('/api/v1/stock')).toBe('external');
  });
});
