/**
 * The one place where a runtime's fetch error becomes a transport failure class. Runtimes say
 * what happened in different ways: Node/undici puts an errno-style `code` on `cause`, Deno puts
 * the OS message on `cause`, browsers only say `TypeError: Failed to fetch`. The table in
 * client/README.md, "Failure classification",, mirrors the rules below.
 */

/** How an attempt failed below HTTP (`identity`: the origin answered, but not as the node; `aborted`: the caller's own abort, never a switch). */
export type FailureKind =
  | 'dns'
  | 'refused'
  | 'unreachable'
  | 'timeout'
  | 'tls'
  | 'network'
  | 'local-network-denied'
  | 'identity'
  | 'aborted';

export interface Failure {
  kind: FailureKind;
  /** The origin the attempt went to. */
  origin: string;
  /**
   * True only when the runtime proves no byte of the request reached the node (name not
   * resolved, connection refused or unreachable, TLS handshake failed): repeating it is safe.
   */
  neverSent: boolean;
  /** A short human description (the runtime's own code or message). */
  detail: string;
  error: unknown;
}

/**
 * A failure the client made, told from anything else by shape: a Response from the app's own
 * fetch may come from another realm or library (undici's fetch under Deno, a polyfill), where
 * `instanceof Response` is false.
 */
export function isFailure(value: unknown): value is Failure {
  return typeof value === 'object' && value !== null && 'kind' in value && 'neverSent' in value;
}

export interface AttemptContext {
  origin: string;
  /** The caller's signal: when it is aborted, the failure is the caller's, not the network's. */
  callerSignal?: AbortSignal | null | undefined;
  /** Set when the client's own per-attempt time bound fired. */
  timedOut: boolean;
}

type Rule = { kind: FailureKind; neverSent: boolean };

// errno and undici codes, as Node puts them on `error.cause.code` (or deeper).
const byCode: Record<string, Rule> = {
  ENOTFOUND: { kind: 'dns', neverSent: true },
  EAI_AGAIN: { kind: 'dns', neverSent: true },
  EAI_NONAME: { kind: 'dns', neverSent: true },
  EAI_NODATA: { kind: 'dns', neverSent: true },
  EAI_FAIL: { kind: 'dns', neverSent: true },
  ECONNREFUSED: { kind: 'refused', neverSent: true },
  EHOSTUNREACH: { kind: 'unreachable', neverSent: true },
  ENETUNREACH: { kind: 'unreachable', neverSent: true },
  EHOSTDOWN: { kind: 'unreachable', neverSent: true },
  ENETDOWN: { kind: 'unreachable', neverSent: true },
  EADDRNOTAVAIL: { kind: 'unreachable', neverSent: true },
  // IPv6 paths fail in their own words: a box firewall's ICMPv6 "administratively prohibited"
  // is EACCES on Linux, a local firewall's reject EPERM, a host with IPv6 off EAFNOSUPPORT.
  EACCES: { kind: 'unreachable', neverSent: true },
  EPERM: { kind: 'unreachable', neverSent: true },
  EAFNOSUPPORT: { kind: 'unreachable', neverSent: true },
  UND_ERR_CONNECT_TIMEOUT: { kind: 'timeout', neverSent: true },
  ETIMEDOUT: { kind: 'timeout', neverSent: false },
  UND_ERR_HEADERS_TIMEOUT: { kind: 'timeout', neverSent: false },
  UND_ERR_BODY_TIMEOUT: { kind: 'timeout', neverSent: false },
  ECONNRESET: { kind: 'network', neverSent: false },
  EPIPE: { kind: 'network', neverSent: false },
  ECONNABORTED: { kind: 'network', neverSent: false },
  UND_ERR_SOCKET: { kind: 'network', neverSent: false },
  UND_ERR_CLOSED: { kind: 'network', neverSent: false },
  EPROTO: { kind: 'tls', neverSent: true },
};

// A TLS failure happens during the handshake, before any HTTP byte is written.
const tlsCode =
  /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)/;

// Deno (hyper/rustls) and browsers only give text. Order matters: first match wins.
const byMessage: Array<[RegExp, Rule]> = [
  [/dns error|failed to lookup address|name or service not known|name resolution/i, { kind: 'dns', neverSent: true }],
  [/connection refused|os error 111\b|os error 61\b|os error 10061\b/i, { kind: 'refused', neverSent: true }],
  [
    /no route to host|network is unreachable|host is down|permission denied|address family not supported|cannot assign requested address|os error (101|113|112|65|51|13|1|97|99)\b/i,
    { kind: 'unreachable', neverSent: true },
  ],
  [
    /invalid peer certificate|certificate|tls handshake|handshake failure|unknownissuer|notvalidforname/i,
    { kind: 'tls', neverSent: true },
  ],
  [/tcp connect error|client error \(connect\)/i, { kind: 'unreachable', neverSent: true }],
  [/timed out|timeout/i, { kind: 'timeout', neverSent: false }],
  // Undici without a cause, Chromium, Firefox, Safari, React Native, Deno's outer message.
  [
    /^(fetch failed|failed to fetch|networkerror when attempting to fetch resource\.?|load failed|network request failed)$|connection (closed|reset)|error sending request/i,
    { kind: 'network', neverSent: false },
  ],
];

/**
 * Classifies what `fetch` threw. Returns `undefined` when it is not a transport failure (a bad
 * URL or header is the caller's bug: rethrow it, do not switch).
 *
 * @example
 *   try { return await fetch(url, init); }
 *   catch (error) {
 *     const failure = classify(error, { origin, callerSignal: init.signal, timedOut });
 *     if (!failure || failure.kind === 'aborted') throw error;
 *     if (failure.neverSent) retryElsewhere();
 *   }
 */
export function classify(error: unknown, ctx: AttemptContext): Failure | undefined {
  const make = (rule: Rule, detail: string): Failure => ({ ...rule, origin: ctx.origin, detail, error });
  if (ctx.callerSignal?.aborted) return make({ kind: 'aborted', neverSent: false }, 'aborted by the caller');
  if (ctx.timedOut) return make({ kind: 'timeout', neverSent: false }, 'attempt time bound reached');
  const chain = causes(error);
  for (const e of chain) {
    const code = typeof e.code === 'string' ? e.code : undefined;
    if (code === undefined) continue;
    const rule = byCode[code] ?? (tlsCode.test(code) ? { kind: 'tls' as const, neverSent: true } : undefined);
    if (rule) return make(rule, code);
  }
  // Innermost first: the cause's text is more specific than the wrapper's.
  for (const e of [...chain].reverse()) {
    const message = typeof e.message === 'string' ? e.message : '';
    for (const [pattern, rule] of byMessage) {
      if (pattern.test(message)) return make(rule, message.slice(0, 200));
    }
  }
  const top = chain[0];
  if (top && top.name === 'TimeoutError') return make({ kind: 'timeout', neverSent: false }, 'TimeoutError');
  return undefined;
}

type ErrorLike = { code?: unknown; message?: unknown; name?: unknown; cause?: unknown; errors?: unknown };

function causes(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  let e: unknown = error;
  // Bounded: cause chains are short, and a cycle must not hang the client.
  for (let depth = 0; depth < 6 && typeof e === 'object' && e !== null; depth++) {
    const like = e as ErrorLike;
    chain.push(like);
    // Undici reports a dual-stack connect failure as an AggregateError of per-address errors.
    if (Array.isArray(like.errors) && like.errors[0]) chain.push(like.errors[0] as ErrorLike);
    e = like.cause;
  }
  return chain;
}
