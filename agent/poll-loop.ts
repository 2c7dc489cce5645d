// The agent's address poll as a loop that never overlaps itself: the next poll is scheduled only
// when the last one has finished. A poll that reports against an unreachable manager can take
// longer than the interval (6 tries of up to 10 s, plus backoff), and an interval timer would
// pile those up. After failed polls the wait grows with full jitter, carried from poll to poll,
// so a fleet that lost the manager neither retries in bursts every interval nor in step.
import { backoffDelay } from './retry.ts';

export interface PollLoopOptions {
  /** The wait between polls while they succeed. */
  intervalMs: number;
  /** The ceiling on the extra wait after failures. */
  maxBackoffMs: number;
  /** For tests: a seeded source. */
  random?: () => number;
}

/** The wait after `failures` failed polls in a row: the interval, plus full jitter over interval·2^(n−1). */
export function pollDelay(
  failures: number,
  { intervalMs, maxBackoffMs, random = Math.random }: PollLoopOptions,
): number {
  if (failures === 0) return intervalMs;
  return intervalMs + backoffDelay(failures - 1, { baseMs: intervalMs, maxMs: maxBackoffMs }, random);
}

/**
 * ```ts
 * const loop = new PollLoop(async () => (await checkAddresses().then(() => true, () => false)), { intervalMs: 60_000, maxBackoffMs: 900_000 });
 * await loop.start(); // the first poll, awaited; then one after another until stop()
 * ```
 */
export class PollLoop {
  readonly #poll: () => Promise<boolean>;
  readonly #options: PollLoopOptions;
  #failures = 0;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  #again = false;

  /** `poll` resolves true when it succeeded; a throw counts as a failure. */
  constructor(poll: () => Promise<boolean>, options: PollLoopOptions) {
    this.#poll = poll;
    this.#options = options;
  }

  /** Run the first poll now and wait for it; the following ones run on their own. */
  start(): Promise<void> {
    this.#stopped = false;
    return this.#tick();
  }

  #tick(): Promise<void> {
    this.#timer = undefined;
    this.#running = (async () => {
      const ok = await this.#poll().catch(() => false);
      this.#failures = ok ? 0 : this.#failures + 1;
      this.#running = undefined;
      const again = this.#again;
      this.#again = false;
      if (!this.#stopped)
        this.#timer = setTimeout(() => void this.#tick(), again ? 0 : pollDelay(this.#failures, this.#options));
    })();
    return this.#running;
  }

  /** Poll now (something changed): at once when idle, right after the poll in flight otherwise. */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    clearTimeout(this.#timer);
    void this.#tick();
  }

  /** No poll starts after this; resolves once the one in flight, if any, has finished. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
