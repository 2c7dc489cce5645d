// The canary names the manager publishes and the probe asks, relative to the zone apex: fixed
// answers that tell "this resolver filters private answers" from "this node is not published".
export const CANARIES = { private: 'private.canary', ula: 'ula.canary', public: 'public.canary' } as const;

/**
 * Under this name, relative to the apex, `<nonce>.stale.canary` answers a probe's serve-stale
 * check on the manager's port-53 server: once, with a one-second TTL, then silence (RFC 8767).
 */
export const STALE_CANARY = 'stale.canary';

/** A serve-stale nonce: 16 lowercase hex digits (64 random bits), the first label of the name. */
export const STALE_NONCE = /^[0-9a-f]{16}$/;

/** The TTL of the serve-stale answer: expired by the time the probe asks again. */
export const STALE_TTL = 1;
