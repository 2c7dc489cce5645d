// Before answering a DNS-01 challenge, make sure the manager's authoritative server (port 53, or
// its DoH endpoint, which answers from the same zone) serves the value. An ACME CA that looks
// too early marks the authorization invalid, and a new order costs a rate-limit slot.
import { type DnsTransport, observe } from '../../probe/index.ts';
import { AgentError } from '../errors.ts';

export interface PropagationOptions {
  /** Total bound (ms); default 60 s. */
  timeoutMs?: number;
  /** Pause between looks (ms); default 500. */
  intervalMs?: number;
}

export class PropagationError extends AgentError {
  static override code = 'ERR_TXT_NOT_PROPAGATED';
  override code = PropagationError.code;
}

/**
 * Wait until `name` has a TXT record `value` at `authority`.
 *
 * ```ts
 * await waitForTxt(resolverTransport('192.0.2.53:53'), '_acme-challenge.nur1.pl-1234.example.test', digest);
 * ```
 */
export async function waitForTxt(
  authority: DnsTransport,
  name: string,
  value: string,
  options: PropagationOptions = {},
): Promise<number> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 500;
  const started = performance.now();
  const deadline = AbortSignal.timeout(timeoutMs);
  let last = 'no answer yet';
  while (!deadline.aborted) {
    const seen = await observe(authority, name, 'TXT', {
      timeoutMs: Math.min(2000, timeoutMs),
      attempts: 1,
      signal: deadline,
    });
    if (seen.answers.some((r) => r.type === 'TXT' && r.data === value)) return Math.round(performance.now() - started);
    last =
      seen.outcome === 'answer'
        ? `${seen.rcode}, TXT ${JSON.stringify(seen.answers.map((r) => r.data))}`
        : seen.outcome;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new PropagationError(
    `${authority.label} does not serve TXT "${value}" at ${name} after ${timeoutMs} ms (last: ${last})`,
  );
}
