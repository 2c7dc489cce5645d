import type { Failure } from './classify.ts';

/** Why the current origin changed. */
export type SwitchReason =
  | 'race' // no origin was known good: the first to prove its identity won
  | 'transport-failure' // the current origin failed below HTTP
  | 'local-network-denied' // the browser refused the internal origin (LNA permission)
  | 'internal-back' // a re-probe found the internal origin working again
  | 'relay' // both direct origins failed: the relay (a third origin) proved the node's identity
  | 'direct-back' // while on the relay, a re-probe found a direct origin working again
  | 'all-failed'; // nothing answers: the next call probes both again

/**
 * Fired as `switch` on the client each time the current origin changes.
 *
 * @example
 *   client.addEventListener('switch', (e) => {
 *     const { from, to, reason } = e as OriginSwitchEvent;
 *     console.info(`hairpin: ${from} → ${to} (${reason})`);
 *   });
 */
export class OriginSwitchEvent extends Event {
  readonly from: string | null;
  readonly to: string | null;
  readonly reason: SwitchReason;
  readonly failure: Failure | undefined;
  constructor(from: string | null, to: string | null, reason: SwitchReason, failure?: Failure) {
    super('switch');
    this.from = from;
    this.to = to;
    this.reason = reason;
    this.failure = failure;
  }
}

/**
 * Fired as `failure` for every transport failure the client saw, including probes.
 *
 * @example
 *   client.addEventListener('failure', (e) => metrics.count((e as TransportFailureEvent).failure.kind));
 */
export class TransportFailureEvent extends Event {
  readonly failure: Failure;
  constructor(failure: Failure) {
    super('failure');
    this.failure = failure;
  }
}
