import type { Failure } from './classify.ts';

/**
 * Base class of every error the client raises itself. Branch on `code`, never on the message.
 *
 * @example
 *   try { await client.fetch('/v1/sales', { method: 'POST', body }); }
 *   catch (e) {
 *     if (e instanceof HairpinClientError && e.code === 'ERR_NOT_REPEATED') showRetryButton();
 *     else throw e;
 *   }
 */
export class HairpinClientError extends Error {
  static code = 'ERR_HAIRPIN_CLIENT';
  code = 'ERR_HAIRPIN_CLIENT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Every origin failed at the transport level; `failures` lists them in the order tried. */
export class AllOriginsFailed extends HairpinClientError {
  static override code = 'ERR_ALL_ORIGINS_FAILED';
  override code = 'ERR_ALL_ORIGINS_FAILED';
  readonly failures: readonly Failure[];
  constructor(failures: readonly Failure[], message: string = describe('no origin of the node answered', failures)) {
    super(message, { cause: failures[failures.length - 1]?.error });
    this.failures = failures;
  }
}

/**
 * No origin answered and the internal one was refused by the browser's Local Network Access
 * permission (`local-network-access`): granting it in the site settings opens the LAN path.
 */
export class LocalNetworkDenied extends AllOriginsFailed {
  static override code = 'ERR_LOCAL_NETWORK_DENIED';
  override code = 'ERR_LOCAL_NETWORK_DENIED';
  constructor(failures: readonly Failure[]) {
    super(
      failures,
      describe(
        'no origin of the node answered and the browser denied the "local-network-access" permission for the internal one; allow "Local network access" for this site to use the LAN path',
        failures,
      ),
    );
  }
}

/**
 * The request may have reached the node before the transport failed, and repeating it is not
 * known to be safe (method not idempotent, no `Idempotency-Key`), or its body was a stream that
 * cannot be sent twice. The client has already switched origin for the next call.
 */
export class NotRepeated extends HairpinClientError {
  static override code = 'ERR_NOT_REPEATED';
  override code = 'ERR_NOT_REPEATED';
  readonly failure: Failure;
  constructor(failure: Failure) {
    super(
      describe(
        'request not repeated on the other origin: it may have reached the node (send an Idempotency-Key to allow it)',
        [failure],
      ),
      { cause: failure.error },
    );
    this.failure = failure;
  }
}

/** An origin answered `/.well-known/hairpin`, but not as the expected node (captive portal, another service). */
export class IdentityMismatch extends HairpinClientError {
  static override code = 'ERR_IDENTITY_MISMATCH';
  override code = 'ERR_IDENTITY_MISMATCH';
  readonly origin: string;
  constructor(origin: string, reason: string) {
    super(`${origin} is not the hairpin node: ${reason}`);
    this.origin = origin;
  }
}

/** `fetch` was called after `close()`. */
export class ClientClosed extends HairpinClientError {
  static override code = 'ERR_CLIENT_CLOSED';
  override code = 'ERR_CLIENT_CLOSED';
  constructor() {
    super('the hairpin client is closed');
  }
}

function describe(head: string, failures: readonly Failure[]): string {
  return failures.length === 0
    ? head
    : `${head} (${failures.map((f) => `${f.origin}: ${f.kind}, ${f.detail}`).join('; ')})`;
}
