// The policy around a Fetch-style handler ((Request) => Response): Hono, Deno.serve, Bun, workers.
import { type Decision, failure, type ServiceIdentity, servicePolicy } from './policy.ts';

type FetchHandler = (request: Request) => Response | Promise<Response>;

function toResponse(decision: Extract<Decision, { kind: 'answer' }>, method: string): Response {
  return new Response(method === 'HEAD' ? null : decision.body, { status: decision.status, headers: decision.headers });
}

/**
 * ```ts
 * const app = new Hono().get('/api/items', (c) => c.json([]));
 * Deno.serve({ cert, key, port: 8443 }, withHairpinFetch(app.fetch, identity));
 * ```
 */
export function withHairpinFetch(
  handler: FetchHandler,
  identity: ServiceIdentity,
): (request: Request) => Promise<Response> {
  const decide = servicePolicy(identity);
  return async (request) => {
    const url = new URL(request.url);
    const decision = decide({
      method: request.method,
      host: request.headers.get('host') ?? url.host,
      path: url.pathname,
      query: url.searchParams,
      header: (name) => request.headers.get(name) ?? undefined,
    });
    if (decision.kind === 'answer') return toResponse(decision, request.method);
    let response: Response;
    try {
      response = await handler(request);
    } catch {
      return toResponse(failure(decision.headers), request.method);
    }
    // A Response from fetch() has immutable headers; a copy shares the body stream.
    const out = new Response(response.body, response);
    for (const [k, v] of Object.entries(decision.headers)) {
      if (k === 'vary') out.headers.append('vary', v);
      else out.headers.set(k, v);
    }
    return out;
  };
}
