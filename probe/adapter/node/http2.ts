// A fetch over HTTP/2 for the DoH transport on Node, whose fetch (undici) speaks HTTP/1.1 only:
// `https:` negotiates h2 by ALPN, `http:` uses prior knowledge (RFC 9113 §3.3), which is how
// unbound serves DoH with `http-notls-downstream: yes`. One session per request: a probe asks a
// handful of questions, and a session kept open would outlive it.
import { connect, constants } from 'node:http2';

/** The largest DNS message (a 16-bit length): a longer body is cut off as an error. */
const MAX_BODY = 65_535;

const { HTTP2_HEADER_METHOD, HTTP2_HEADER_PATH, HTTP2_HEADER_STATUS } = constants;

/**
 * The subset of fetch the DoH transport uses: a POST with headers and a byte body.
 *
 * ```ts
 * const res = await http2Fetch('http://127.0.0.1:8443/dns-query', { method: 'POST', body: query, signal });
 * ```
 */
export const http2Fetch: typeof fetch = (input, init = {}) =>
  new Promise<Response>((resolve, reject) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return reject(signal.reason);
    const session = connect(url.origin);
    const finish = (error: unknown, response?: Response) => {
      signal?.removeEventListener('abort', onAbort);
      session.close();
      session.destroy();
      if (response) resolve(response);
      else reject(error);
    };
    const onAbort = () => finish(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    session.on('error', (e) => finish(e));
    const headers: Record<string, string> = {
      [HTTP2_HEADER_METHOD]: init.method ?? 'GET',
      [HTTP2_HEADER_PATH]: `${url.pathname}${url.search}`,
    };
    new Headers(init.headers).forEach((value, key) => {
      headers[key] = value;
    });
    const stream = session.request(headers);
    stream.on('error', (e) => finish(e));
    let status = 0;
    const responseHeaders = new Headers();
    stream.on('response', (h) => {
      status = Number(h[HTTP2_HEADER_STATUS]);
      for (const [key, value] of Object.entries(h))
        if (!key.startsWith(':') && value !== undefined) responseHeaders.set(key, String(value));
    });
    const chunks: Uint8Array[] = [];
    let length = 0;
    stream.on('data', (chunk: Uint8Array) => {
      length += chunk.byteLength;
      if (length > MAX_BODY) return finish(new Error(`HTTP/2 response body over ${MAX_BODY} bytes`));
      chunks.push(chunk);
    });
    stream.on('end', () =>
      finish(
        undefined,
        new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), {
          status,
          headers: responseHeaders,
        }),
      ),
    );
    stream.end(
      init.body instanceof Uint8Array
        ? init.body
        : init.body === undefined || init.body === null
          ? undefined
          : String(init.body),
    );
  });
