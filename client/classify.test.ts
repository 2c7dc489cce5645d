import { describe, expect, it } from 'vitest';
import { classify, type FailureKind } from './classify.ts';

const origin = 'https://i-nur1.pl-1234.example.test:8443';
const undici = (code: string, message = code) =>
  Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(message), { code }) });
const deno = (message: string) => Object.assign(new TypeError('fetch failed'), { cause: new Error(message) });

// One row per runtime shape seen in the wild; the table in client/README.md mirrors these.
const rows: Array<[string, unknown, FailureKind, boolean]> = [
  ['node ENOTFOUND', undici('ENOTFOUND'), 'dns', true],
  ['node EAI_AGAIN', undici('EAI_AGAIN'), 'dns', true],
  ['node ECONNREFUSED', undici('ECONNREFUSED'), 'refused', true],
  ['node EHOSTUNREACH', undici('EHOSTUNREACH'), 'unreachable', true],
  ['node ENETUNREACH', undici('ENETUNREACH'), 'unreachable', true],
  [
    'node IPv6 box firewall (ICMPv6 admin-prohibited)',
    undici('EACCES', 'connect EACCES 2001:db8:7::20:8443'),
    'unreachable',
    true,
  ],
  ['node local firewall reject', undici('EPERM'), 'unreachable', true],
  ['node IPv6 off on the host', undici('EAFNOSUPPORT'), 'unreachable', true],
  ['node no IPv6 source address', undici('EADDRNOTAVAIL'), 'unreachable', true],
  [
    'node dual-stack, both families unreachable',
    Object.assign(new TypeError('fetch failed'), {
      cause: new AggregateError([
        Object.assign(new Error('x'), { code: 'ENETUNREACH' }),
        Object.assign(new Error('y'), { code: 'EHOSTUNREACH' }),
      ]),
    }),
    'unreachable',
    true,
  ],
  ['node connect timeout', undici('UND_ERR_CONNECT_TIMEOUT'), 'timeout', true],
  ['node headers timeout', undici('UND_ERR_HEADERS_TIMEOUT'), 'timeout', false],
  ['node wrong name', undici('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls', true],
  ['node unknown CA', undici('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'tls', true],
  ['node expired', undici('CERT_HAS_EXPIRED'), 'tls', true],
  ['node reset', undici('ECONNRESET'), 'network', false],
  ['connection aborted (socket killed, Wi-Fi lost)', undici('ECONNABORTED'), 'network', false],
  ['node other side closed', undici('UND_ERR_SOCKET', 'other side closed'), 'network', false],
  [
    'node dual-stack refused',
    Object.assign(new TypeError('fetch failed'), {
      cause: new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]),
    }),
    'refused',
    true,
  ],
  [
    'deno dns',
    deno(
      'error sending request for url (http://x/): client error (Connect): dns error: failed to lookup address information: Name or service not known',
    ),
    'dns',
    true,
  ],
  [
    'deno refused',
    deno(
      'error sending request for url (http://x/): client error (Connect): tcp connect error: Connection refused (os error 111)',
    ),
    'refused',
    true,
  ],
  [
    'deno unreachable',
    deno('client error (Connect): tcp connect error: No route to host (os error 113)'),
    'unreachable',
    true,
  ],
  [
    'deno IPv6 prohibited',
    deno('client error (Connect): tcp connect error: Permission denied (os error 13)'),
    'unreachable',
    true,
  ],
  [
    'deno IPv6 off',
    deno('client error (Connect): tcp connect error: Address family not supported by protocol (os error 97)'),
    'unreachable',
    true,
  ],
  ['deno tls', deno('client error (Connect): invalid peer certificate: NotValidForName'), 'tls', true],
  ['deno closed', deno('error sending request: connection closed before message completed'), 'network', false],
  ['chromium', new TypeError('Failed to fetch'), 'network', false],
  ['firefox', new TypeError('NetworkError when attempting to fetch resource.'), 'network', false],
  ['safari', new TypeError('Load failed'), 'network', false],
  ['react native', new TypeError('Network request failed'), 'network', false],
  ['TimeoutError', new DOMException('timed out', 'TimeoutError'), 'timeout', false],
];

describe('classify', () => {
  it.each(rows)('%s', (_, error, kind, neverSent) => {
    expect(classify(error, { origin, timedOut: false })).toMatchObject({ kind, neverSent, origin });
  });

  it("the caller's abort wins over whatever the runtime says", () => {
    const controller = new AbortController();
    controller.abort();
    expect(classify(undici('ECONNRESET'), { origin, callerSignal: controller.signal, timedOut: false })?.kind).toBe(
      'aborted',
    );
  });

  it('our own time bound is a timeout that may have been sent', () => {
    expect(classify(new DOMException('x', 'AbortError'), { origin, timedOut: true })).toMatchObject({
      kind: 'timeout',
      neverSent: false,
    });
  });

  it('a caller bug (bad header, bad URL) is not a transport failure', () => {
    expect(
      classify(new TypeError('Headers.append: "a b" is an invalid header name.'), { origin, timedOut: false }),
    ).toBeUndefined();
    expect(classify(new RangeError('x'), { origin, timedOut: false })).toBeUndefined();
    expect(classify('string', { origin, timedOut: false })).toBeUndefined();
  });

  it('survives a cause cycle', () => {
    const a: { message: string; cause?: unknown } = { message: 'a' };
    a.cause = a;
    expect(classify(a, { origin, timedOut: false })).toBeUndefined();
  });
});
