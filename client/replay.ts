const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

export interface Replay {
  /** An init that can be sent to either origin, as many times as needed. */
  init: RequestInit;
  /** Repeating it cannot apply it twice: idempotent method (RFC 9110 §9.2.2) or an `Idempotency-Key` from the caller. */
  safeToRepeat: boolean;
  /** The body can be sent again (a stream or an iterable cannot: the first attempt consumed it). */
  rereadable: boolean;
}

/**
 * Turns a fetch call into an init that can be sent twice; a `Request`'s body is buffered.
 *
 * @example
 *   const { init, safeToRepeat, rereadable } = await prepareReplay(undefined, { method: 'POST', body: 'x', headers: { 'Idempotency-Key': 'k1' } });
 *   // safeToRepeat === true, rereadable === true
 */
export async function prepareReplay(source: Request | undefined, init: RequestInit | undefined): Promise<Replay> {
  const method = init?.method ?? source?.method ?? 'GET';
  const headers = new Headers(init?.headers ?? source?.headers);
  let body = init?.body;
  if (body === undefined && source?.body) body = await source.arrayBuffer();
  const fromSource: RequestInit = source
    ? {
        credentials: source.credentials,
        cache: source.cache,
        redirect: source.redirect,
        referrerPolicy: source.referrerPolicy,
        keepalive: source.keepalive,
      }
    : {};
  // Each attempt gets its own signal (the caller's, bounded in time).
  const { signal: _callerSignal, ...rest } = init ?? {};
  return {
    safeToRepeat: IDEMPOTENT.has(method.toUpperCase()) || headers.has('idempotency-key'),
    rereadable: isRereadable(body),
    init: { ...fromSource, ...rest, method, headers, body: body ?? null },
  };
}

/**
 * The body types fetch reads without consuming them. Anything else (a web ReadableStream, and
 * what runtimes accept beyond the standard: Node's Readable, async iterables) is read once.
 */
function isRereadable(body: unknown): boolean {
  return (
    body === undefined ||
    body === null ||
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    (typeof Blob !== 'undefined' && body instanceof Blob) ||
    (typeof FormData !== 'undefined' && body instanceof FormData) ||
    (typeof URLSearchParams !== 'undefined' && body instanceof URLSearchParams)
  );
}
