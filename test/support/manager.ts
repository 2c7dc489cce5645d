// A real manager for tests: the Node entry on an in-memory (or given) SQLite, random ports.
import { type RunningManager, startNodeManager } from '../../worker/adapter/node/index.ts';

export const ADMIN_TOKEN = 'test-admin-token';

export interface TestManager extends RunningManager {
  url: string;
  /** Enrol a node; returns its credential. */
  enrol(licence: string, node: string): Promise<string>;
  /** Report addresses with a node credential; returns the JSON answer. */
  report(licence: string, node: string, credential: string, body: Record<string, unknown>): Promise<any>;
}

/** `log` takes the manager's log lines (access lines too); without it they go nowhere. */
export async function startTestManager(
  env: Record<string, string> = {},
  options: { log?: (line: string) => void } = {},
): Promise<TestManager> {
  const manager = await startNodeManager({
    // Response rate limiting off: tests ask thousands of questions from one address; the tests
    // of rate limiting turn it on.
    env: {
      HAIRPIN_DB: ':memory:',
      HAIRPIN_HTTP_PORT: '0',
      HAIRPIN_DNS_PORT: '0',
      HAIRPIN_ADMIN_TOKEN: ADMIN_TOKEN,
      HAIRPIN_RRL_RATE: '0',
      ...env,
    },
    log: options.log ?? (() => {}),
  });
  const url = `http://127.0.0.1:${manager.http.port}`;
  return Object.assign(manager, {
    url,
    async enrol(licence: string, node: string) {
      const res = await fetch(`${url}/v1/licences/${licence}/nodes`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ node }),
      });
      if (res.status !== 201) throw new Error(`enrol ${licence}/${node}: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { credential: string }).credential;
    },
    async report(licence: string, node: string, credential: string, body: Record<string, unknown>) {
      const res = await fetch(`${url}/v1/licences/${licence}/nodes/${node}/addresses`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status !== 200) throw new Error(`report ${licence}/${node}: ${res.status} ${await res.text()}`);
      return res.json();
    },
  });
}
