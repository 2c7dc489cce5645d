// Transport failures, jose-style (as client/errors.ts): one base class, a subclass per failure,
// each with a stable `code` (`static code`, `code = X.code`); the probe turns each code into an
// observation outcome and, from there, a verdict.

export type ProbeErrorCode = 'ERR_PROBE' | 'ERR_PROBE_TIMEOUT' | 'ERR_PROBE_UNREACHABLE' | 'ERR_PROBE_BAD_RESPONSE';

/**
 * Base class of every error a transport raises. Branch on `code`, never on the message.
 *
 * ```ts
 * try { await transport.exchange(query, signal); }
 * catch (e) { if (e instanceof ProbeError && e.code === ProbeTimeout.code) retryLater(); }
 * ```
 */
export class ProbeError extends Error {
  static code: ProbeErrorCode = 'ERR_PROBE';
  code: ProbeErrorCode = ProbeError.code;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The resolver did not answer within the time bound (or the probe's deadline passed). */
export class ProbeTimeout extends ProbeError {
  static override code: ProbeErrorCode = 'ERR_PROBE_TIMEOUT';
  override code = ProbeTimeout.code;
}

/** The resolver could not be reached: refused, no route, no name server configured. */
export class ResolverUnreachable extends ProbeError {
  static override code: ProbeErrorCode = 'ERR_PROBE_UNREACHABLE';
  override code = ResolverUnreachable.code;
}

/** An answer came, but not one to this query: undecodable, another ID or question, an HTTP error. */
export class BadResponse extends ProbeError {
  static override code: ProbeErrorCode = 'ERR_PROBE_BAD_RESPONSE';
  override code = BadResponse.code;
}

/** The resolver did not answer within the time bound (or the probe's deadline passed). */
export function timeoutError(what: string): ProbeError {
  return new ProbeTimeout(`${what}: no answer in time`);
}

/** Map an abort or a socket error to a ProbeError; anything else is "unreachable". */
export function asProbeError(what: string, error: unknown, signal: AbortSignal): ProbeError {
  if (error instanceof ProbeError) return error;
  if (signal.aborted) return timeoutError(what);
  const code = (error as { code?: string }).code;
  return new ResolverUnreachable(`${what}: ${code ?? (error as Error).message}`, { cause: error });
}
