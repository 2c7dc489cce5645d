// What the lab's two browser scripts share (lab/browser.ts, lab/outage-browser.ts): the phone's
// Chromium, trusting the lab's certificates and classing the lab's "public" addresses as public,
// and the hairpin client as the app in the page makes it.
import type { Browser } from 'playwright-core';
import { launchChromium } from './chromium.ts';

export interface PhoneBrowser {
  appOrigin: string;
  mountPoint: string;
  /** The relay origin pairing handed out, when it did. */
  relayOrigin?: string;
  /** base64 SHA-256 SPKI hashes whose certificates Chromium accepts (lab CA, Pebble). */
  spki: string[];
  /** The lab's "public" addresses are in 198.18.0.0/15, which Chromium would class as non-public. */
  publicEndpoints: string[];
}

export function launchPhoneChromium(spec: PhoneBrowser): Promise<Browser> {
  return launchChromium([
    `--ip-address-space-overrides=${spec.publicEndpoints.map((e) => `${e}=public`).join(',')}`,
    `--ignore-certificate-errors-spki-list=${spec.spki.join(',')}`,
  ]);
}

/**
 * What the app passes to `createHairpinClient` (serialisable: it crosses into the page): nothing
 * remembered from earlier runs, and re-probes a row can wait for.
 */
export function appClientOptions(spec: PhoneBrowser) {
  return {
    mountPoint: spec.mountPoint,
    storage: null,
    reprobe: { initialMs: 500, maxMs: 1000 },
    ...(spec.relayOrigin ? { relayOrigin: spec.relayOrigin } : {}),
  };
}
