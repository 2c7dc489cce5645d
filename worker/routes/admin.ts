// Admin API: licences and nodes, credentials issued and rotated (shown once; rotation revokes the
// node's acme-dns accounts).
import { Hono } from 'hono';
import { LicenceCreation, NodeEnrolment } from '../../contract/api.ts';
import { requireAdmin } from '../auth.ts';
import { credentialHash, type ManagerEnv, zoneChanged } from '../context.ts';
import { newCredential } from '../credential.ts';
import { ProblemError } from '../problem.ts';
import { parseBody, readJsonObject } from '../validate.ts';
import { nodeView } from './views.ts';

export const adminRoutes = new Hono<ManagerEnv>();

function checkLabels(c: { get(k: 'deps'): ManagerEnv['Variables']['deps'] }, licence: string, node = 'n'): void {
  const why = c.get('deps').config.names.rejectNodeLabels(licence, node);
  if (why) throw new ProblemError('invalid-label', why);
}

adminRoutes.post('/v1/licences', async (c) => {
  requireAdmin(c);
  const { licence } = parseBody(LicenceCreation, await readJsonObject(c.req.raw));
  checkLabels(c, licence);
  const { store, now } = c.get('deps');
  if (!(await store.createLicence(licence, now()))) throw new ProblemError('conflict', `licence "${licence}" exists`);
  return c.json({ licence }, 201, { location: `/v1/licences/${licence}` });
});

adminRoutes.get('/v1/licences', async (c) => {
  requireAdmin(c);
  return c.json({ licences: await c.get('deps').store.listLicences() });
});

adminRoutes.get('/v1/licences/:licence', async (c) => {
  requireAdmin(c);
  const licence = c.req.param('licence');
  const { store, config } = c.get('deps');
  if (!(await store.licenceExists(licence))) throw new ProblemError('not-found', `no licence "${licence}"`);
  const nodes = await store.listNodes(licence);
  return c.json({ licence, appsName: config.names.appsName(licence), nodes: nodes.map((n) => nodeView(config, n)) });
});

adminRoutes.delete('/v1/licences/:licence', async (c) => {
  requireAdmin(c);
  const licence = c.req.param('licence');
  const serial = await c.get('deps').store.deleteLicence(licence);
  if (serial === undefined) throw new ProblemError('not-found', `no licence "${licence}"`);
  zoneChanged(c, licence);
  return c.body(null, 204);
});

adminRoutes.post('/v1/licences/:licence/nodes', async (c) => {
  requireAdmin(c);
  const licence = c.req.param('licence');
  const { node } = parseBody(NodeEnrolment, await readJsonObject(c.req.raw));
  checkLabels(c, licence, node);
  const { store, config, now } = c.get('deps');
  const credential = newCredential();
  const serial = await store.createNode(licence, node, await credentialHash(c, credential), now());
  if (serial === undefined)
    throw new ProblemError('conflict', `node "${node}" of licence "${licence}" exists; rotate its credential instead`);
  zoneChanged(c, licence, node);
  return c.json({ licence, node, names: config.names.nodeNames(licence, node), credential, serial }, 201, {
    location: `/v1/licences/${licence}/nodes/${node}`,
    'cache-control': 'no-store',
  });
});

adminRoutes.get('/v1/licences/:licence/nodes', async (c) => {
  requireAdmin(c);
  const licence = c.req.param('licence');
  const { store, config } = c.get('deps');
  if (!(await store.licenceExists(licence))) throw new ProblemError('not-found', `no licence "${licence}"`);
  return c.json({ licence, nodes: (await store.listNodes(licence)).map((n) => nodeView(config, n)) });
});

adminRoutes.delete('/v1/licences/:licence/nodes/:node', async (c) => {
  requireAdmin(c);
  const { licence, node } = c.req.param();
  const serial = await c.get('deps').store.deleteNode(licence, node);
  if (serial === undefined) throw new ProblemError('not-found', `no node "${node}" in licence "${licence}"`);
  zoneChanged(c, licence, node);
  return c.body(null, 204);
});

adminRoutes.post('/v1/licences/:licence/nodes/:node/credential', async (c) => {
  requireAdmin(c);
  const { licence, node } = c.req.param();
  const { store, now } = c.get('deps');
  const credential = newCredential();
  const revoked = await store.rotateCredential(licence, node, await credentialHash(c, credential), now());
  if (revoked === undefined) throw new ProblemError('not-found', `no node "${node}" in licence "${licence}"`);
  // The node's acme-dns accounts went with the old credential: say so, since an ACME client's
  // stored account (lego's ACME_DNS_STORAGE_PATH) must be registered again.
  return c.json({ licence, node, credential, acmeDnsAccountsRevoked: revoked }, 200, { 'cache-control': 'no-store' });
});
