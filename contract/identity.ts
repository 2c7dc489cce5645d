// Who a node is, as the agent serves it at `GET /.well-known/hairpin?nonce=…` and as the agent's
// hairpin self-test checks it. The app client (client/identity.ts) ships alone and keeps its own
// copy of these few lines; test/architecture/contracts.test.ts holds the two together.

/** A node's two names: the public address's and the RFC 1918 address's. */
export interface NodeNames {
  external: string;
  internal: string;
  /** The relay's name for this node, when the manager runs a relay (reached on port 443). */
  relay?: string;
}

export const IDENTITY_PATH = '/.well-known/hairpin';

/** The identity body; the nonce is the caller's, echoed (no cache, no replay). */
export interface NodeIdentity {
  service: 'hairpin';
  licence: string;
  node: string;
  names: NodeNames;
  nonce: string;
}

export function identityBody(node: { licence: string; node: string; names: NodeNames }, nonce: string): NodeIdentity {
  const { external, internal, relay } = node.names;
  return {
    service: 'hairpin',
    licence: node.licence,
    node: node.node,
    names: { external, internal, ...(relay ? { relay } : {}) },
    nonce,
  };
}

/** Why `body` is not this node's answer to `nonce`, or undefined when it is. */
export function identityMismatch(
  body: unknown,
  nonce: string,
  node?: { licence: string; node: string },
): string | undefined {
  const id = body as Partial<NodeIdentity> | null;
  if (id?.service !== 'hairpin') return 'service is not "hairpin"';
  if (id.nonce !== nonce) return 'nonce not echoed';
  if (node && (id.licence !== node.licence || id.node !== node.node))
    return `it is ${String(id.licence)}/${String(id.node)}, not ${node.licence}/${node.node}`;
  return undefined;
}
