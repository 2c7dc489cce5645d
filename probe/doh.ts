// DNS over HTTPS (RFC 8484 §4.1, POST) through fetch: the one transport every runtime has,
// browsers included. RFC 8484 §5.2 recommends HTTP/2 and some servers speak nothing else
// (unbound's DoH is HTTP/2 only, over TLS or, with `http-notls-downstream`, in the clear with
// prior knowledge), while others speak only HTTP/1.1: a runtime adapter may hand several fetch
// functions (HTTP/1.1 or ALPN first, then HTTP/2 only), tried in order until one speaks the
// server's protocol; the one that did is kept for the next questions.
import { asProbeError, BadResponse } from './errors.ts';
import type { DnsTransport } from './transport.ts';

const DNS_MESSAGE = 'application/dns-message';

/** Failures where the server was never reached: another HTTP version would not help. */
const NOT_REACHED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

function errorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; cause?: { code?: unknown } };
  const code = e?.cause?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * ```ts
 * const truth = dohTransport('https://manager.example.net/dns-query');
 * const h2 = dohTransport('http://127.0.0.1:8443/dns-query', [fetch, http2Fetch]); // Node adapter
 * ```
 */
export function dohTransport(url: string, fetchImpl: typeof fetch | readonly (typeof fetch)[] = fetch): DnsTransport {
  const label = new URL(url).href;
  const fetchers = typeof fetchImpl === 'function' ? [fetchImpl] : [...fetchImpl];
  let speaks = 0;
  const send = async (fetcher: typeof fetch, query: Uint8Array, signal: AbortSignal) =>
    fetcher(label, {
      method: 'POST',
      headers: { 'content-type': DNS_MESSAGE, accept: DNS_MESSAGE },
      body: query as Uint8Array<ArrayBuffer>,
      signal,
    });
  return {
    label,
    reliable: true,
    async exchange(query, signal) {
      let response: Response | undefined;
      let failure: unknown;
      for (let i = speaks; i < fetchers.length && !response; i++) {
        try {
          response = await send(fetchers[i]!, query, signal);
          speaks = i;
        } catch (e) {
          failure ??= e;
          if (signal.aborted || NOT_REACHED.has(errorCode(e) ?? '')) break;
        }
      }
      if (!response) throw asProbeError(label, failure, signal);
      const type = response.headers.get('content-type') ?? '';
      if (!response.ok || !type.startsWith(DNS_MESSAGE)) {
        await response.body?.cancel();
        throw new BadResponse(`${label}: HTTP ${response.status} ${type}`);
      }
      try {
        return new Uint8Array(await response.arrayBuffer());
      } catch (e) {
        throw asProbeError(label, e, signal);
      }
    },
  };
}
