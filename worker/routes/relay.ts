// The relay's two doors in the manager app: the node's own socket (WebSocket upgrade, its
// credential and no other), and requests for a node's relay name, which go through that socket
// and nowhere else. Where the sockets live is the runtime's (deps.relay).
import { Hono, type MiddlewareHandler } from 'hono';
import { normalizeName } from '../../dns/name.ts';
import { requireNodeOrAdmin } from '../auth.ts';
import type { ManagerDeps, ManagerEnv } from '../context.ts';
import { ProblemError } from '../problem.ts';

export const relayRoutes = new Hono<ManagerEnv>();

relayRoutes.get('/v1/licences/:licence/nodes/:node/relay', async (c) => {
  const { licence, node } = c.req.param();
  const { caller } = await requireNodeOrAdmin(c, licence, node);
  // Only the node itself holds its relay: the admin token opens no socket in its name.
  if (caller.role !== 'node')
    throw new ProblemError('forbidden', "only the node's own credential may hold its relay socket");
  const { relay, config } = c.get('deps');
  if (!relay || !config.names.relayName(licence, node))
    throw new ProblemError(
      'not-found',
      'the relay is off on this manager (HAIRPIN_RELAY_TARGET unset) or this node has no relay name',
    );
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket')
    throw new ProblemError('upgrade-required', 'open this endpoint as a WebSocket');
  return relay.accept(c.req.raw, licence, node);
});

/**
 * The relay name a request's Host names, when the relay is on and it names one: such requests go
 * to the node, whatever their path (relayByHost; the Node entry's DoH streams leave them to it).
 */
export function relayNameOf(
  deps: Pick<ManagerDeps, 'relay' | 'config'>,
  rawHost: string | undefined,
): { host: string; licence: string; node: string } | undefined {
  if (!deps.relay || !rawHost) return undefined;
  // An IPv6 literal never parses as a relay name, so cutting `:port` off it does no harm.
  const host = normalizeName(rawHost.replace(/:\d+$/, ''));
  const parsed = host ? deps.config.names.parse(host) : undefined;
  return parsed?.kind === 'relay' ? { host, licence: parsed.licence, node: parsed.node } : undefined;
}

/** Requests whose Host is a node's relay name go to that node; everything else to the API. */
export const relayByHost: MiddlewareHandler<ManagerEnv> = async (c, next) => {
  const deps = c.get('deps');
  // Workers' requests carry their host in the URL (a Host header too, from the edge).
  const target = deps.relay && relayNameOf(deps, c.req.header('host') ?? new URL(c.req.url).host);
  if (!target) return next();
  // A relay is no proxy: no tunnels, whatever the node would say.
  if (c.req.method === 'CONNECT')
    return new ProblemError(
      'method-not-allowed',
      'the relay forwards requests to its node, it opens no tunnels',
    ).toResponse();
  return deps.relay!.forward(c.req.raw, target.host, target.licence, target.node);
};
