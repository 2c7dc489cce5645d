// The internet's services, each started the way its operator would: the manager through the
// `hairpin manager` CLI (HTTP API + port-53 server), Pebble as the ACME CA, and the app store
// that serves the web app from `pl-{licence}.apps.<zone>`.
import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestPki } from './pki.ts';
import { BOXES, INET, names, SERVICES, ttls, ZONE } from './plan.ts';
import { type Daemon, inNs, startDaemon, waitFor } from './shell.ts';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const MANAGER_URL = `http://${SERVICES.manager}`;
export const PEBBLE_DIRECTORY = `https://${SERVICES.pebble}:14000/dir`;

export interface Internet {
  adminToken: string;
  /** PEM bundle every lab host trusts: the lab's own CA (Pebble's listener, the app store) and Pebble's root. */
  trustFile: string;
  /** base64 SHA-256 SPKI hashes Chromium accepts (the app store's key, Pebble's intermediate). */
  spkiHashes: string[];
  appOrigin: (licence: string) => string;
  daemons: Daemon[];
}

/** Run the Node 22 this lab runs on, inside a namespace. */
export function startNode(
  ns: string,
  script: string,
  args: string[],
  log: string,
  env: NodeJS.ProcessEnv = {},
): Daemon {
  return startDaemon(ns, process.execPath, [script, ...args], log, { ...process.env, ...env });
}

/** A fetch from inside a namespace (curl, bounded): the lab's own process stays in the host's namespace. */
async function curlInNs(ns: string, url: string, extra: string[] = []): Promise<string> {
  return inNs(ns, 'curl', ['-sS', '--max-time', '5', ...extra, url]);
}

export async function startInternet(dir: string): Promise<Internet> {
  const adminToken = `hpa_lab_${randomBytes(12).toString('hex')}`;
  const pki = createTestPki();
  const daemons: Daemon[] = [];
  try {
    const manager = startNode(INET, join(ROOT, 'bin/hairpin.js'), ['manager'], join(dir, 'manager.log'), {
      HAIRPIN_ZONE: ZONE,
      HAIRPIN_DB: join(dir, 'manager.sqlite'),
      HAIRPIN_ADMIN_TOKEN: adminToken,
      HAIRPIN_HTTP_HOST: SERVICES.manager,
      HAIRPIN_HTTP_PORT: '80',
      HAIRPIN_DNS_HOST: SERVICES.manager,
      HAIRPIN_DNS_PORT: '53',
      HAIRPIN_NAMESERVERS: `ns1.${ZONE}=${SERVICES.manager}`,
      HAIRPIN_APPS_TARGET: SERVICES.apps,
      HAIRPIN_CANARY_PUBLIC_IPV4: SERVICES.canaryPublic,
      // Both names at the lab's TTL (its rows must outlive a TTL and stay short), or production's.
      HAIRPIN_ADDRESS_TTL: String(ttls().externalSeconds),
      HAIRPIN_INTERNAL_TTL: String(ttls().internalSeconds),
      // The relay: its names point at the manager, whose port 443 passes TLS through by SNI.
      HAIRPIN_RELAY_TARGET: SERVICES.manager,
      HAIRPIN_RELAY_PORT: '443',
    });
    daemons.push(manager);

    const pebbleTls = pki.issue([], [SERVICES.pebble]);
    await writeFile(join(dir, 'pebble.pem'), pebbleTls.cert);
    await writeFile(join(dir, 'pebble.key'), pebbleTls.key);
    await writeFile(
      join(dir, 'pebble.json'),
      JSON.stringify({
        pebble: {
          listenAddress: `${SERVICES.pebble}:14000`,
          managementListenAddress: `${SERVICES.pebble}:15000`,
          certificate: join(dir, 'pebble.pem'),
          privateKey: join(dir, 'pebble.key'),
          httpPort: 5002,
          tlsPort: 5001,
          ocspResponderURL: '',
          externalAccountBindingRequired: false,
        },
      }),
    );
    // DNS-01 is checked against the zone's authoritative server, as public CAs do.
    daemons.push(
      startDaemon(
        INET,
        'pebble',
        ['-config', join(dir, 'pebble.json'), '-dnsserver', `${SERVICES.manager}:53`],
        join(dir, 'pebble.log'),
        {
          ...process.env,
          PEBBLE_VA_NOSLEEP: '1',
          PEBBLE_WFE_NONCEREJECT: '0',
          PEBBLE_AUTHZREUSE: '0',
        },
      ),
    );

    const apps = BOXES.map((b) => names.apps(b.node.licence));
    const appTls = pki.issue(apps);
    await writeFile(join(dir, 'apps.pem'), appTls.cert);
    await writeFile(join(dir, 'apps.key'), appTls.key);
    await writeFile(join(dir, 'lab-ca.pem'), pki.caPem);
    daemons.push(
      startNode(
        INET,
        join(ROOT, 'lab/app-store.ts'),
        [`${SERVICES.apps}:443`, join(dir, 'apps.pem'), join(dir, 'apps.key')],
        join(dir, 'app-store.log'),
      ),
    );

    await waitFor(
      'manager /healthz',
      async () => (await curlInNs(INET, `${MANAGER_URL}/healthz`)).length > 0,
      20_000,
      200,
    );
    const mgmt = ['--cacert', join(dir, 'lab-ca.pem')];
    await waitFor(
      'pebble',
      async () => (await curlInNs(INET, PEBBLE_DIRECTORY, mgmt)).includes('newAccount'),
      20_000,
      200,
    );
    const root = await curlInNs(INET, `https://${SERVICES.pebble}:15000/roots/0`, mgmt);
    const intermediate = await curlInNs(INET, `https://${SERVICES.pebble}:15000/intermediates/0`, mgmt);
    const trustFile = join(dir, 'trust.pem');
    await writeFile(trustFile, `${pki.caPem.trim()}\n${root.trim()}\n`);
    await waitFor(
      'app store',
      async () =>
        (
          await curlInNs(INET, `https://${apps[0]}/`, [
            '--cacert',
            trustFile,
            '--resolve',
            `${apps[0]}:443:${SERVICES.apps}`,
          ])
        ).includes('<html'),
      20_000,
      200,
    );
    return {
      adminToken,
      trustFile,
      spkiHashes: [appTls.spki, spkiOf(intermediate)],
      appOrigin: (licence) => `https://${names.apps(licence)}`,
      daemons,
    };
  } finally {
    pki.dispose();
  }
}

function spkiOf(pem: string): string {
  return createHash('sha256')
    .update(new X509Certificate(pem).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64');
}
