// The packages an app developer installs: @hairpin/client and @hairpin/probe, packed with
// `npm pack` (which builds them), installed offline into an empty project, then used the way an
// app would: imported by name from Node (and type-checked), bundled by esbuild for a browser and
// run in Chromium, published to JSR in a dry run by Deno.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium } from '../../lab/chromium.ts';
import { browserSize, CLIENT_GZIP_BUDGET } from '../../scripts/client-size.ts';
import { deno, haveDeno, root } from '../support/deno.ts';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { startTestNode, type TestNode } from '../support/node-server.ts';

const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI) throw new Error(`CI needs ${CHROMIUM} (scripts/install-system-packages.sh)`);

let work: string;
let app: string;
const tarballs: Record<string, string> = {};
// The node's two origins on loopback, as in a shop: the LAN one (127.0.0.2) and the public one.
const names = { internal: '127.0.0.2', external: '127.0.0.1' };
let internal: TestNode;
let external: TestNode;

const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout: 180_000,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });

/** Runs an ES module in the app project with Node, as the app would (bare package names); the servers it calls live in this process. */
async function node(script: string, ...args: string[]): Promise<string> {
  const file = join(app, `check-${Math.random().toString(36).slice(2)}.mjs`);
  writeFileSync(file, script);
  const { stdout } = await promisify(execFile)(process.execPath, [file, ...args], {
    cwd: app,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return stdout.trim();
}

/** The packages `dependencies` need, transitively, as installed in this checkout. */
function dependencyClosure(dependencies: Record<string, string> = {}, seen = new Set<string>()): string[] {
  for (const name of Object.keys(dependencies)) {
    if (seen.has(name)) continue;
    seen.add(name);
    dependencyClosure(
      JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')).dependencies,
      seen,
    );
  }
  return [...seen];
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'hairpin-packages-'));
  // npm pack runs each package's prepack (its build) and prints what it made.
  const packed = JSON.parse(
    run(
      'npm',
      ['pack', '--json', '--silent', '-w', '@hairpin/client', '-w', '@hairpin/probe', '--pack-destination', work],
      root,
    ),
  ) as { name: string; filename: string }[];
  for (const p of packed) tarballs[p.name] = join(work, p.filename);
  app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  // Offline: the client has no dependencies; the probe's (dns-packet and its types, with theirs)
  // are packed from this checkout's node_modules and installed beside it, so npm asks no registry.
  // The app adds `buffer` itself, for the probe in a browser (see below).
  const dependencies = dependencyClosure({
    ...JSON.parse(readFileSync(join(root, 'probe/package.json'), 'utf8')).dependencies,
    buffer: '*',
  });
  const packedDependencies = dependencies.map((name) =>
    join(
      work,
      JSON.parse(
        run(
          'npm',
          [
            'pack',
            '--json',
            '--silent',
            '--ignore-scripts',
            '--pack-destination',
            work,
            join(root, 'node_modules', name),
          ],
          root,
        ),
      )[0].filename,
    ),
  );
  run(
    'npm',
    [
      'install',
      '--offline',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      tarballs['@hairpin/client']!,
      tarballs['@hairpin/probe']!,
      ...packedDependencies,
    ],
    app,
  );
  internal = await startTestNode({ host: names.internal, names, label: 'internal' });
  external = await startTestNode({ host: names.external, names, label: 'external' });
}, 240_000);

afterAll(async () => {
  await Promise.allSettled([internal?.stop(), external?.stop()]);
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('@hairpin/client, packed and installed into an empty project', () => {
  it('ships its built ESM, types and README, no source or tests, and no dependencies', () => {
    const manifest = JSON.parse(readFileSync(join(app, 'node_modules/@hairpin/client/package.json'), 'utf8'));
    expect(manifest.dependencies).toBeUndefined();
    expect(manifest.sideEffects).toBe(false);
    const listing = run('tar', ['-tzf', tarballs['@hairpin/client']!], work).split('\n').filter(Boolean);
    expect(listing).toContain('package/dist/index.js');
    expect(listing).toContain('package/dist/index.d.ts');
    expect(listing).toContain('package/dist/last-known-address.js');
    expect(listing).toContain('package/dist/last-known-address.d.ts');
    expect(listing).toContain('package/README.md');
    expect(listing.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
  });

  it('imports from Node by name and fails over from the internal origin to the external one', async () => {
    const script = `import { createHairpinClient } from '@hairpin/client';
      const client = createHairpinClient({ mountPoint: process.argv[2], otherOrigin: process.argv[3], storage: null, reprobe: false });
      const answer = await (await client.fetch('/v1/stock')).json();
      client.close();
      console.log(answer.served);`;
    expect(await node(script, `${internal.origin}/`, external.origin)).toBe('internal');
    await internal.stop();
    try {
      expect(await node(script, `${internal.origin}/`, external.origin)).toBe('external');
    } finally {
      await internal.start();
    }
    // The Node-only helper is an entry of its own (a browser bundle of the main one never has it).
    const lookup = `import { lastKnownAddress } from '@hairpin/client/last-known-address';
      const { lookup } = lastKnownAddress({ lookup: (name, options, callback) => callback(null, [{ address: '127.0.0.2', family: 4 }]) });
      lookup('i-nur1.pl-1234.example.test', {}, (error, address) => console.log(address));`;
    expect(await node(lookup)).toBe('127.0.0.2');
  });

  it('type-checks in a TypeScript app (NodeNext resolution, strict)', () => {
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          target: 'ES2022',
          strict: true,
          noEmit: true,
          lib: ['ES2023', 'DOM'],
          types: [],
        },
        files: ['app.ts'],
      }),
    );
    writeFileSync(
      join(app, 'app.ts'),
      `import { createHairpinClient, type OriginSwitchEvent, HairpinClientError } from '@hairpin/client';
      const client = createHairpinClient({ mountPoint: 'https://i-nur1.pl-1234.example.test:8443/' });
      client.addEventListener('switch', (e) => { const from: string | null = (e as OriginSwitchEvent).from; console.info(from); });
      export const isError = (e: unknown): e is HairpinClientError => e instanceof HairpinClientError;
      export const answer: Promise<Response> = client.fetch('/v1/stock');`,
    );
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', app], {
      cwd: app,
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
  });

  it(`bundles for a browser within its budget (${CLIENT_GZIP_BUDGET} B gzipped), and tree-shakes`, async () => {
    const whole = await browserSize("export * from '@hairpin/client';", app);
    const one = await browserSize("export { nodeOrigins } from '@hairpin/client';", app);
    console.log(
      `@hairpin/client browser bundle: ${whole.minified} B minified, ${whole.gzipped} B gzipped (budget ${CLIENT_GZIP_BUDGET} B); nodeOrigins alone ${one.gzipped} B`,
    );
    expect(whole.gzipped).toBeLessThanOrEqual(CLIENT_GZIP_BUDGET);
    expect(one.gzipped).toBeLessThan(whole.gzipped / 5);
    // The README states the budget.
    expect(readFileSync(join(root, 'client/README.md'), 'utf8')).toContain(`${CLIENT_GZIP_BUDGET / 1024} KiB`);
  });

  describe.skipIf(!haveChromium)('in Chromium', () => {
    let browser: Browser;
    let page: http.Server;
    let origin: string;

    beforeAll(async () => {
      const { code } = await browserSize(
        `import { createHairpinClient } from '@hairpin/client';
        window.client = createHairpinClient({ mountPoint: ${JSON.stringify(`${internal.origin}/`)}, otherOrigin: ${JSON.stringify(external.origin)}, storage: null, reprobe: false, localNetworkAccess: 'off' });`,
        app,
      );
      page = http.createServer((req, res) => {
        if (req.url === '/app.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(code);
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><title>app</title><script type="module" src="/app.js"></script>');
      });
      await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
      origin = `http://127.0.0.1:${(page.address() as AddressInfo).port}`;
      browser = await launchChromium();
    }, 60_000);

    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => page?.close(resolve));
    });

    it('runs the bundled package: calls go to the internal origin, then fail over to the external one', async () => {
      const tab = await browser.newPage();
      await tab.goto(origin);
      await tab.waitForFunction(() => 'client' in window);
      const call = () =>
        tab.evaluate(
          async () =>
            (
              (await (
                await (window as unknown as { client: { fetch(p: string): Promise<Response> } }).client.fetch(
                  '/v1/stock',
                )
              ).json()) as { served: string }
            ).served,
        );
      expect(await call()).toBe('internal');
      await internal.stop();
      try {
        expect(await call()).toBe('external');
      } finally {
        await internal.start();
      }
      await tab.close();
    });
  });
});

describe('@hairpin/probe, packed and installed into an empty project', () => {
  let manager: TestManager;

  beforeAll(async () => {
    manager = await startTestManager();
    const credential = await manager.enrol('1234', 'nur1');
    await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.3' });
  });
  afterAll(() => manager?.close());

  it('carries the dns/ modules it needs, built, and names its dependencies', () => {
    const listing = run('tar', ['-tzf', tarballs['@hairpin/probe']!], work).split('\n').filter(Boolean);
    expect(listing).toContain('package/dist/probe/index.js');
    expect(listing).toContain('package/dist/dns/message.js');
    expect(listing.filter((f) => /\.test\.|jsr\//.test(f))).toEqual([]);
    expect(
      Object.keys(JSON.parse(readFileSync(join(app, 'node_modules/@hairpin/probe/package.json'), 'utf8')).dependencies),
    ).toEqual(['@types/dns-packet', 'dns-packet']);
  });

  it('imports from Node by name and probes a name through a resolver (the manager on loopback)', async () => {
    const out = await node(
      `import { dohTransport, probeNode } from '@hairpin/probe';
      import { resolverTransport } from '@hairpin/probe/node';
      const result = await probeNode({ names: { internal: 'i-nur1.pl-1234.example.test' }, truth: dohTransport(process.argv[2]), resolver: resolverTransport(process.argv[3]) });
      console.log(result.verdict);`,
      `${manager.url}/dns-query`,
      `127.0.0.1:${manager.dns.udpPort}`,
    );
    expect(out).toBe('ok');
  });

  it.skipIf(!haveChromium)(
    'bundles for a browser (the buffer package for node:buffer) and probes over DoH in Chromium',
    async () => {
      const { code } = await browserSize(
        "import { dohTransport, probeNode } from '@hairpin/probe'; window.probe = (doh) => probeNode({ names: { internal: 'i-nur1.pl-1234.example.test' }, truth: dohTransport(doh), resolver: dohTransport(doh) });",
        app,
        // dns-packet asks for `buffer`, the probe's codec wrapper for `node:buffer`: both get the polyfill.
        { 'node:buffer': 'buffer' },
      );
      // The page's own origin serves the app and passes /dns-query on to the manager (same origin, no CORS).
      const server = http.createServer(async (req, res) => {
        if (req.url === '/app.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(code);
        if (req.url?.startsWith('/dns-query')) {
          const chunks: Buffer[] = [];
          for await (const chunk of req) chunks.push(chunk as Buffer);
          const body = req.method === 'POST' ? Buffer.concat(chunks) : undefined;
          const answer = await fetch(`${manager.url}${req.url}`, {
            method: req.method,
            headers: { 'content-type': req.headers['content-type'] ?? '', accept: req.headers.accept ?? '' },
            body,
          });
          return void res
            .writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' })
            .end(Buffer.from(await answer.arrayBuffer()));
        }
        res
          .writeHead(200, { 'content-type': 'text/html' })
          .end('<!doctype html><title>probe</title><script type="module" src="/app.js"></script>');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const browser = await launchChromium();
      try {
        const tab = await browser.newPage();
        const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        await tab.goto(origin);
        await tab.waitForFunction(() => 'probe' in window);
        const verdict = await tab.evaluate(
          async (doh) =>
            (await (window as unknown as { probe(d: string): Promise<{ verdict: string }> }).probe(doh)).verdict,
          `${origin}/dns-query`,
        );
        expect(verdict).toBe('ok');
      } finally {
        await browser.close();
        await new Promise((resolve) => server.close(resolve));
      }
    },
  );
});

describe.skipIf(!haveDeno())('JSR metadata, checked by deno publish --dry-run', () => {
  for (const [name, dir] of [
    ['@hairpin/client', 'client'],
    ['@hairpin/probe', 'probe/dist/jsr'],
  ] as const) {
    it(`${name} (${dir})`, () => {
      const result = spawnSync(deno, ['publish', '--dry-run', '--allow-dirty', '--quiet'], {
        cwd: join(root, dir),
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
      });
      expect(result.status, result.stdout + result.stderr).toBe(0);
      const meta = JSON.parse(readFileSync(join(root, dir, dir === 'client' ? 'jsr.json' : 'deno.json'), 'utf8'));
      expect(meta.name).toBe(name);
      expect(meta.version).toBe(
        JSON.parse(readFileSync(join(root, dir.split('/')[0]!, 'package.json'), 'utf8')).version,
      );
    });
  }
});
