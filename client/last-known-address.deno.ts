// The last known address under Deno (last-known-address.test.ts runs it from vitest). Deno's own
// `fetch` has no resolver hook (`Deno.createHttpClient`); undici from npm does, and runs on Deno's
// node:net and node:tls: the same lookup, real TLS on loopback, certificates from a test CA.
import { Agent, fetch as undiciFetch } from 'undici';
import { createTestPki } from '../lab/pki.ts';
import { createHairpinClient } from './index.ts';
import { type LookupFunction, lastKnownAddress } from './last-known-address.ts';

declare const Deno: {
  test(options: { name: string; sanitizeOps?: boolean; sanitizeResources?: boolean; fn: () => Promise<void> }): void;
  serve(
    options: { hostname: string; port: number; cert: string; key: string; onListen?: () => void },
    handler: (request: Request) => Response,
  ): { shutdown(): Promise<void>; addr: { port: number } };
};

function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

const INTERNAL = 'i-nur1.pl-1234.example.test';
const EXTERNAL = 'nur1.pl-1234.example.test';

Deno.test({
  name: 'the client on undici keeps reaching the node at its last address, certificate checked, once DNS fails',
  // undici's sockets close a moment after Agent.close() resolves.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const pki = createTestPki();
    const servers: Array<{ shutdown(): Promise<void> }> = [];
    const agents: Agent[] = [];
    try {
      const serve = (hostname: string, port: number, tls: { cert: string; key: string }, label: string) => {
        const server = Deno.serve({ hostname, port, cert: tls.cert, key: tls.key, onListen: () => {} }, (request) => {
          const url = new URL(request.url);
          if (url.pathname === '/.well-known/hairpin')
            return Response.json({
              service: 'hairpin',
              licence: '1234',
              node: 'nur1',
              names: { internal: INTERNAL, external: EXTERNAL },
              nonce: url.searchParams.get('nonce'),
            });
          return Response.json({ served: label });
        });
        servers.push(server);
        return server.addr.port;
      };
      const leaf = pki.issue([INTERNAL, EXTERNAL]);
      const port = serve('127.0.0.2', 0, leaf, 'internal');
      // The same port on another address, where a device with another name's certificate answers.
      serve('127.0.0.3', port, pki.issue(['someone-else.example.test']), 'impostor');

      let answer: string = '127.0.0.2';
      const resolver: LookupFunction = (hostname, _options, callback) =>
        queueMicrotask(() =>
          answer.startsWith('E')
            ? callback(Object.assign(new Error(`getaddrinfo ${answer} ${hostname}`), { code: answer }), [])
            : callback(null, [{ address: answer, family: 4 }]),
        );
      const addresses = lastKnownAddress({ lookup: resolver });
      // A pool per call, so that each call looks the name up.
      const fetchVia = ((input: string | URL | Request, init?: RequestInit) => {
        const dispatcher = new Agent({ connect: { ca: pki.caPem, lookup: addresses.lookup } });
        agents.push(dispatcher);
        return undiciFetch(input as string, { ...(init as object), dispatcher });
      }) as unknown as typeof fetch;
      const client = createHairpinClient({
        mountPoint: `https://${INTERNAL}:${port}/`,
        otherOrigin: `https://${EXTERNAL}:${port}`,
        storage: null,
        reprobe: false,
        fetch: fetchVia,
      });
      try {
        const served = async () => ((await (await client.fetch('/v1/stock')).json()) as { served: string }).served;
        assert((await served()) === 'internal', 'first call on the internal origin');
        answer = 'EAI_AGAIN';
        assert((await served()) === 'internal', 'the remembered address after EAI_AGAIN');
      } finally {
        client.close();
      }

      // The name remembered at the impostor's address: the handshake fails on the name.
      answer = '127.0.0.3';
      const impostor = lastKnownAddress({ lookup: resolver });
      const direct = (lookup: LookupFunction) => {
        const dispatcher = new Agent({ connect: { ca: pki.caPem, lookup } });
        agents.push(dispatcher);
        return undiciFetch(`https://${INTERNAL}:${port}/`, { dispatcher }).then(
          () => 'answered',
          (error: { cause?: { code?: string } }) => error.cause?.code ?? 'failed',
        );
      };
      assert((await direct(impostor.lookup)) === 'ERR_TLS_CERT_ALTNAME_INVALID', 'wrong name while resolving');
      answer = 'EAI_AGAIN';
      const code = await direct(impostor.lookup);
      assert(code === 'ERR_TLS_CERT_ALTNAME_INVALID', `wrong certificate at the remembered address: ${code}`);
    } finally {
      await Promise.all(agents.map((a) => a.close()));
      await Promise.all(servers.map((s) => s.shutdown()));
      pki.dispose();
    }
  },
});
