// Bearer checks: the admin token, and node credentials scoped to exactly one (licence, node).
import type { Context } from 'hono';
import { credentialHash, type ManagerEnv } from './context.ts';
import { timingSafeEqual } from './credential.ts';
import { ProblemError } from './problem.ts';
import type { NodeState } from './store/store.ts';

function bearer(c: Context): string {
  const header = c.req.header('authorization') ?? '';
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (!m?.[1]) throw new ProblemError('unauthorized', 'send "Authorization: Bearer <token>"');
  return m[1];
}

function isAdmin(c: Context<ManagerEnv>, token: string): boolean {
  const admin = c.get('deps').config.adminToken;
  return admin !== undefined && timingSafeEqual(token, admin);
}

export function requireAdmin(c: Context<ManagerEnv>): void {
  const token = bearer(c);
  if (c.get('deps').config.adminToken === undefined) {
    throw new ProblemError('admin-disabled', 'set HAIRPIN_ADMIN_TOKEN to use the admin API');
  }
  if (!isAdmin(c, token)) throw new ProblemError('unauthorized', 'the admin token is not valid');
}

export type Caller = { role: 'admin' } | { role: 'node'; node: NodeState };

/**
 * Allow the admin, or the node's own credential. Another node's credential is told apart from a
 * wrong one so the caller learns it used the right secret on the wrong node.
 */
export async function requireNodeOrAdmin(
  c: Context<ManagerEnv>,
  licence: string,
  node: string,
): Promise<{ caller: Caller; state: NodeState }> {
  const token = bearer(c);
  const { store } = c.get('deps');
  const state = await store.getNode(licence, node);
  if (isAdmin(c, token)) {
    if (!state) throw new ProblemError('not-found', `no node "${node}" in licence "${licence}"`);
    return { caller: { role: 'admin' }, state };
  }
  const hash = await credentialHash(c, token);
  if (state && timingSafeEqual(hash, state.credentialHash)) return { caller: { role: 'node', node: state }, state };
  const owner = await store.nodeByCredentialHash(hash);
  if (owner) {
    throw new ProblemError(
      'forbidden',
      `this credential belongs to node "${owner.node}" of licence "${owner.licence}", not to "${node}" of "${licence}"`,
    );
  }
  throw new ProblemError('unauthorized', 'the credential is not valid for this node');
}
