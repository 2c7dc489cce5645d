// `hairpin admin`: the admin API from a shell. Reads HAIRPIN_MANAGER_URL and HAIRPIN_ADMIN_TOKEN.
import { parseArgs } from 'node:util';

const USAGE = `usage: hairpin admin <action> [--manager URL] [--token TOKEN]

  enrol <licence> <node>     enrol a node; prints its names and its credential (shown once)
  rotate <licence> <node>    issue a new credential for a node
  licences                   list licences
  nodes <licence>            list a licence's nodes with their addresses
  delete <licence> [node]    delete a node, or a whole licence
  support-token [subject]    a read-only token for the support page and /v1/compat
                             (--ttl SECONDS, default 8 h, at most 30 days)

--manager defaults to $HAIRPIN_MANAGER_URL or http://127.0.0.1:8787; --token to $HAIRPIN_ADMIN_TOKEN.`;

export async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { manager: { type: 'string' }, token: { type: 'string' }, ttl: { type: 'string' }, help: { type: 'boolean' } },
  });
  const [action, licence, node] = positionals;
  if (values.help || !action) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const base = values.manager ?? process.env.HAIRPIN_MANAGER_URL ?? 'http://127.0.0.1:8787';
  const token = values.token ?? process.env.HAIRPIN_ADMIN_TOKEN;
  if (!token) {
    console.error('hairpin admin: no admin token (--token or HAIRPIN_ADMIN_TOKEN)');
    return 2;
  }
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(new URL(path, base), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { ok: res.ok, status: res.status, body: text ? JSON.parse(text) : null };
  };
  const need = (...xs: (string | undefined)[]) => xs.every(Boolean);
  let result;
  switch (action) {
    case 'enrol': if (!need(licence, node)) break; result = await call('POST', `/v1/licences/${licence}/nodes`, { node }); break;
    case 'rotate': if (!need(licence, node)) break; result = await call('POST', `/v1/licences/${licence}/nodes/${node}/credential`); break;
    case 'licences': result = await call('GET', '/v1/licences'); break;
    case 'nodes': if (!need(licence)) break; result = await call('GET', `/v1/licences/${licence}/nodes`); break;
    case 'delete': if (!need(licence)) break; result = await call('DELETE', node ? `/v1/licences/${licence}/nodes/${node}` : `/v1/licences/${licence}`); break;
    // The second word is the token's subject here (who it is for), not a licence.
    case 'support-token': result = await call('POST', '/v1/support-tokens', { ...(licence ? { subject: licence } : {}), ...(values.ttl ? { ttlSeconds: Number(values.ttl) } : {}) }); break;
  }
  if (!result) {
    console.error(USAGE);
    return 2;
  }
  if (result.body !== null) console.log(JSON.stringify(result.body, null, 2));
  if (!result.ok) console.error(`hairpin admin: ${result.status} ${result.body?.detail ?? ''}`);
  return result.ok ? 0 : 1;
}
