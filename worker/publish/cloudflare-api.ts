// A small client for Cloudflare's DNS records API (v4): list with pagination, create, update,
// delete; bearer token; every answer in the `{ success, errors, messages, result, result_info }`
// envelope. Web-standard fetch only, so it runs on Workers. Retries 429 (after Retry-After) and
// 5xx/network failures with exponential backoff, and paces itself under the documented limit
// of 1200 requests per 5 minutes per user.

export const CLOUDFLARE_API = 'https://api.cloudflare.com/client/v4';

/** The record types the manager publishes; it never touches other types at its names. */
export type PublishedType = 'A' | 'AAAA' | 'CNAME' | 'TXT';

export interface CloudflareRecord {
  id: string;
  name: string;
  type: string;
  content: string;
  ttl: number;
  proxied?: boolean;
  comment?: string | null;
}

export type RecordInput = Pick<CloudflareRecord, 'name' | 'type' | 'content' | 'ttl'> & {
  proxied?: boolean;
  comment?: string;
};

interface Envelope<T> {
  success: boolean;
  errors: { code: number; message: string }[];
  messages?: unknown[];
  result: T;
  result_info?: { page: number; per_page: number; count: number; total_count: number; total_pages: number };
}

/** A request Cloudflare refused for good (4xx other than 429), or that kept failing. */
export class CloudflareApiError extends Error {
  readonly code = 'ERR_CLOUDFLARE_API';
  readonly status: number;
  readonly errors: { code: number; message: string }[];
  constructor(message: string, status: number, errors: { code: number; message: string }[] = []) {
    super(message);
    this.status = status;
    this.errors = errors;
  }
}

/**
 * Sliding-window pacing: at most `limit` requests in any `windowMs`. Per isolate on Workers (the
 * limit is per user account, so several isolates share it: keep their sum in mind).
 */
export class RateWindow {
  readonly #sent: number[] = [];
  readonly limit: number;
  readonly windowMs: number;
  constructor(limit = 1200, windowMs = 300_000) {
    this.limit = limit;
    this.windowMs = windowMs;
  }

  /** How long to wait before the next request may go (0: now); records it as sent. */
  reserve(now: number): number {
    while (this.#sent.length > 0 && this.#sent[0]! <= now - this.windowMs) this.#sent.shift();
    const wait = this.#sent.length < this.limit ? 0 : this.#sent[0]! + this.windowMs - now;
    if (this.#sent.length >= this.limit) this.#sent.shift();
    this.#sent.push(now + wait);
    return wait;
  }
}

export interface CloudflareApiOptions {
  apiToken: string;
  zoneId: string;
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Tries per request (first one included). */
  attempts?: number;
  /** First backoff after a 5xx or network failure; doubled each time, capped at maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  rate?: RateWindow;
}

const sleeping = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3). */
function retryAfterMs(header: string | null, now: number): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * ```ts
 * const api = new CloudflareApi({ apiToken: env.CLOUDFLARE_API_TOKEN, zoneId: env.CLOUDFLARE_ZONE_ID });
 * const records = await api.list({ name: 'i-nur1.pl-1234.example.net' });
 * ```
 */
export class CloudflareApi {
  readonly #o: Required<Omit<CloudflareApiOptions, 'fetch'>> & { fetch: typeof fetch };
  /** Requests sent (retries included), for tests and logs. */
  requests = 0;

  constructor(options: CloudflareApiOptions) {
    this.#o = {
      baseUrl: CLOUDFLARE_API,
      attempts: 5,
      backoffMs: 500,
      maxBackoffMs: 10_000,
      sleep: sleeping,
      rate: new RateWindow(),
      ...options,
      // Workers' fetch must be called unbound from the global, not as a method of our object.
      fetch: options.fetch ?? ((input, init) => fetch(input, init)),
    };
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<Envelope<T>> {
    const o = this.#o;
    const url = `${o.baseUrl}/zones/${encodeURIComponent(o.zoneId)}/dns_records${path}`;
    let backoff = o.backoffMs;
    let last = '';
    for (let attempt = 1; attempt <= o.attempts; attempt++) {
      const wait = o.rate.reserve(Date.now());
      if (wait > 0) await o.sleep(wait);
      this.requests++;
      let res: Response;
      try {
        res = await o.fetch(url, {
          method,
          headers: {
            authorization: `Bearer ${o.apiToken}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      } catch (e) {
        last = `network: ${(e as Error).message}`;
        await o.sleep(backoff);
        backoff = Math.min(backoff * 2, o.maxBackoffMs);
        continue;
      }
      if (res.status === 429 || res.status >= 500) {
        last = `HTTP ${res.status}`;
        await res.body?.cancel();
        // Honour Retry-After when given (bounded: a bogus hour-long value must not hang a Worker).
        const after = res.status === 429 ? retryAfterMs(res.headers.get('retry-after'), Date.now()) : undefined;
        await o.sleep(Math.min(after ?? backoff, 60_000));
        backoff = Math.min(backoff * 2, o.maxBackoffMs);
        continue;
      }
      const envelope = (await res.json().catch(() => undefined)) as Envelope<T> | undefined;
      if (!res.ok || !envelope?.success) {
        const errors = envelope?.errors ?? [];
        throw new CloudflareApiError(
          `${method} dns_records${path}: HTTP ${res.status} ${errors.map((e) => `${e.code} ${e.message}`).join('; ')}`,
          res.status,
          errors,
        );
      }
      return envelope;
    }
    throw new CloudflareApiError(`${method} dns_records${path}: gave up after ${o.attempts} attempts (${last})`, 0);
  }

  /** Every record matching the filters, following result_info pages (bounded). */
  async list(filters: { name?: string; type?: string } = {}): Promise<CloudflareRecord[]> {
    const out: CloudflareRecord[] = [];
    for (let page = 1; page <= 1000; page++) {
      const query = new URLSearchParams({ ...filters, page: String(page), per_page: '100' });
      const envelope = await this.#request<CloudflareRecord[]>('GET', `?${query}`);
      out.push(...envelope.result);
      const info = envelope.result_info;
      if (!info || page >= info.total_pages || envelope.result.length === 0) return out;
    }
    return out;
  }

  async create(record: RecordInput): Promise<CloudflareRecord> {
    return (await this.#request<CloudflareRecord>('POST', '', record)).result;
  }

  async update(id: string, record: Partial<RecordInput>): Promise<CloudflareRecord> {
    return (await this.#request<CloudflareRecord>('PATCH', `/${encodeURIComponent(id)}`, record)).result;
  }

  async delete(id: string): Promise<void> {
    await this.#request<{ id: string }>('DELETE', `/${encodeURIComponent(id)}`);
  }
}
