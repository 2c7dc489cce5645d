// `hairpin admin`: the admin API from a shell.
import { defineCommand, fetchOrExplain, managerUrl, UsageError } from './command.ts';

/** Times in the API are epoch milliseconds (`…At`); people read ISO 8601. */
function isoDates(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => isoDates(v));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isoDates(v, k)]));
  return /At$/.test(key) && typeof value === 'number' ? new Date(value).toISOString() : value;
}

export const command = defineCommand({
  usage: `usage: hairpin admin <action> [--manager URL] [--token TOKEN]

  enrol <licence> <node>     enrol a node; prints its names and its credential (shown once)
  rotate <licence> <node>    issue a new credential for a node
  licences                   list licences
  nodes <licence>            list a licence's nodes with their addresses
  delete <licence> [node]    delete a node, or a whole licence
  support-token [subject]    a read-only token for the support page and /v1/compat
                             (--ttl SECONDS, default 8 h, at most 30 days)

Prints the manager's JSON answer (times as ISO 8601). --manager defaults to $HAIRPIN_MANAGER_URL,
else http://127.0.0.1:$HAIRPIN_HTTP_PORT (8787); --token to $HAIRPIN_ADMIN_TOKEN.`,
  examples: [
    'HAIRPIN_ADMIN_TOKEN=… hairpin admin enrol 1234 nur1',
    'hairpin admin nodes 1234 --manager https://manager.example.net',
    'hairpin admin support-token helpdesk --ttl 3600',
  ],
  exitCodes: ['1  also when the manager answers an error (its status and detail on stderr)'],
  options: { manager: { type: 'string' }, token: { type: 'string' }, ttl: { type: 'string' } },
  async run({ values, positionals }) {
    const [action, licence, node, ...extra] = positionals;
    const arity: Record<string, [number, number]> = {
      enrol: [2, 2],
      rotate: [2, 2],
      licences: [0, 0],
      nodes: [1, 1],
      delete: [1, 2],
      'support-token': [0, 1],
    };
    if (!action) throw new UsageError('no action given');
    const [min, max] = arity[action] ?? [];
    if (min === undefined) throw new UsageError(`unknown action "${action}"`);
    const given = [licence, node].filter((x) => x !== undefined).length + extra.length;
    if (given < min || given > max!)
      throw new UsageError(
        `${action} takes ${min === max ? min : `${min} to ${max}`} argument${max === 1 ? '' : 's'}, got ${given}`,
      );
    if (values.ttl !== undefined && !/^\d+$/.test(values.ttl))
      throw new UsageError('--ttl is a whole number of seconds');
    const token = values.token ?? process.env.HAIRPIN_ADMIN_TOKEN;
    if (!token) throw new UsageError('no admin token (--token or HAIRPIN_ADMIN_TOKEN)');
    const base = managerUrl(values.manager, process.env);
    let url: URL;
    try {
      url = new URL(base);
    } catch {
      throw new UsageError(`--manager is not a URL: "${base}"`);
    }
    const call = async (method: string, path: string, body?: unknown) => {
      const res = await fetchOrExplain(new URL(path, url), {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let parsed: unknown = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        throw new Error(`${res.status} from ${url.origin}, not JSON: ${text.slice(0, 80)}`);
      }
      return { ok: res.ok, status: res.status, body: parsed as { detail?: string } | null };
    };
    const segment = encodeURIComponent;
    const result = await (
      {
        enrol: () => call('POST', `/v1/licences/${segment(licence!)}/nodes`, { node }),
        rotate: () => call('POST', `/v1/licences/${segment(licence!)}/nodes/${segment(node!)}/credential`),
        licences: () => call('GET', '/v1/licences'),
        nodes: () => call('GET', `/v1/licences/${segment(licence!)}/nodes`),
        delete: () =>
          call(
            'DELETE',
            node ? `/v1/licences/${segment(licence!)}/nodes/${segment(node)}` : `/v1/licences/${segment(licence!)}`,
          ),
        // The second word is the token's subject here (who it is for), not a licence.
        'support-token': () =>
          call('POST', '/v1/support-tokens', {
            ...(licence ? { subject: licence } : {}),
            ...(values.ttl ? { ttlSeconds: Number(values.ttl) } : {}),
          }),
      } as Record<string, () => ReturnType<typeof call>>
    )[action]!();
    if (result.body !== null) console.log(JSON.stringify(isoDates(result.body), null, 2));
    if (!result.ok) console.error(`hairpin admin: ${result.status} ${result.body?.detail ?? ''}`);
    return result.ok ? 0 : 1;
  },
});
