// DoH's hot path on HTTP/2: GET /dns-query?dns=… answered on Node's core stream API, without the
// compatibility layer's request and response objects, the Request and Response the app is
// handed, or the app's router. The answer, its headers and what is counted are doh-answer.ts's
// and request-end.ts's, as in the app; every other request, and every question whose answer is a
// problem (the app writes those), goes to the app as it came.
import type { IncomingHttpHeaders } from 'node:http2';
import type { ManagerDeps } from '../../context.ts';
import { clientAddressOf, requestEnded } from '../../request-end.ts';
import { answerDnsParam, type DohAnswer } from '../../routes/doh-answer.ts';
import { relayNameOf } from '../../routes/relay.ts';
import type { InFlight } from './load-shedding.ts';
import type { StreamAnswerer } from './serve.ts';

const ROUTE = '/dns-query';
const PREFIX = `${ROUTE}?dns=`;
/** A value the query string's decoding leaves as it is; '%', '+', '=', '&' (another parameter) are the app's to parse. */
const PLAIN = /^[A-Za-z0-9_-]*$/;

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/**
 * GET /dns-query with just a `dns` parameter, answered while fewer than `inFlight`'s limit of
 * requests are in progress (else the app says 503) and the Host is no node's relay name.
 */
export function dohStreams(deps: ManagerDeps, inFlight: InFlight): StreamAnswerer {
  return (stream, headers, toApp) => {
    const path = headers[':path'];
    if (
      headers[':method'] !== 'GET' ||
      !path?.startsWith(PREFIX) ||
      !PLAIN.test(path.slice(PREFIX.length)) ||
      inFlight.full ||
      (deps.relay && relayNameOf(deps, header(headers, 'host') ?? header(headers, ':authority')))
    )
      return toApp();
    const started = performance.now();
    // Read now, while the session is bound to its socket: a session closed before a miss is
    // answered has none left to ask (the app's request reads through to no address then).
    const client = clientAddressOf(
      deps,
      (name) => header(headers, name),
      () => stream.session?.socket?.remoteAddress,
    );
    const send = ({ wire, headers: answerHeaders }: DohAnswer) => {
      // A stream the client reset meanwhile takes no answer; the request is logged all the same,
      // as the app logs what it answered.
      if (!stream.destroyed) {
        stream.respond({ ':status': 200, ...answerHeaders, 'content-length': wire.byteLength });
        stream.end(wire);
      }
      requestEnded(deps, {
        method: 'GET',
        path: ROUTE,
        route: ROUTE,
        status: 200,
        started,
        client,
      });
    };
    // A problem (too long, not base64url, not a query) is the app's to answer: it runs the
    // question again, cheap for bytes that are no question, and writes problem+json as always.
    const again = () => {
      if (!stream.destroyed) toApp();
    };
    let answer: DohAnswer | Promise<DohAnswer>;
    try {
      answer = answerDnsParam(deps, path.slice(PREFIX.length));
    } catch {
      return toApp();
    }
    // Whatever writing the answer throws ends the stream, never the process.
    if (answer instanceof Promise)
      void inFlight
        .during(() => answer)
        .then(send, again)
        .catch(() => stream.destroy());
    else
      try {
        send(answer);
      } catch {
        stream.destroy();
      }
  };
}
