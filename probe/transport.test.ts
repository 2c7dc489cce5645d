import { describe, expect, it } from 'vitest';
import { ResolverUnreachable } from './errors.ts';
import { parseResolvConf } from './resolv-conf.ts';
import { firstAnswering, parseResolverAddress, withConcurrency, withTcpFallback } from './transport.ts';

describe('resolver addresses and resolv.conf', () => {
  it('parses host[:port] with IPv6 in brackets', () => {
    expect(parseResolverAddress('192.0.2.1')).toEqual({ host: '192.0.2.1', port: 53 });
    expect(parseResolverAddress('192.0.2.1:5353')).toEqual({ host: '192.0.2.1', port: 5353 });
    expect(parseResolverAddress('2001:db8::1')).toEqual({ host: '2001:db8::1', port: 53 });
    expect(parseResolverAddress('[2001:db8::1]:5353')).toEqual({ host: '2001:db8::1', port: 5353 });
    expect(() => parseResolverAddress('resolver.example:53')).toThrow(TypeError);
    expect(() => parseResolverAddress('192.0.2.1:0')).toThrow(TypeError);
  });

  it('reads nameservers (at most three, as glibc), skipping scoped link-local ones', () => {
    const conf = parseResolvConf(
      '# box\nsearch lan\nnameserver 192.168.1.1 ; dhcp\nnameserver fe80::1%eth0\nnameserver 2001:db8::53\nnameserver 192.0.2.53\nnameserver 198.51.100.53\noptions timeout:2 attempts:3 rotate',
    );
    expect(conf).toEqual({ nameservers: ['192.168.1.1', '2001:db8::53', '192.0.2.53'] });
    expect(parseResolvConf('')).toEqual({ nameservers: [] });
  });
});

describe('firstAnswering', () => {
  const answer = (bytes: number[], delay = 0) => ({
    label: 'x',
    exchange: () => new Promise<Uint8Array>((r) => setTimeout(() => r(new Uint8Array(bytes)), delay)),
  });
  const dead = { label: 'dead', exchange: () => Promise.reject(new ResolverUnreachable('refused')) };

  it('keeps list order, skips servers that fail, and fails with the last error', async () => {
    const signal = AbortSignal.timeout(1000);
    expect(await firstAnswering('s', [answer([1], 30), answer([2])]).exchange(new Uint8Array(), signal)).toEqual(
      new Uint8Array([1]),
    );
    expect(await firstAnswering('s', [dead, answer([2])]).exchange(new Uint8Array(), signal)).toEqual(
      new Uint8Array([2]),
    );
    await expect(firstAnswering('s', [dead]).exchange(new Uint8Array(), signal)).rejects.toMatchObject({
      code: 'ERR_PROBE_UNREACHABLE',
    });
    await expect(firstAnswering('s', []).exchange(new Uint8Array(), signal)).rejects.toMatchObject({
      code: 'ERR_PROBE_UNREACHABLE',
    });
  });

  it('moves on after SERVFAIL, NOTIMP or REFUSED as glibc does, and keeps the first refusal when nobody answers better', async () => {
    const signal = AbortSignal.timeout(1000);
    // Header bytes: id, flags (QR), then the rcode in the low bits of the fourth byte.
    const rcode = (code: number, delay = 0) => answer([0, 1, 0x80, code], delay);
    const ask = (...servers: ReturnType<typeof answer>[]) =>
      firstAnswering('s', servers)
        .exchange(new Uint8Array(), signal)
        .then((r) => r[3]);
    expect(await ask(rcode(2), rcode(0, 20))).toBe(0); // SERVFAIL → the next server's NOERROR
    expect(await ask(rcode(5), rcode(3, 20))).toBe(3); // REFUSED → the next server's NXDOMAIN
    expect(await ask(rcode(4), rcode(2))).toBe(4); // NOTIMP, SERVFAIL: the first refusal
    expect(await ask(rcode(3), rcode(0))).toBe(3); // NXDOMAIN is an answer: no further
  });
});

describe('withTcpFallback', () => {
  it('retries over TCP only when the UDP answer is truncated (RFC 7766 §5)', async () => {
    const signal = AbortSignal.timeout(1000);
    const tcp = { label: 'tcp', exchange: async () => new Uint8Array([0, 1, 0x84, 0]) };
    const truncated = { label: 'udp', exchange: async () => new Uint8Array([0, 1, 0x86, 0]) };
    const whole = { label: 'udp', exchange: async () => new Uint8Array([0, 1, 0x84, 0x80]) };
    expect(await withTcpFallback(truncated, tcp).exchange(new Uint8Array(), signal)).toEqual(
      new Uint8Array([0, 1, 0x84, 0]),
    );
    expect(await withTcpFallback(whole, tcp).exchange(new Uint8Array(), signal)).toEqual(
      new Uint8Array([0, 1, 0x84, 0x80]),
    );
  });
});

describe('withConcurrency', () => {
  it('keeps at most the limit in flight, serves every question, and drops a waiter whose signal aborts', async () => {
    let inFlight = 0;
    let most = 0;
    const slow = {
      label: 'doh',
      reliable: true,
      exchange: async (query: Uint8Array) => {
        most = Math.max(most, ++inFlight);
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return query;
      },
    };
    const limited = withConcurrency(slow, 2);
    expect(limited.reliable).toBe(true);
    const never = new AbortController();
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) => limited.exchange(new Uint8Array([i]), never.signal)),
    );
    expect(answers.map((a) => a[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(most).toBe(2);
    const gone = new AbortController();
    const busy = [
      limited.exchange(new Uint8Array([1]), never.signal),
      limited.exchange(new Uint8Array([2]), never.signal),
    ];
    const waiter = limited.exchange(new Uint8Array([3]), gone.signal);
    gone.abort(new Error('timed out'));
    await expect(waiter).rejects.toThrow('timed out');
    await Promise.all(busy);
    // The aborted waiter left no slot taken: two more still run side by side.
    most = 0;
    await Promise.all([
      limited.exchange(new Uint8Array([4]), never.signal),
      limited.exchange(new Uint8Array([5]), never.signal),
    ]);
    expect(most).toBe(2);
  });
});
