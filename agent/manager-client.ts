// The agent's side of the manager API, with the node's own credential. Transport failures, 5xx
// and 429 are retried (bounded, backoff with jitter); any other 4xx is the agent's mistake or a
// revoked credential, surfaced at once as a ManagerError carrying the problem type.
import type { AddressReport, NodeAnswer, ReachabilityView, ReportAnswer } from '../contract/api.ts';
import type { NodeNames } from '../contract/identity.ts';
import { type ProblemType, problemTypeOf } from '../contract/problem.ts';
import { AgentError } from './errors.ts';
import { DEFAULT_RETRY, RetryableError, type RetryPolicy, withRetry } from './retry.ts';

export type { AddressReport, NodeAnswer, ReportAnswer };

export class ManagerError extends AgentError {
  static override code = 'ERR_MANAGER';
  override code = ManagerError.code;
  readonly status: number;
  /** The RFC 9457 problem type without its URN prefix, e.g. "forbidden". */
  readonly problem: ProblemType | undefined;
  constructor(message: string, status: number, problem: ProblemType | undefined) {
    super(message);
    this.status = status;
    this.problem = problem;
  }
}

export interface ManagerClientOptions {
  url: string;
  licence: string;
  node: string;
  credential: string;
  retry?: RetryPolicy;
  /** Per-request bound (ms); default 10 s. */
  timeoutMs?: number;
  fetch?: typeof fetch;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/**
 * ```ts
 * const manager = new ManagerClient({ url: 'https://manager.example.net', licence: '1234', node: 'nur1', credential });
 * await manager.reportAddresses({ privateIpv4: '192.168.1.20', port: 8443 });
 * ```
 */
export class ManagerClient {
  readonly options: ManagerClientOptions;

  constructor(options: ManagerClientOptions) {
    this.options = options;
  }

  get nodePath(): string {
    return `/v1/licences/${encodeURIComponent(this.options.licence)}/nodes/${encodeURIComponent(this.options.node)}`;
  }

  async request<T>(method: string, path: string, body?: unknown, retryPolicy?: RetryPolicy): Promise<T> {
    const { url, credential, timeoutMs = 10_000 } = this.options;
    const retry = retryPolicy ?? this.options.retry ?? DEFAULT_RETRY;
    const fetchImpl = this.options.fetch ?? fetch;
    const target = new URL(path, url);
    return withRetry(async () => {
      let res: Response;
      try {
        res = await fetchImpl(target, {
          method,
          headers: {
            authorization: `Bearer ${credential}`,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (e) {
        throw new RetryableError(`${method} ${target.href}: ${(e as Error).message}`, undefined, { cause: e });
      }
      const text = await res.text();
      if (res.status === 429 || res.status >= 500) {
        throw new RetryableError(
          `${method} ${target.href}: HTTP ${res.status}`,
          retryAfterMs(res.headers.get('retry-after')),
        );
      }
      const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      if (!res.ok) {
        throw new ManagerError(
          `${method} ${target.pathname}: HTTP ${res.status} ${String(json.detail ?? text)}`,
          res.status,
          problemTypeOf(json),
        );
      }
      return json as T;
    }, retry);
  }

  nodeState(): Promise<NodeAnswer> {
    return this.request('GET', this.nodePath);
  }

  /**
   * Ask the manager to connect to the node's public addresses from outside (docs/ipv6.md). Tried
   * once: it is rate-limited per node, and a 429 means a result from the last minute exists.
   */
  checkReachability(): Promise<{ reachability: ReachabilityView }> {
    return this.request('POST', `${this.nodePath}/reachability`, undefined, { attempts: 1, baseMs: 0, maxMs: 0 });
  }

  reportAddresses(report: AddressReport): Promise<ReportAnswer> {
    return this.request('PUT', `${this.nodePath}/addresses`, report);
  }

  setChallenge(name: keyof NodeNames, value: string): Promise<{ values: string[]; serial: number }> {
    return this.request('PUT', `${this.nodePath}/acme-challenges`, { name, value });
  }

  clearChallenge(name: keyof NodeNames, value: string): Promise<{ values: string[]; serial: number }> {
    return this.request('DELETE', `${this.nodePath}/acme-challenges`, { name, value });
  }
}
