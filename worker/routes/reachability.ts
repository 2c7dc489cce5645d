// The reachability check, asked by the node's agent, the admin or support's tools: the body
// names nothing to connect to (the node's own reported addresses and port are the only targets).
import { Hono } from 'hono';
import { requireNodeOrAdmin } from '../auth.ts';
import type { ManagerEnv } from '../context.ts';
import { ProblemError } from '../problem.ts';
import { checkReachability, reachTargets, reachView } from '../reachability/check.ts';
import { readJsonObject, rejectUnknownFields } from '../validate.ts';

export const reachabilityRoutes = new Hono<ManagerEnv>();

reachabilityRoutes.post('/v1/licences/:licence/nodes/:node/reachability', async (c) => {
  const { licence, node } = c.req.param();
  const { state } = await requireNodeOrAdmin(c, licence, node);
  // No field is accepted: an "address" or "port" here is refused rather than ignored, so nobody
  // believes they aimed the check somewhere.
  if (c.req.header('content-length') !== '0' && (c.req.header('content-type') || c.req.raw.body)) {
    rejectUnknownFields(await readJsonObject(c.req.raw), []);
  }
  const { tcpConnect, store, now } = c.get('deps');
  if (!tcpConnect)
    throw new ProblemError(
      'not-available',
      'this runtime has no outgoing TCP for the reachability check (Node and Workers have)',
    );
  // Every asking counts against the node's slot, also one that finds nothing to check.
  const reach = store.reachability;
  const slot = await reach.claim(licence, node, now());
  if (!slot.claimed) {
    const response = new ProblemError(
      'rate-limited',
      `one reachability check per node per minute; the next in ${Math.ceil(slot.retryAfterMs / 1000)} s`,
    ).toResponse(c.req.path);
    response.headers.set('retry-after', String(Math.ceil(slot.retryAfterMs / 1000)));
    return response;
  }
  if (reachTargets(state.addresses).length === 0) {
    throw new ProblemError(
      'no-public-address',
      `node "${node}" has reported no public IPv4 or global IPv6 address yet`,
    );
  }
  const results = await checkReachability(tcpConnect, state.addresses, now);
  await reach.save(licence, node, results);
  return c.json({ licence, node, reachability: reachView(results, state.addresses) });
});
