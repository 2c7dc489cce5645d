// A phone's browser through an internet outage: Chromium (lab/chromium.ts) inside the phone's
// namespace opens the app from the public app store, calls the node once a second through the
// hairpin client, reloads the app when the lab says (while the line is down, as a user would),
// and keeps reloading once a second after a failed reload until the app is back. The lab steers
// it with files (ready, reload, stop); times are wall-clock (ms since the epoch), shared with the
// lab that cuts the line. Prints one JSON line.
//
//   node lab/outage-browser.ts '{"appOrigin":"https://pl-1001.apps…","mountPoint":"https://i-nur1…:8443/",…}'
import { existsSync, writeFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { appClientOptions, launchPhoneChromium, type PhoneBrowser } from './phone-browser.ts';

export interface OutageBrowserRun extends PhoneBrowser {
  /** The path each call asks for (`/v1/items?close`: a new connection, so a name lookup, each call). */
  path: string;
  intervalMs: number;
  /** Created once the app made a successful call; reload once `reloadFile` exists; stop once `stopFile` does. */
  readyFile: string;
  reloadFile: string;
  stopFile: string;
}

export interface OutageCall {
  at: number;
  ms: number;
  ok: boolean;
  origin?: string;
  /** The client's error code and message, as the app would show it. */
  error?: string;
}

export interface OutageLoad {
  at: number;
  ms: number;
  ok: boolean;
  /** Served by the app's service worker (the page is controlled by one after loading). */
  fromServiceWorker: boolean;
  /** Chromium's error (net::ERR_…) when the app did not load: what the user sees is its error page. */
  error?: string;
}

export interface OutageBrowserResult {
  loads: OutageLoad[];
  calls: OutageCall[];
}

/** Load (or reload) the app and make its client; false when the app did not load. */
async function load(page: Page, spec: OutageBrowserRun, loads: OutageLoad[], reload: boolean): Promise<boolean> {
  const at = Date.now();
  try {
    if (reload) await page.reload({ timeout: 15_000 });
    else await page.goto(`${spec.appOrigin}/`, { timeout: 15_000 });
    await page.waitForFunction(() => 'hairpin' in window, undefined, { timeout: 10_000 });
    // The first load waits for the app's service worker to control the page, as a shop's tablet
    // has long had it by the time the line drops.
    if (!reload && loads.length === 0)
      await page.waitForFunction(() => navigator.serviceWorker?.controller != null, undefined, { timeout: 15_000 });
    const fromServiceWorker = await page.evaluate((options) => {
      // biome-ignore lint/suspicious/noExplicitAny: the page's globals come from the client's browser bundle, untyped here
      const w = window as unknown as Record<string, any>;
      w.outageClient = w.hairpin.createHairpinClient(options);
      return navigator.serviceWorker?.controller != null;
    }, appClientOptions(spec));
    loads.push({ at, ms: Date.now() - at, ok: true, fromServiceWorker });
    return true;
  } catch (error) {
    const message = (error as Error).message;
    loads.push({
      at,
      ms: Date.now() - at,
      ok: false,
      fromServiceWorker: false,
      error: /net::ERR_[A-Z_]+/.exec(message)?.[0] ?? message.split('\n')[0],
    });
    return false;
  }
}

async function call(page: Page, path: string): Promise<OutageCall> {
  const at = Date.now();
  const r = await page
    .evaluate(async (path) => {
      // biome-ignore lint/suspicious/noExplicitAny: the page's globals come from the client's browser bundle, untyped here
      const w = window as unknown as Record<string, any>;
      try {
        const res = await w.outageClient.fetch(path, { signal: AbortSignal.timeout(15_000) });
        await res.arrayBuffer();
        return { ok: res.ok as boolean, origin: new URL(res.url).origin };
      } catch (e) {
        const { code, name, message } = e as { code?: string; name: string; message: string };
        return { ok: false, error: `${code ?? name}: ${message}` };
      }
    }, path)
    .catch((e: Error) => ({ ok: false, error: e.message.split('\n')[0] }));
  return { at, ms: Date.now() - at, ...r };
}

async function run(spec: OutageBrowserRun): Promise<OutageBrowserResult> {
  const browser = await launchPhoneChromium(spec);
  const loads: OutageLoad[] = [];
  const calls: OutageCall[] = [];
  try {
    const context = await browser.newContext();
    await context.grantPermissions(['local-network-access'], { origin: spec.appOrigin });
    const page = await context.newPage();
    let loaded = await load(page, spec, loads, false);
    let reloaded = false;
    while (!existsSync(spec.stopFile)) {
      const tick = Date.now();
      if (!reloaded && existsSync(spec.reloadFile)) {
        reloaded = true;
        loaded = await load(page, spec, loads, true);
      } else if (!loaded) {
        // The user presses reload again, once a second, until the app is back.
        loaded = await load(page, spec, loads, false);
      } else {
        const c = await call(page, spec.path);
        calls.push(c);
        if (c.ok && !existsSync(spec.readyFile)) writeFileSync(spec.readyFile, '');
      }
      await new Promise((r) => setTimeout(r, Math.max(0, spec.intervalMs - (Date.now() - tick))));
    }
  } finally {
    await browser.close();
  }
  return { loads, calls };
}

if (import.meta.main) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as OutageBrowserRun;
  console.log(JSON.stringify(await run(spec)));
}
