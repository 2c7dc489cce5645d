import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../lab/chromium.ts';
import { createTestPki, type TestPki } from '../lab/pki.ts';
import { startNamedNodes, type TestNode } from '../test/support/node-server.ts';
import { browserBundle } from './bundle.ts';

// The shop's internet line cut under a Chromium page: the app store (public, loopback 127.0.0.1)
// and the node's external origin stop answering, the node's internal origin (the LAN, 127.0.0.2)
// keeps answering. The app's service worker keeps the shell and routes /api/ through the client.
const app = 'pl-1234.apps.example.test';
const names = { external: 'nur1.pl-1234.example.test', internal: 'i-nur1.pl-1234.example.test' };

let pki: TestPki;
let appServer: https.Server;
let appPort: number;
let appOrigin: string;
let internal: TestNode;
let external: TestNode;
let browser: Browser;
/** Answers the app store gave, per path; the page and the logo carry a counter so a cached copy shows. */
const served = new Map<string, number>();
/** While set, the app store accepts requests for the logo and never answers them (a line that drops packets). */
let logoHangs = false;

function listenApp(port: number): Promise<void> {
  return new Promise((resolve) => appServer.listen(port, '127.0.0.1', () => resolve()));
}

function cutApp(): Promise<void> {
  appServer.closeAllConnections();
  return new Promise((resolve) => appServer.close(() => resolve()));
}

beforeAll(async () => {
  pki = createTestPki();
  const appCert = pki.issue([app]);
  const nodeCert = pki.issue([names.external, names.internal]);
  ({ internal, external } = await startNamedNodes(names, nodeCert));
  const clientJs = await browserBundle();
  const swJs = await browserBundle(`import { keepAppShell, routeThroughHairpin } from './index.ts';
    keepAppShell(self, { version: '1', shell: ['/', '/client.js'], pathPrefix: '/api/' });
    routeThroughHairpin(self, { mountPoint: ${JSON.stringify(`${internal.origin}/`)}, otherOrigin: ${JSON.stringify(external.origin)}, pathPrefix: '/api/', storage: null });
    self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));`);
  appServer = https.createServer(appCert, (req, res) => {
    const path = req.url ?? '/';
    const count = (served.get(path) ?? 0) + 1;
    served.set(path, count);
    if (path === '/client.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(clientJs);
    if (path === '/sw.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(swJs);
    if (path === '/logo.txt' && logoHangs) return;
    if (path === '/logo.txt') return void res.writeHead(200, { 'content-type': 'text/plain' }).end(`logo ${count}`);
    // The browser's /favicon.ico among them: an error answer is never cached.
    if (path !== '/') return void res.writeHead(404).end();
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(
        `<!doctype html><title>app ${count}</title><script type="module">import * as h from "/client.js"; window.hairpin = h;</script>`,
      );
  });
  await listenApp(0);
  appPort = (appServer.address() as AddressInfo).port;
  appOrigin = `https://${app}:${appPort}`;
  browser = await launchChromium([
    `--host-resolver-rules=MAP ${app} 127.0.0.1, MAP ${names.external} 127.0.0.1, MAP ${names.internal} 127.0.0.2`,
    `--ip-address-space-overrides=127.0.0.1:${appPort}=public,127.0.0.1:${external.port}=public,127.0.0.2:${internal.port}=local`,
    `--ignore-certificate-errors-spki-list=${appCert.spki},${nodeCert.spki}`,
  ]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await Promise.allSettled([internal?.stop(), external?.stop(), new Promise((r) => appServer?.close(r))]);
  pki?.dispose();
});

/** What a same-origin fetch from the page gives: the text, or the error. */
function get(page: Page, path: string): Promise<string> {
  return page.evaluate(async (p) => {
    try {
      const res = await fetch(p);
      return p.startsWith('/api/') ? ((await res.json()).served as string) : await res.text();
    } catch (e) {
      return `error: ${String(e)}`;
    }
  }, path);
}

describe('Chromium: the app shell in the service worker', () => {
  it('a reload works with the internet line cut, the LAN calls keep working, API answers are never cached', async () => {
    const context = await browser.newContext();
    await context.grantPermissions(['local-network-access'], { origin: appOrigin });
    const page = await context.newPage();
    try {
      await page.goto(`${appOrigin}/`);
      await page.evaluate(async () => {
        await navigator.serviceWorker.register('/sw.js', { type: 'module' });
        await navigator.serviceWorker.ready;
      });
      await page.reload();
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
      expect(await get(page, '/logo.txt')).toBe('logo 1');
      expect(await get(page, '/api/v1/stock')).toBe('internal');
      // A network that does not answer loses to the copy after networkTimeoutMs (3 s).
      logoHangs = true;
      expect(await get(page, '/logo.txt')).toBe('logo 1');
      logoHangs = false;

      // Cache first for the shell: a reload while online does not ask the app store for the page.
      const pageAnswers = served.get('/');
      await page.reload();
      await page.waitForFunction(() => 'hairpin' in window);
      expect(served.get('/')).toBe(pageAnswers);

      // The line goes down: the app store and the external origin are gone, the LAN is not.
      await cutApp();
      await external.stop();
      try {
        await page.reload();
        await page.waitForFunction(() => 'hairpin' in window);
        expect(await page.title()).toMatch(/^app \d+$/);
        // Network first for the rest: the copy from before the cut.
        expect(await get(page, '/logo.txt')).toBe('logo 1');
        expect(await get(page, '/api/v1/stock')).toBe('internal');
        const cached = await page.evaluate(async () => {
          const urls: string[] = [];
          for (const name of await caches.keys())
            for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
          return urls.sort();
        });
        expect(cached).toEqual(['/', '/client.js', '/logo.txt']);
        // With the node gone as well, an API call fails: no answer from a cache stands in for it.
        await internal.stop();
        expect(await get(page, '/api/v1/stock')).toMatch(/^error: /);
        await internal.start();
      } finally {
        await listenApp(appPort);
        await external.start();
      }
      // The line is back: the network's answer again.
      expect(await get(page, '/logo.txt')).toBe('logo 3');
    } finally {
      await context.close();
    }
  });
});
