// ACME DNS-01 for nodes: a node (or the admin) sets and withdraws the TXT values served at
// `_acme-challenge.<name>` for the node's own two names. The acme-dns-compatible API for
// standard ACME clients (./acme-dns.ts) writes the same values.
import { type Context, Hono } from 'hono';
import { AcmeChallengeAdd, AcmeChallengeRemoval } from '../../contract/api.ts';
import type { NodeNames } from '../../contract/identity.ts';
import { requireNodeOrAdmin } from '../auth.ts';
import { type ManagerDeps, type ManagerEnv, zoneChanged } from '../context.ts';
import type { NameKind } from '../names.ts';
import { ProblemError } from '../problem.ts';
import type { ChallengeChange, ChallengeKey } from '../store/acme-challenges.ts';
import { type JsonObject, parseBody, readJsonObject } from '../validate.ts';

export const acmeRoutes = new Hono<ManagerEnv>();

/** The name kind a body asked for, refused when it is `relay` and the node has no relay name. */
export function nodeNameKind(kind: NameKind, names: NodeNames): NameKind {
  if (kind === 'relay' && !names.relay)
    throw new ProblemError('invalid-request', '"name" must be "external" or "internal": this manager runs no relay', [
      { field: 'name', message: '"external" or "internal"' },
    ]);
  return kind;
}

export function challengeName(names: NodeNames, kind: NameKind): string {
  return `_acme-challenge.${names[kind]!}`;
}

function parseChallenge(
  body: JsonObject,
  names: NodeNames,
  valueRequired: boolean,
): { kind: NameKind; value: string | undefined } {
  const { name, value } = parseBody(valueRequired ? AcmeChallengeAdd : AcmeChallengeRemoval, body);
  return { kind: nodeNameKind(name, names), value };
}

acmeRoutes.get('/v1/licences/:licence/nodes/:node/acme-challenges', async (c) => {
  const { licence, node } = c.req.param();
  await requireNodeOrAdmin(c, licence, node);
  const { store, config } = c.get('deps');
  const names = config.names.nodeNames(licence, node);
  const view = async (kind: NameKind) => ({
    fqdn: challengeName(names, kind),
    values: await store.acmeChallenges(licence, node, kind),
  });
  return c.json({
    licence,
    node,
    external: await view('external'),
    internal: await view('internal'),
    ...(names.relay ? { relay: await view('relay') } : {}),
  });
});

/**
 * PUT adds a value, DELETE withdraws one (or, without `value`, all): the same body, the same
 * answer (the values the name serves now). `apply` answers undefined when there was nothing to
 * withdraw.
 */
function challengeChange(
  valueRequired: boolean,
  apply: (deps: ManagerDeps, key: ChallengeKey, value: string | undefined) => Promise<ChallengeChange | undefined>,
) {
  return async (c: Context<ManagerEnv>) => {
    const { licence, node } = c.req.param() as { licence: string; node: string };
    await requireNodeOrAdmin(c, licence, node);
    const deps = c.get('deps');
    const names = deps.config.names.nodeNames(licence, node);
    const { kind, value } = parseChallenge(await readJsonObject(c.req.raw), names, valueRequired);
    const change = await apply(deps, { licence, node, kind }, value);
    const fqdn = challengeName(names, kind);
    if (!change)
      throw new ProblemError(
        'not-found',
        `no ${value === undefined ? 'challenge value' : `value "${value}"`} at ${fqdn}`,
      );
    zoneChanged(c, licence, node);
    return c.json({ licence, node, name: kind, fqdn, ...change });
  };
}

acmeRoutes.put(
  '/v1/licences/:licence/nodes/:node/acme-challenges',
  challengeChange(true, ({ store, now }, key, value) => store.addAcmeChallenge(key, value!, now())),
);

acmeRoutes.delete(
  '/v1/licences/:licence/nodes/:node/acme-challenges',
  challengeChange(false, ({ store }, key, value) => store.removeAcmeChallenge(key, value)),
);
