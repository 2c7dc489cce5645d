// DNS over HTTPS (RFC 8484 §4.1, POST) through fetch: the one transport every runtime has,
// browsers included.
import { ProbeError, asProbeError } from './errors.ts';
import type { DnsTransport } from './transport.ts';

const DNS_MESSAGE = 'application/dns-message';

/**
 * ```ts
 * const truth = dohTransport('https://manager.example.net/dns-query');
 * ```
 */
export function dohTransport(url: string, fetchImpl: typeof fetch = fetch): DnsTransport {
  const label = new URL(url).href;
  return {
    label,
    async exchange(query, signal) {
      let response: Response;
      try {
        response = await fetchImpl(label, {
          method: 'POST',
          headers: { 'content-type': DNS_MESSAGE, accept: DNS_MESSAGE },
          body: query as Uint8Array<ArrayBuffer>,
          signal,
        });
      } catch (e) {
        throw asProbeError(label, e, signal);
      }
      const type = response.headers.get('content-type') ?? '';
      if (!response.ok || !type.startsWith(DNS_MESSAGE)) {
        await response.body?.cancel();
        throw new ProbeError('ERR_PROBE_BAD_RESPONSE', `${label}: HTTP ${response.status} ${type}`);
      }
      try {
        return new Uint8Array(await response.arrayBuffer());
      } catch (e) {
        throw asProbeError(label, e, signal);
      }
    },
  };
}
