import { classify, type Failure, isFailure } from './classify.ts';
import { AllOriginsFailed, ClientClosed, IdentityMismatch, LocalNetworkDenied, NotRepeated } from './errors.ts';
import { OriginSwitchEvent, type SwitchReason, TransportFailureEvent } from './events.ts';
import { verifyIdentity } from './identity.ts';
import { createLocalNetworkAccess, type LocalNetworkAccess } from './local-network-access.ts';
import { nodeOrigins } from './origins.ts';
import { raceWithDelay } from './race.ts';
import { prepareReplay } from './replay.ts';
import { defaultStorage, type OriginStorage, rememberedOrigin, rememberOrigin } from './storage.ts';
import { nextTurn, timeBound, unref } from './time-bound.ts';

/** First re-probe delay after a network change (ms), when shorter than `reprobe.initialMs`. */
const NETWORK_SETTLE_MS = 1_000;
/** The least the path check waits for this origin after the other one answered (ms). */
const PATH_CHECK_MIN_GRACE_MS = 50;

export interface HairpinClientOptions {
  /** The URL handed out at pairing, e.g. `https://i-nur1.pl-1234.example.test:8443/`. */
  mountPoint: string | URL;
  /** The node's other origin; default: the mount point's sibling name (`i-` prefix added or removed). */
  otherOrigin?: string | URL;
  /**
   * The node's relay origin (`https://relay-nur1-pl-1234.example.test`): a third origin, used only
   * when both direct origins fail (or the internal one is denied and the external one fails),
   * identity-checked like them, and left as soon as a direct origin answers a re-probe. Default:
   * what the node's identity answer names, once a direct origin gave one; `false`: never.
   */
  relayOrigin?: string | URL | false;
  /** Happy Eyeballs delay before probing the second origin (ms, default 250). */
  raceDelayMs?: number;
  /** Time bound of one request attempt until its response headers (ms, default 15 000). */
  attemptTimeoutMs?: number;
  /** Time bound of one identity probe (ms, default 5 000). */
  probeTimeoutMs?: number;
  /**
   * When an attempt has no response headers after this long, probe the same origin's identity
   * (bounded by the same time): no answer means the path died (a silent drop), so the attempt is
   * abandoned as a timeout instead of waiting for `attemptTimeoutMs`; an answer means the service
   * is just slow, and the attempt goes on (ms, default 1 500; `false` disables).
   */
  stallCheckMs?: number | false;
  /**
   * For a request that is safe to repeat: when it has no response headers after this long, ask
   * both origins who they are. If the other one answers first, this path has died (Wi-Fi gone
   * mid-session, packets dropped): the attempt is abandoned as a timeout and the request repeated
   * there at once (this one gets as long again as the other took, at least 50 ms). If this one
   * answers, the service is only slow and the attempt goes on (ms, default 200; `false` disables). Requests that are not safe to repeat wait for the
   * stall check instead, which never abandons a live path.
   */
  pathCheckMs?: number | false;
  /**
   * Re-probe of the internal origin while on the external one (of both direct origins while on
   * the relay): first delay, doubling up to max (ms, default 30 000 → 600 000); `false` disables.
   */
  reprobe?: { initialMs?: number; maxMs?: number } | false;
  /** Memory of the last good origin; default `localStorage` where available, `null` for none. */
  storage?: OriginStorage | null;
  /** The underlying fetch; default `globalThis.fetch`. */
  fetch?: typeof fetch;
  /** Chromium Local Network Access handling (default `auto`: in a page whose origin is not the internal one). */
  localNetworkAccess?: 'auto' | 'on' | 'off';
  /** Address space of the internal origin for LNA (default `local`). */
  targetAddressSpace?: 'local' | 'loopback';
}

type Settings = {
  raceDelayMs: number;
  attemptTimeoutMs: number;
  probeTimeoutMs: number;
  stallCheckMs: number | false;
  pathCheckMs: number | false;
  reprobe: { initialMs: number; maxMs: number } | false;
};

/**
 * The app's fetch, failing over between the node's internal and external origins. Requests to
 * any other origin pass through untouched. Fires `switch` (OriginSwitchEvent) and `failure`
 * (TransportFailureEvent).
 *
 * @example
 *   const client = createHairpinClient({ mountPoint: 'https://i-nur1.pl-1234.example.test:8443/' });
 *   client.addEventListener('switch', (e) => console.info((e as OriginSwitchEvent).reason));
 *   const res = await client.fetch('/v1/stock?sku=42');          // relative to the mount point
 *   await client.fetch('/v1/sales', { method: 'POST', body, headers: { 'Idempotency-Key': id } });
 *   client.close();
 */
export class HairpinClient extends EventTarget {
  readonly mountPoint: URL;
  /** The mount point's origin, then the other one. */
  readonly origins: readonly [string, string];
  readonly internalOrigin: string;
  /** Same signature as the global `fetch`, bound, so it can be handed around. */
  readonly fetch: typeof fetch;

  #current: string | null = null;
  #relay: string | null;
  readonly #learnRelay: boolean;
  #closed = false;
  #racing: Promise<string> | null = null;
  #reprobeTimer: ReturnType<typeof setTimeout> | undefined;
  #reprobeDelay: number;
  readonly #opts: Settings;
  readonly #base: typeof fetch;
  readonly #storage: OriginStorage | null;
  readonly #storageKey: string;
  readonly #lna: LocalNetworkAccess;
  readonly #unlisten: Array<() => void> = [];

  constructor(options: HairpinClientOptions) {
    super();
    const { mountPoint, origins, internal } = nodeOrigins(options.mountPoint, options.otherOrigin);
    this.mountPoint = mountPoint;
    this.origins = origins;
    this.internalOrigin = internal;
    this.#relay = options.relayOrigin ? new URL(options.relayOrigin).origin : null;
    this.#learnRelay = options.relayOrigin === undefined;
    if (this.#relay !== null && origins.includes(this.#relay))
      throw new TypeError(`the relay origin must differ from the direct ones (${this.#relay})`);
    const reprobe =
      options.reprobe === false
        ? false
        : { initialMs: options.reprobe?.initialMs ?? 30_000, maxMs: options.reprobe?.maxMs ?? 600_000 };
    this.#opts = {
      raceDelayMs: options.raceDelayMs ?? 250,
      attemptTimeoutMs: options.attemptTimeoutMs ?? 15_000,
      probeTimeoutMs: options.probeTimeoutMs ?? 5_000,
      stallCheckMs: options.stallCheckMs ?? 1_500,
      pathCheckMs: options.pathCheckMs ?? 200,
      reprobe,
    };
    this.#reprobeDelay = reprobe ? reprobe.initialMs : 0;
    const base = options.fetch;
    // A lambda, not a bound reference: window.fetch throws "Illegal invocation" with another `this`.
    this.#base = base ? (input, init) => base(input, init) : (input, init) => globalThis.fetch(input, init);
    this.#storage = options.storage === undefined ? defaultStorage() : options.storage;
    this.#storageKey = `hairpin:last-good:${origins[0]}`;
    this.#lna = createLocalNetworkAccess({
      internalOrigin: internal,
      mode: options.localNetworkAccess ?? 'auto',
      targetAddressSpace: options.targetAddressSpace ?? 'local',
      onChange: (state) => {
        if (state === 'granted') this.#networkChanged();
        else if (state === 'denied' && this.#current === internal)
          this.#setCurrent(this.#other(internal), 'local-network-denied');
      },
    });
    this.fetch = (input, init) => this.#fetch(input, init);
    this.#listenForNetworkChanges();
  }

  /** The origin requests go to now; `null` until one proved itself (the next call probes both). */
  get current(): string | null {
    return this.#current;
  }

  /** The relay origin, given or learnt from the node's identity; `null` while none is known. */
  get relayOrigin(): string | null {
    return this.#relay;
  }

  /** Stops re-probes and listeners; later calls throw `ERR_CLIENT_CLOSED`. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#reprobeTimer);
    for (const unlisten of this.#unlisten.splice(0)) unlisten();
  }

  async #fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    if (this.#closed) throw new ClientClosed();
    const source = input instanceof Request ? input : undefined;
    const url = new URL(source ? source.url : String(input), this.mountPoint);
    if (!this.origins.includes(url.origin) && url.origin !== this.#relay) return this.#base(input, init);
    const callerSignal = init?.signal ?? source?.signal ?? null;
    const request = await prepareReplay(source, init);
    const path = url.pathname + url.search;
    const failures: Failure[] = [];

    let origin = this.#current ?? (await this.#raceOnce(callerSignal));
    const tried = new Set<string>();
    for (;;) {
      tried.add(origin);
      const outcome = await this.#attempt(
        origin,
        path,
        request.init,
        callerSignal,
        request.rereadable && request.safeToRepeat,
      );
      if (!isFailure(outcome)) {
        this.#confirm(origin);
        return outcome;
      }
      failures.push(outcome);
      const repeatable = request.rereadable && (request.safeToRepeat || outcome.neverSent);
      // A request that may have been applied is not repeated anywhere, the relay included.
      const next = repeatable ? await this.#nextOrigin(origin, tried, failures) : this.#nextDirect(origin, tried);
      if (next === null) {
        this.#setCurrent(null, 'all-failed', outcome);
        // A first attempt that may have been applied says so, even with no other path left: the
        // caller must not resend it blindly, which is what an "all failed" would invite.
        if (tried.size === 1 && !repeatable) throw new NotRepeated(outcome);
        throw noPath(failures, this.#lna.denied() ? this.internalOrigin : null);
      }
      this.#setCurrent(
        next,
        next === this.#relay
          ? 'relay'
          : outcome.kind === 'local-network-denied'
            ? 'local-network-denied'
            : 'transport-failure',
        outcome,
      );
      if (!repeatable) throw new NotRepeated(outcome);
      origin = next;
    }
  }

  /** The other direct origin, unless tried already or denied by the browser. */
  #nextDirect(origin: string, tried: Set<string>): string | null {
    if (origin === this.#relay) return null;
    const other = this.#other(origin);
    return tried.has(other) || (other === this.internalOrigin && this.#lna.denied()) ? null : other;
  }

  /** After a failure: the other direct origin; with both gone, the relay once it proved who it is. */
  async #nextOrigin(origin: string, tried: Set<string>, failures: Failure[]): Promise<string | null> {
    const direct = this.#nextDirect(origin, tried);
    if (direct !== null || origin === this.#relay || this.#relay === null || tried.has(this.#relay)) return direct;
    try {
      return await this.#probe(this.#relay);
    } catch (error) {
      if (isFailure(error)) failures.push(error);
      return null;
    }
  }

  /** Returns the Response, or the classified transport failure; rethrows anything else as is. */
  async #attempt(
    origin: string,
    path: string,
    init: RequestInit,
    callerSignal: AbortSignal | null,
    repeatable: boolean,
  ): Promise<Response | Failure> {
    const bound = timeBound(callerSignal, this.#opts.attemptTimeoutMs);
    const stopStallCheck = this.#stallCheck(origin, bound.expire);
    const stopPathCheck = repeatable ? this.#pathCheck(origin, bound.expire) : () => {};
    try {
      const response = await this.#base(new URL(path, origin), {
        ...init,
        ...this.#lnaInit(origin),
        signal: bound.signal,
      });
      bound.stopClock();
      return response;
    } catch (error) {
      bound.clear();
      return this.#failure(error, origin, callerSignal, bound.timedOut());
    } finally {
      stopStallCheck();
      stopPathCheck();
    }
  }

  /** Arms the path check of one repeatable attempt; returns its disarm. */
  #pathCheck(origin: string, expire: () => void): () => void {
    // The relay is used only when neither direct origin answers: nothing to compare it with.
    if (origin === this.#relay) return () => {};
    const other = this.#other(origin);
    // In a browser page, a probe of the internal origin may raise the Local Network Access prompt:
    // only the re-probe, paced and stopped by a denial, asks that.
    if (other === this.internalOrigin && this.#lna.applies) return () => {};
    return armCheck(this.#opts.pathCheckMs, (signal, disarm) => {
      const asked = Date.now();
      // This origin answering at all means the path lives (the service is only slow).
      this.#probe(origin, signal).then(disarm, () => {});
      // The other answering, and this one not within as long again, means the path died. The
      // grace keeps two live paths of similar round trip from being told apart by a coin toss.
      this.#probe(other, signal).then(
        () => {
          const grace = setTimeout(
            () => signal.aborted || expire(),
            Math.max(Date.now() - asked, PATH_CHECK_MIN_GRACE_MS),
          );
          signal.addEventListener('abort', () => clearTimeout(grace), { once: true });
        },
        () => {},
      );
    });
  }

  /** Arms the stall check of one attempt; returns its disarm. */
  #stallCheck(origin: string, expire: () => void): () => void {
    const after = this.#opts.stallCheckMs;
    if (after === false) return () => {};
    // The probe is bounded by as much: a path that cannot answer it in that time is dead.
    return armCheck(after, (signal) => {
      this.#probe(origin, signal, after).catch(() => signal.aborted || expire());
    });
  }

  async #failure(
    error: unknown,
    origin: string,
    callerSignal: AbortSignal | null,
    timedOut: boolean,
  ): Promise<Failure> {
    const failure = classify(error, { origin, callerSignal, timedOut });
    if (!failure || failure.kind === 'aborted') throw error;
    // Chromium reports an LNA denial as a plain network error; only the permission state tells.
    // A state still at `prompt` after the failure is a dismissed prompt: backed off like a denial.
    const lna =
      failure.kind === 'network' && origin === this.internalOrigin ? await this.#lna.explainFailure() : undefined;
    if (lna) {
      failure.kind = 'local-network-denied';
      failure.neverSent = true;
      failure.detail =
        lna === 'denied' ? 'local-network-access permission denied' : 'local-network-access prompt dismissed';
    }
    this.dispatchEvent(new TransportFailureEvent(failure));
    return failure;
  }

  /** One shared race at a time: concurrent calls wait for the same winner. */
  #raceOnce(callerSignal: AbortSignal | null): Promise<string> {
    const race = (this.#racing ??= this.#race().finally(() => {
      this.#racing = null;
    }));
    if (!callerSignal) return race;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(callerSignal.reason);
      if (callerSignal.aborted) return onAbort();
      callerSignal.addEventListener('abort', onAbort, { once: true });
      race.then(resolve, reject).finally(() => callerSignal.removeEventListener('abort', onAbort));
    });
  }

  async #race(): Promise<string> {
    if (this.#lna.applies) await this.#lna.state();
    const remembered = rememberedOrigin(this.#storage, this.#storageKey);
    const order = remembered === this.origins[1] ? [this.origins[1], this.origins[0]] : [...this.origins];
    const failures: Failure[] = [];
    const candidates = order.filter((origin) => {
      if (origin !== this.internalOrigin || !this.#lna.denied()) return true;
      failures.push({
        kind: 'local-network-denied',
        origin,
        neverSent: true,
        detail: 'local-network-access permission denied',
        error: undefined,
      });
      return false;
    });
    try {
      const { index } = await raceWithDelay(
        candidates.map((origin) => (signal: AbortSignal) => this.#probe(origin, signal)),
        this.#opts.raceDelayMs,
      );
      const winner = candidates[index]!;
      this.#setCurrent(winner, 'race');
      this.#confirm(winner);
      // The probe's connection goes back to the pool a turn after its body is read (undici);
      // sending the first request before then opens a second connection and handshake.
      await nextTurn();
      return winner;
    } catch (error) {
      const errors = error instanceof AggregateError ? error.errors : [error];
      failures.push(...errors.filter(isFailure));
      // Both direct origins failed (or the internal one is denied and the other failed): the relay.
      if (this.#relay !== null) {
        try {
          const relay = await this.#probe(this.#relay);
          this.#setCurrent(relay, 'relay');
          await nextTurn();
          return relay;
        } catch (relayError) {
          if (isFailure(relayError)) failures.push(relayError);
        }
      }
      this.#scheduleReprobe();
      throw noPath(failures, this.#lna.denied() ? this.internalOrigin : null);
    }
  }

  /** Identity check of one origin; rejects with a Failure. */
  async #probe(origin: string, signal?: AbortSignal, timeoutMs = this.#opts.probeTimeoutMs): Promise<string> {
    const bound = timeBound(signal, timeoutMs);
    try {
      const identity = await verifyIdentity(origin, {
        fetch: this.#base,
        signal: bound.signal,
        init: this.#lnaInit(origin),
      });
      this.#learnRelayFrom(identity.names.relay);
      return origin;
    } catch (error) {
      if (signal?.aborted) throw error;
      if (error instanceof IdentityMismatch) {
        const failure: Failure = { kind: 'identity', origin, neverSent: false, detail: error.message, error };
        this.dispatchEvent(new TransportFailureEvent(failure));
        throw failure;
      }
      throw await this.#failure(error, origin, null, bound.timedOut());
    } finally {
      bound.clear();
    }
  }

  /** The relay name a direct origin's identity answer gives (its certificate vouched for the answer). */
  #learnRelayFrom(name: string | undefined): void {
    if (!this.#learnRelay || this.#relay !== null || !name || !/^[a-z0-9.-]+$/i.test(name)) return;
    const relay = `https://${name.toLowerCase()}`;
    if (!this.origins.includes(relay)) this.#relay = relay;
  }

  #lnaInit(origin: string): RequestInit {
    return origin === this.internalOrigin ? this.#lna.init : {};
  }

  #other(origin: string): string {
    return origin === this.origins[0] ? this.origins[1] : this.origins[0];
  }

  #setCurrent(to: string | null, reason: SwitchReason, failure?: Failure): void {
    const from = this.#current;
    if (from === to) return;
    this.#current = to;
    this.dispatchEvent(new OriginSwitchEvent(from, to, reason, failure));
    if (to === this.internalOrigin || to === this.#relay) {
      clearTimeout(this.#reprobeTimer);
      this.#reprobeTimer = undefined;
      if (this.#opts.reprobe) this.#reprobeDelay = this.#opts.reprobe.initialMs;
    }
    if (to !== this.internalOrigin) this.#scheduleReprobe();
  }

  #confirm(origin: string): void {
    // The relay is never remembered: the next start tries the direct origins first.
    if (origin === this.#relay) return;
    if (rememberedOrigin(this.#storage, this.#storageKey) !== origin)
      rememberOrigin(this.#storage, this.#storageKey, origin);
  }

  #scheduleReprobe(): void {
    const reprobe = this.#opts.reprobe;
    if (!reprobe || this.#closed || this.#reprobeTimer !== undefined || this.#current === this.internalOrigin) return;
    this.#reprobeTimer = setTimeout(() => {
      this.#reprobeTimer = undefined;
      void this.#reprobeDirect();
    }, this.#reprobeDelay);
    unref(this.#reprobeTimer);
    this.#reprobeDelay = Math.min(this.#reprobeDelay * 2, reprobe.maxMs);
  }

  /**
   * Back to the internal origin when it answers; while on the relay, to whichever direct origin
   * answers first (the internal one first, the external after the race delay).
   */
  async #reprobeDirect(): Promise<void> {
    if (this.#closed || this.#current === this.internalOrigin) return;
    if (this.#lna.applies) await this.#lna.state();
    const onRelay = this.#current !== null && this.#current === this.#relay;
    // While the permission is denied, asking again would only annoy; its change event wakes us up.
    const candidates = [
      ...(this.#lna.denied() ? [] : [this.internalOrigin]),
      ...(onRelay ? [this.#other(this.internalOrigin)] : []),
    ];
    if (candidates.length === 0) return;
    try {
      const { index } = await raceWithDelay(
        candidates.map((origin) => (signal: AbortSignal) => this.#probe(origin, signal)),
        this.#opts.raceDelayMs,
      );
      const winner = candidates[index]!;
      if (this.#closed) return;
      this.#setCurrent(winner, onRelay ? 'direct-back' : 'internal-back');
      this.#confirm(winner);
    } catch {
      this.#scheduleReprobe();
    }
  }

  #networkChanged(): void {
    if (this.#closed || this.#current === this.internalOrigin) return;
    clearTimeout(this.#reprobeTimer);
    this.#reprobeTimer = undefined;
    // `online` fires when the interface is up, often before DHCP, DNS or the route have settled:
    // a probe that fails then is retried within a second or two rather than a whole period later.
    if (this.#opts.reprobe) this.#reprobeDelay = Math.min(this.#opts.reprobe.initialMs, NETWORK_SETTLE_MS);
    void this.#reprobeDirect();
  }

  // Browsers tell when the network comes back or changes (Wi-Fi ↔ cellular); elsewhere only the periodic re-probe does.
  #listenForNetworkChanges(): void {
    const g = globalThis as {
      addEventListener?: EventTarget['addEventListener'];
      removeEventListener?: EventTarget['removeEventListener'];
      navigator?: { connection?: EventTarget };
    };
    const onChange = () => this.#networkChanged();
    if (typeof g.addEventListener === 'function' && typeof g.removeEventListener === 'function') {
      g.addEventListener('online', onChange);
      this.#unlisten.push(() => g.removeEventListener!('online', onChange));
    }
    const connection = g.navigator?.connection;
    if (connection && typeof connection.addEventListener === 'function') {
      connection.addEventListener('change', onChange);
      this.#unlisten.push(() => connection.removeEventListener('change', onChange));
    }
  }
}

/**
 * Run `check` after `after` ms unless disarmed first (`false`: never). The check gets a signal
 * that aborts on disarm, and may disarm itself once it knows enough.
 */
function armCheck(after: number | false, check: (signal: AbortSignal, disarm: () => void) => void): () => void {
  if (after === false) return () => {};
  const checking = new AbortController();
  const disarm = () => {
    clearTimeout(timer);
    checking.abort();
  };
  const timer = setTimeout(() => check(checking.signal, disarm), after);
  return disarm;
}

/**
 * @example
 *   const client = createHairpinClient({ mountPoint: pairingUrl, storage: null });
 *   const api = client.fetch; // bound: safe to hand to a library that expects a fetch
 */
export function createHairpinClient(options: HairpinClientOptions): HairpinClient {
  return new HairpinClient(options);
}

function noPath(failures: readonly Failure[], lnaDeniedOrigin: string | null): AllOriginsFailed {
  if (lnaDeniedOrigin === null) return new AllOriginsFailed(failures);
  const denied = failures.some((f) => f.kind === 'local-network-denied')
    ? failures
    : [
        ...failures,
        {
          kind: 'local-network-denied' as const,
          origin: lnaDeniedOrigin,
          neverSent: true,
          detail: 'local-network-access permission denied',
          error: undefined,
        },
      ];
  return new LocalNetworkDenied(denied);
}
