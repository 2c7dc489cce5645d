/**
 * Chromium ≥ 142 Local Network Access: a page from a public origin may reach a private address
 * only with the `local-network-access` permission, and the fetch must say where it goes
 * (`targetAddressSpace: "local"`). A denial surfaces as a plain `TypeError: Failed to fetch`,
 * so the permission state is what tells it apart from a network failure. Browsers persist a
 * denial, and while it stands the client does not try the internal origin (no prompt loop).
 * A dismissed prompt leaves the state at `prompt`: a fetch that fails while it reads `prompt` is
 * taken as a dismissal and backed off like a denial — 10 minutes, doubling to a day — unless the
 * user grants the permission meanwhile (its change event ends the back-off at once).
 */

export type LocalNetworkPermission = 'granted' | 'denied' | 'prompt' | 'unsupported';

export interface LocalNetworkAccessOptions {
  internalOrigin: string;
  /** `auto`: only in a browser page or worker whose own origin is not the internal one. */
  mode: 'auto' | 'on' | 'off';
  /** `local` for an RFC 1918 node; `loopback` for a node on the same machine. */
  targetAddressSpace: 'local' | 'loopback';
  /** Called when the browser's permission state changes (the user granted or revoked it). */
  onChange: (state: LocalNetworkPermission) => void;
}

export interface LocalNetworkAccess {
  /** Whether calls to the internal origin are subject to the permission here. */
  readonly applies: boolean;
  /** Extra fetch init for a call to the internal origin (empty when LNA does not apply). */
  readonly init: RequestInit;
  /** The current permission state; `unsupported` where the runtime cannot tell. */
  state(): Promise<LocalNetworkPermission>;
  /** True when the last known state is `denied`, or a dismissal is backed off: skip the internal origin without asking. */
  denied(): boolean;
  /**
   * After a failed call to the internal origin: `denied`, `dismissed` (the state still reads
   * `prompt`, so the user closed the prompt; backed off from now on), or undefined (not LNA).
   */
  explainFailure(): Promise<'denied' | 'dismissed' | undefined>;
}

/** The first back-off after a dismissed prompt, and its ceiling (each dismissal doubles it). */
const DISMISSED_FIRST_MS = 10 * 60_000;
const DISMISSED_MAX_MS = 86_400_000;

type PermissionsLike = {
  query(d: { name: string }): Promise<{ state: string; addEventListener?: (t: 'change', l: () => void) => void }>;
};

/**
 * @example
 *   const lna = createLocalNetworkAccess({ internalOrigin, mode: 'auto', targetAddressSpace: 'local', onChange: console.log });
 *   if (!lna.denied()) await fetch(new URL('/v1/ping', internalOrigin), { ...lna.init });
 */
export function createLocalNetworkAccess(options: LocalNetworkAccessOptions): LocalNetworkAccess {
  const g = globalThis as { location?: { origin?: unknown }; navigator?: { permissions?: PermissionsLike } };
  const permissions = g.navigator?.permissions;
  const pageOrigin = typeof g.location?.origin === 'string' ? g.location.origin : undefined;
  const applies =
    options.mode === 'on' ||
    (options.mode === 'auto' &&
      pageOrigin !== undefined &&
      pageOrigin !== options.internalOrigin &&
      typeof permissions?.query === 'function');
  let known: LocalNetworkPermission | undefined;
  let watching = false;
  let dismissals = 0;
  let dismissedUntil = 0;

  const query = async (): Promise<LocalNetworkPermission> => {
    if (!applies || !permissions) return 'unsupported';
    try {
      const status = await permissions.query({ name: 'local-network-access' });
      if (!watching) {
        watching = true;
        status.addEventListener?.('change', () => {
          known = asPermission(status.state);
          if (known === 'granted') dismissals = dismissedUntil = 0;
          options.onChange(known);
        });
      }
      return (known = asPermission(status.state));
    } catch {
      // Browsers without LNA reject the unknown permission name.
      return (known = 'unsupported');
    }
  };

  return {
    applies,
    init: applies ? ({ targetAddressSpace: options.targetAddressSpace } as RequestInit) : {},
    // Re-queried each time: the state moves from prompt to denied right after a failed fetch.
    state: query,
    denied: () => known === 'denied' || (known === 'prompt' && Date.now() < dismissedUntil),
    async explainFailure() {
      if (!applies) return undefined;
      const state = await query();
      if (state === 'denied') return 'denied';
      if (state !== 'prompt') return undefined;
      dismissedUntil = Date.now() + Math.min(DISMISSED_FIRST_MS * 2 ** dismissals, DISMISSED_MAX_MS);
      dismissals++;
      return 'dismissed';
    },
  };
}

function asPermission(state: string): LocalNetworkPermission {
  return state === 'granted' || state === 'denied' || state === 'prompt' ? state : 'unsupported';
}
