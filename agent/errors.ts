// The agent's errors, jose-style as in client/errors.ts: one base class, a `static code` on each
// subclass and `code = X.code` on its instances. Callers branch on the code, never the message.

/**
 * Base class of every error the agent raises itself.
 *
 * ```ts
 * try { await agent.runOnce(); }
 * catch (e) { if (e instanceof AgentError && e.code === ManagerError.code) showManagerDown(); else throw e; }
 * ```
 */
export class AgentError extends Error {
  static code = 'ERR_AGENT';
  code = AgentError.code;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The CA asked for something this agent does not do (another name, another challenge type). */
export class CertificateError extends AgentError {
  static override code = 'ERR_CERTIFICATE';
  override code = CertificateError.code;
}
