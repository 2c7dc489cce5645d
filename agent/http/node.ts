// The policy around a Node `http`/`https`/`http2` (compat) request listener. Headers are set
// before the listener runs, so they ride on whatever it writes, errors included.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import { type Decision, failure, type ServiceIdentity, servicePolicy } from './policy.ts';

type Req = IncomingMessage | Http2ServerRequest;
type Res = ServerResponse | Http2ServerResponse;

/** What both response classes offer, as one shape (their own signatures differ in overloads). */
interface Writable {
  writeHead(status: number, headers: Record<string, string>): unknown;
  setHeader(name: string, value: string): unknown;
  end(body?: string): unknown;
  readonly headersSent: boolean;
}
type Listener<Q extends Req, S extends Res> = (req: Q, res: S) => unknown;

function send(res: Writable, decision: Extract<Decision, { kind: 'answer' }>, method: string | undefined): void {
  res.writeHead(decision.status, decision.headers);
  res.end(method === 'HEAD' || decision.body === null ? undefined : decision.body);
}

/**
 * ```ts
 * https.createServer({ cert, key }, withHairpinListener((req, res) => res.end('ok'), identity)).listen(8443);
 * ```
 */
export function withHairpinListener<Q extends Req, S extends Res>(
  listener: Listener<Q, S>,
  identity: ServiceIdentity,
): (req: Q, res: S) => void {
  const decide = servicePolicy(identity);
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'https://service.invalid');
    const header = (name: string) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    const decision = decide({
      method: req.method ?? 'GET',
      host: header('host') ?? header(':authority'),
      path: url.pathname,
      query: url.searchParams,
      header,
    });
    if (decision.kind === 'answer') return send(res as unknown as Writable, decision, req.method);
    const out = res as unknown as Writable;
    for (const [k, v] of Object.entries(decision.headers)) out.setHeader(k, v);
    const fail = () => {
      if (!out.headersSent) send(out, failure(decision.headers), req.method);
      else res.destroy();
    };
    try {
      const result = listener(req, res);
      if (result instanceof Promise) result.catch(fail);
    } catch {
      fail();
    }
  };
}
