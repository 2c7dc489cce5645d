// The public app store, `pl-{licence}.apps.<zone>`: serves the web app (a page and the client
// bundle) over HTTPS from the internet. The page is what a shop's phone opens; it calls the node
// through the hairpin client, so Chromium applies Local Network Access to the internal origin.
// Its service worker keeps the app shell (the client's keepAppShell), so a reload works while the
// shop's internet line is down (the lab's outage rows).
//
//   node lab/app-store.ts 198.18.0.2:443 apps.pem apps.key
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:https';
import { browserBundle } from '../client/bundle.ts';

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>shop app</title></head>
<body><h1>shop app</h1><p id="state">loading</p>
<script type="module">import * as hairpin from '/client.js'; window.hairpin = hairpin; document.getElementById('state').textContent = 'ready';
navigator.serviceWorker?.register('/sw.js', { type: 'module' });</script>
</body></html>`;

/** The app's service worker: the shell (page and client) kept for a reload with the line down. */
const WORKER = `import { keepAppShell } from './index.ts';
keepAppShell(self, { version: '1', shell: ['/', '/client.js'] });
self.addEventListener('activate', (e) => e.waitUntil(self.clients.claim()));`;

if (import.meta.main) {
  const [listen = '', certFile = '', keyFile = ''] = process.argv.slice(2);
  const i = listen.lastIndexOf(':');
  const js = await browserBundle();
  const worker = await browserBundle(WORKER);
  const server = createServer(
    { cert: await readFile(certFile, 'utf8'), key: await readFile(keyFile, 'utf8') },
    (req, res) => {
      if (req.url === '/client.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      if (req.url === '/sw.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(worker);
      if (req.url !== '/') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
    },
  );
  server.listen(Number(listen.slice(i + 1)), listen.slice(0, i), () => console.log(`app store on https://${listen}`));
  process.once('SIGTERM', () => process.exit(0));
}
