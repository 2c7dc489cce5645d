// The shop's node service: a small demo HTTPS API wrapped in the agent's helpers (Host
// allow-list, CORS for the app store, private network preflight, the /.well-known/hairpin
// identity endpoint), serving the SAN certificate `hairpin agent run` keeps in its directory.
//
//   node lab/node-site.ts <agent cert dir> <licence> <node> <external> <internal> <apps name> <port> [relay name]
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { certificatePaths, type ServiceIdentity, withHairpinListener } from '../agent/index.ts';
import { waitFor } from './shell.ts';

const BLOB_CHUNK = Buffer.alloc(1 << 20, 0x61);

/** `size` bytes of filler, written as fast as the connection takes them (waiting on 'drain'). */
export function sendBlob(res: ServerResponse, size: number): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(size) });
  let left = size;
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, BLOB_CHUNK.length);
      left -= n;
      if (!res.write(n === BLOB_CHUNK.length ? BLOB_CHUNK : BLOB_CHUNK.subarray(0, n)))
        return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}

/** The demo API: a small JSON resource and a blob for transfer measurements. */
function demoApi(label: string) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://node.invalid');
    if (url.pathname === '/v1/items') {
      // `?close`: the lab's oracle asks for a connection of its own (lab/phone.ts).
      if (url.searchParams.has('close')) res.setHeader('connection', 'close');
      return void res
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' })
        // `peer`: the address the call came from, so the lab can tell the path (IPv6 direct, or
        // IPv4 through the box's port forward) without looking inside the runtime's fetch.
        .end(
          JSON.stringify({
            node: label,
            items: [{ sku: 42, stock: 7 }],
            host: req.headers.host,
            peer: req.socket.remoteAddress?.replace(/^::ffff:/, ''),
          }),
        );
    }
    if (url.pathname === '/v1/blob')
      return sendBlob(res, Math.min(Number(url.searchParams.get('bytes') ?? 0), 64 << 20));
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
  };
}

/** Wait (bounded) for the agent's first certificate. */
async function certificate(dir: string): Promise<{ key: string; cert: string }> {
  const paths = certificatePaths(dir);
  // As long as the lab waits for it (lab/field.ts): the first order may need the keeper's retry.
  await waitFor(`the agent's certificate in ${dir}`, () => stat(paths.chain).then(() => true), 130_000);
  return { key: await readFile(paths.key, 'utf8'), cert: await readFile(paths.chain, 'utf8') };
}

if (import.meta.main) {
  const [dir = '', licence = '', node = '', external = '', internal = '', appsName = '', port = '', relay] =
    process.argv.slice(2);
  const identity: ServiceIdentity = {
    licence,
    node,
    names: { external, internal, ...(relay ? { relay } : {}) },
    appsName,
    port: Number(port),
  };
  const server = createServer(await certificate(dir), withHairpinListener(demoApi(`${licence}/${node}`), identity));
  server.keepAliveTimeout = 30_000;
  // No host: `::` where the namespace has IPv6 (both families), else 0.0.0.0.
  server.listen(Number(port), () =>
    console.log(`demo API on https://${external}:${port} and https://${internal}:${port}`),
  );
  process.once('SIGTERM', () => process.exit(0));
}
