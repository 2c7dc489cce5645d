// Node API: a node reports its addresses and reads its own state, with its own credential.
import { type Context, Hono } from 'hono';
import { isGlobalIpv6, isIpv4, isNonPublicIpv4 } from '../../dns/address.ts';
import { requireNodeOrAdmin } from '../auth.ts';
import type { ManagerEnv } from '../context.ts';
import { reachView } from '../reachability/check.ts';
import { writeReport } from '../report.ts';
import { clientAddressOf } from '../request-end.ts';
import { parseAddressReport, readJsonObject } from '../validate.ts';
import { nodeView, servedRecords } from './views.ts';

export const nodeRoutes = new Hono<ManagerEnv>();

/** The request's client address (clientAddressOf): the trusted proxy header's, else the peer's. */
export function clientAddress(c: Context<ManagerEnv>): string | undefined {
  const deps = c.get('deps');
  return clientAddressOf(
    deps,
    (name) => c.req.header(name),
    () => deps.peerAddress(c),
  );
}

nodeRoutes.put('/v1/licences/:licence/nodes/:node/addresses', async (c) => {
  const { licence, node } = c.req.param();
  const { state: before } = await requireNodeOrAdmin(c, licence, node);
  const report = parseAddressReport(await readJsonObject(c.req.raw));
  const { config } = c.get('deps');
  const source = clientAddress(c) ?? null;
  // The public address defaults to where the report came from, when that is public at all; a
  // report relayed from inside a LAN keeps the public address stored before.
  const publicIpv4 =
    report.publicIpv4 !== undefined
      ? report.publicIpv4
      : source && isIpv4(source) && !isNonPublicIpv4(source)
        ? source
        : undefined;
  const publicIpv6 =
    report.publicIpv6 !== undefined ? report.publicIpv6 : source && isGlobalIpv6(source) ? source : undefined;
  const result = await writeReport(
    c,
    licence,
    node,
    {
      privateIpv4: report.privateIpv4,
      privateIpv6: report.privateIpv6,
      publicIpv4,
      publicIpv6,
      port: report.port,
      sourceAddress: source,
    },
    'api',
  );
  const state = { ...before, addresses: result.addresses };
  return c.json({
    ...nodeView(config, state),
    records: servedRecords(config, state),
    serial: result.serial,
    changed: result.changed,
  });
});

nodeRoutes.get('/v1/licences/:licence/nodes/:node', async (c) => {
  const { licence, node } = c.req.param();
  const { state } = await requireNodeOrAdmin(c, licence, node);
  const { store, config } = c.get('deps');
  const reachability = reachView(await store.reachability.last(licence, node), state.addresses);
  return c.json({
    ...nodeView(config, state),
    records: servedRecords(config, state),
    reachability,
    serial: await store.serial(),
  });
});

nodeRoutes.get('/v1/licences/:licence/nodes/:node/history', async (c) => {
  const { licence, node } = c.req.param();
  await requireNodeOrAdmin(c, licence, node);
  const limit = Math.min(Math.max(Number(c.req.query('limit') ?? 50) || 50, 1), 1000);
  return c.json({ licence, node, history: await c.get('deps').store.history(licence, node, limit) });
});
