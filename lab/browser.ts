// A phone's browser: Debian's Chromium through playwright-core, run inside the phone's namespace
// (so it uses the phone's routes and, through `ip netns exec`, the phone's resolv.conf). It opens
// the app from the public app store and makes the app's API calls through the hairpin client,
// with the Local Network Access permission granted or not. Prints one JSON line.
//
//   node lab/browser.ts '{"appOrigin":"https://pl-1001.apps…","mountPoint":"https://i-nur1…:8443/",…}'
import type { OriginSwitchEvent, TransportFailureEvent } from '../client/index.ts';
import { appClientOptions, launchPhoneChromium, type PhoneBrowser } from './phone-browser.ts';

export interface BrowserRun extends PhoneBrowser {
  grant: boolean;
  calls: number;
}

export interface BrowserCall {
  ms: number;
  origin?: string;
  code?: string;
  message?: string;
}

export interface BrowserResult {
  calls: BrowserCall[];
  switches: string[];
  failures: string[];
  permission: string;
  /** Transport failures seen at the internal origin (an LNA denial counts as one). */
  internalAttempts: number;
}

async function run(spec: BrowserRun): Promise<BrowserResult> {
  const browser = await launchPhoneChromium(spec);
  try {
    const context = await browser.newContext();
    const page = await context.newPage();
    if (spec.grant) await context.grantPermissions(['local-network-access'], { origin: spec.appOrigin });
    else {
      // The shop's user said no earlier: the state is "denied", not "prompt" (Playwright can only grant).
      // Browser.setPermission acts on the default context unless told which one.
      const cdp = await context.newCDPSession(page);
      const { targetInfo } = await cdp.send('Target.getTargetInfo');
      await cdp.send('Browser.setPermission', {
        permission: { name: 'local-network-access' },
        setting: 'denied',
        origin: spec.appOrigin,
        browserContextId: targetInfo.browserContextId!,
      });
    }
    await page.goto(`${spec.appOrigin}/`, { timeout: 15_000 });
    await page.waitForFunction(() => 'hairpin' in window, undefined, { timeout: 15_000 });
    return await page.evaluate(
      async ({ options, calls }) => {
        // biome-ignore lint/suspicious/noExplicitAny: the page's globals come from the client's browser bundle, untyped here
        const w = window as unknown as Record<string, any>;
        const log = { switches: [] as string[], failures: [] as string[], internalAttempts: 0 };
        const client = w.hairpin.createHairpinClient(options);
        const internal: string = client.internalOrigin;
        client.addEventListener('switch', (event: Event) => {
          const e = event as OriginSwitchEvent;
          log.switches.push(`${e.reason}→${e.to === null ? 'none' : new URL(e.to).hostname}`);
        });
        client.addEventListener('failure', (event: Event) => {
          const { failure } = event as TransportFailureEvent;
          log.failures.push(`${failure.kind}@${new URL(failure.origin).hostname}`);
          if (failure.origin === internal) log.internalAttempts++;
        });
        const results: Array<{ ms: number; origin?: string; code?: string; message?: string }> = [];
        for (let i = 0; i < calls; i++) {
          const t = performance.now();
          try {
            const res = await client.fetch('/v1/items');
            await res.json();
            results.push({ ms: Math.round(performance.now() - t), origin: new URL(res.url).origin });
          } catch (e) {
            const { code, message } = e as { code?: string; message: string };
            results.push({ ms: Math.round(performance.now() - t), code, message });
            break;
          }
        }
        client.close();
        const permission = (await navigator.permissions.query({ name: 'local-network-access' as PermissionName }))
          .state;
        return {
          calls: results,
          switches: log.switches,
          failures: log.failures,
          permission,
          internalAttempts: log.internalAttempts,
        };
      },
      { options: appClientOptions(spec), calls: spec.calls },
    );
  } finally {
    await browser.close();
  }
}

if (import.meta.main) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as BrowserRun;
  console.log(JSON.stringify(await run(spec)));
}
