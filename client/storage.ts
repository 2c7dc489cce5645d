/** Where the client remembers the last origin that answered. `localStorage` fits as is. */
export interface OriginStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/**
 * `localStorage` where the runtime has one and allows it (sandboxed frames throw), else none.
 *
 * @example
 *   createHairpinClient({ mountPoint, storage: defaultStorage() });
 */
export function defaultStorage(): OriginStorage | null {
  try {
    const storage = (globalThis as { localStorage?: OriginStorage }).localStorage;
    return storage && typeof storage.getItem === 'function' ? storage : null;
  } catch {
    return null;
  }
}

/** Reads and writes ignore storage errors (quota, privacy mode): memory is an optimisation, never a failure. */
export function rememberedOrigin(storage: OriginStorage | null, key: string): string | null {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

export function rememberOrigin(storage: OriginStorage | null, key: string, origin: string): void {
  try {
    storage?.setItem(key, origin);
  } catch {
    // See rememberedOrigin.
  }
}
