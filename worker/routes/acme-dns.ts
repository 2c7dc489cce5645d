// An acme-dns-compatible API (github.com/joohoi/acme-dns: POST /register, POST /update with
// X-Api-User/X-Api-Key) so standard ACME clients — lego's acme-dns provider, certbot-dns-acmedns,
// acme.sh dns_acmedns — set a node's DNS-01 values unchanged.
//
// How accounts map to names: /register is not open as in acme-dns. It needs the node's own
// credential (or the admin token) and names one of the node's names; the account it returns can
// set the TXT values of that one name and nothing else. The zone answers
// `_acme-challenge.<node name>` directly from those values, so no CNAME is needed: `fulldomain`
// is that very name. The two most recent values are kept, as acme-dns does.
//
// Accounts are bounded (ACME_DNS_ACCOUNTS_PER_NODE), listed and deleted one by one under
// /v1/licences/{licence}/nodes/{node}/acme-dns-accounts, and all revoked when the node's
// credential is rotated (they were made with it) or the node is deleted (foreign key cascade).
import { type Context, Hono } from 'hono';
import { AcmeDnsRegistration, AcmeDnsUpdate } from '../../contract/api.ts';
import { inCidr } from '../../dns/address.ts';
import { requireNodeOrAdmin } from '../auth.ts';
import { credentialHash, type ManagerEnv, zoneChanged } from '../context.ts';
import { newCredential, timingSafeEqual } from '../credential.ts';
import { ProblemError } from '../problem.ts';
import { ACME_DNS_ACCOUNTS_PER_NODE } from '../store/acme-challenges.ts';
import { parseBody, readJsonObject } from '../validate.ts';
import { challengeName, nodeNameKind } from './acme.ts';
import { clientAddress } from './node.ts';

export const acmeDnsRoutes = new Hono<ManagerEnv>();

/**
 * acme-dns reads the body as JSON whatever its Content-Type, and its clients send none
 * (goacmedns, lego's library, sets only the X-Api-* headers) or whatever their HTTP library
 * defaults to (text/plain for a string body): so do we, here only.
 */
function readBody(request: Request) {
  const headers = new Headers(request.headers);
  headers.set('content-type', 'application/json');
  return readJsonObject(new Request(request, { headers }));
}

acmeDnsRoutes.post('/register', async (c) => {
  const { licence, node, name, allowfrom = [] } = parseBody(AcmeDnsRegistration, await readBody(c.req.raw));
  const kind = nodeNameKind(name, c.get('deps').config.names.nodeNames(licence, node));
  await requireNodeOrAdmin(c, licence, node);
  const { store, config, now } = c.get('deps');
  const password = newCredential();
  const account = {
    username: crypto.randomUUID(),
    passwordHash: await credentialHash(c, password),
    subdomain: crypto.randomUUID(),
    licence,
    node,
    kind,
    allowFrom: allowfrom,
    createdAt: now(),
  };
  if (!(await store.createAcmeDnsAccount(account))) {
    throw new ProblemError(
      'conflict',
      `node "${node}" of licence "${licence}" has ${ACME_DNS_ACCOUNTS_PER_NODE} acme-dns accounts, the most allowed: delete one (DELETE ${accountsPath(licence, node)}/{username}) or rotate the node's credential, which revokes them all`,
    );
  }
  const fulldomain = challengeName(config.names.nodeNames(licence, node), kind);
  return c.json(
    { username: account.username, password, fulldomain, subdomain: account.subdomain, allowfrom: account.allowFrom },
    201,
    { 'cache-control': 'no-store' },
  );
});

function accountsPath(licence: string, node: string): string {
  return `/v1/licences/${licence}/nodes/${node}/acme-dns-accounts`;
}

acmeDnsRoutes.get('/v1/licences/:licence/nodes/:node/acme-dns-accounts', async (c) => {
  const { licence, node } = c.req.param();
  await requireNodeOrAdmin(c, licence, node);
  const { store, config } = c.get('deps');
  const names = config.names.nodeNames(licence, node);
  const accounts = (await store.listAcmeDnsAccounts(licence, node)).map((a) => ({
    username: a.username,
    subdomain: a.subdomain,
    name: a.kind,
    fulldomain: challengeName(names, a.kind),
    allowfrom: a.allowFrom,
    createdAt: new Date(a.createdAt).toISOString(),
  }));
  return c.json({ licence, node, limit: ACME_DNS_ACCOUNTS_PER_NODE, accounts });
});

acmeDnsRoutes.delete('/v1/licences/:licence/nodes/:node/acme-dns-accounts/:username', async (c) => {
  const { licence, node, username } = c.req.param();
  await requireNodeOrAdmin(c, licence, node);
  if (!(await c.get('deps').store.deleteAcmeDnsAccount(licence, node, username))) {
    throw new ProblemError('not-found', `node "${node}" of licence "${licence}" has no acme-dns account "${username}"`);
  }
  return c.body(null, 204);
});

async function updater(c: Context<ManagerEnv>) {
  const username = c.req.header('x-api-user') ?? '';
  const key = c.req.header('x-api-key') ?? '';
  const account = username ? await c.get('deps').store.findAcmeDnsAccount(username) : undefined;
  if (!account || !timingSafeEqual(await credentialHash(c, key), account.passwordHash)) {
    throw new ProblemError('unauthorized', 'send the X-Api-User and X-Api-Key that /register returned');
  }
  const source = clientAddress(c);
  if (account.allowFrom.length > 0 && !(source && account.allowFrom.some((r) => inCidr(source, r)))) {
    throw new ProblemError(
      'forbidden',
      `updates for this account are allowed only from ${account.allowFrom.join(', ')} (this one came from ${source ?? 'an unknown address'})`,
    );
  }
  return account;
}

acmeDnsRoutes.post('/update', async (c) => {
  const account = await updater(c);
  const { subdomain, txt } = parseBody(AcmeDnsUpdate, await readBody(c.req.raw));
  if (subdomain !== account.subdomain) {
    throw new ProblemError('forbidden', `this account may update subdomain "${account.subdomain}" only`);
  }
  const { store, now } = c.get('deps');
  await store.addAcmeChallenge(account, txt, now());
  zoneChanged(c, account.licence, account.node);
  return c.json({ txt });
});
