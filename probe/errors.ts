// Transport failures, jose-style: one base class with a stable `code`; the probe turns each code
// into an observation outcome and, from there, a verdict.

export type ProbeErrorCode = 'ERR_PROBE_TIMEOUT' | 'ERR_PROBE_UNREACHABLE' | 'ERR_PROBE_BAD_RESPONSE';

export class ProbeError extends Error {
  readonly code: ProbeErrorCode;

  constructor(code: ProbeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** The resolver did not answer within the time bound (or the probe's deadline passed). */
export function timeoutError(what: string): ProbeError {
  return new ProbeError('ERR_PROBE_TIMEOUT', `${what}: no answer in time`);
}

/** Map an abort or a socket error to a ProbeError; anything else is "unreachable". */
export function asProbeError(what: string, error: unknown, signal: AbortSignal): ProbeError {
  if (error instanceof ProbeError) return error;
  if (signal.aborted) return timeoutError(what);
  const code = (error as { code?: string }).code;
  return new ProbeError('ERR_PROBE_UNREACHABLE', `${what}: ${code ?? (error as Error).message}`, { cause: error });
}
