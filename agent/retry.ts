// Bounded retries with exponential backoff and full jitter (AWS architecture blog, "Exponential
// Backoff And Jitter"): a fleet of nodes that lost the manager at once does not come back in step.
import { AgentError } from './errors.ts';

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** For tests: a seeded source and a fake clock. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 500, maxMs: 30_000 };

/** Thrown by a step that says "try again" (transport error, 5xx, 429), with an optional floor. */
export class RetryableError extends AgentError {
  static override code = 'ERR_RETRYABLE';
  override code = RetryableError.code;
  readonly retryAfterMs: number | undefined;
  constructor(message: string, retryAfterMs?: number, options?: ErrorOptions) {
    super(message, options);
    this.retryAfterMs = retryAfterMs;
  }
}

/** Full jitter: uniform in [0, min(max, base·2^n)]. */
export function backoffDelay(
  attempt: number,
  { baseMs, maxMs }: Pick<RetryPolicy, 'baseMs' | 'maxMs'>,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * Math.min(maxMs, baseMs * 2 ** attempt));
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Run `step` until it succeeds, throws something not retryable, or the attempts run out (then
 * the last RetryableError is thrown).
 *
 * ```ts
 * await withRetry(() => client.reportAddresses(addresses), DEFAULT_RETRY);
 * ```
 */
export async function withRetry<T>(
  step: (attempt: number) => Promise<T>,
  policy: RetryPolicy = DEFAULT_RETRY,
): Promise<T> {
  const sleep = policy.sleep ?? defaultSleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await step(attempt);
    } catch (e) {
      if (!(e instanceof RetryableError) || attempt + 1 >= policy.attempts) throw e;
      // Retry-After (RFC 9110 §10.2.3) is a floor, capped by maxMs so a hostile value cannot park
      // us; the jitter goes on top of it, or a fleet told "2 s" would all come back at 2 s.
      const floor = Math.min(e.retryAfterMs ?? 0, policy.maxMs);
      await sleep(floor + backoffDelay(attempt, policy, policy.random));
    }
  }
}
