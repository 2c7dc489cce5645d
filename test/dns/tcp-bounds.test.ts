// What one TCP client can make the built-in server hold: a slot per connection (per source and in
// all), a connection kept open by trickling bytes, answers it never reads. Real sockets on
// loopback against the TCP transport with a stand-in responder, so only the transport is measured.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameReader } from '../../dns/tcp-frame.ts';
import type { DnsServerLimits } from '../../worker/dns-server/limits.ts';
import type { Responder } from '../../worker/dns-server/responder.ts';
import { sourceKey, sourcePrefix } from '../../worker/dns-server/source-slots.ts';
import { type RunningTcp, serveTcp } from '../../worker/dns-server/tcp.ts';
import { framed } from './wire-client.ts';

/** Each query back with QR set: enough to tell an answered connection from a closed one. */
const echo: Responder = (bytes) => {
  const out = Uint8Array.from(bytes);
  out[2]! |= 0x80;
  return [out];
};

const QUERY = new Uint8Array([
  0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 4, 0x74, 0x65, 0x73, 0x74, 0, 0, 1, 0, 1,
]);

function open(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** True once the server closes `socket`, false if it is still open after `ms`. */
function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Answers to `count` framed queries sent on an open socket. */
function ask(socket: Socket, count = 1): Promise<number> {
  return new Promise((resolve) => {
    const frames = new FrameReader();
    let answers = 0;
    const done = () => {
      clearTimeout(timer);
      socket.off('data', read);
      resolve(answers);
    };
    const timer = setTimeout(done, 5000);
    const read = (chunk: Buffer) => {
      frames.push(chunk);
      while (frames.next()) answers++;
      if (answers >= count) done();
    };
    socket.on('data', read);
    socket.write(framed(...Array.from({ length: count }, () => QUERY)));
  });
}

describe('TCP transport bounds', () => {
  let tcp: RunningTcp | undefined;
  const sockets: Socket[] = [];
  const serve = async (responder: Responder, limits: Partial<DnsServerLimits>) => {
    tcp = await serveTcp(responder, { host: '127.0.0.1', port: 0, limits });
    return tcp.port;
  };
  const client = async (port: number, from?: string) => {
    const socket = await open(port, from);
    socket.on('error', () => {});
    sockets.push(socket);
    return socket;
  };
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await tcp?.close();
    tcp = undefined;
  });

  it('cuts a message still unfinished at the deadline, though its bytes keep coming', async () => {
    // The idle timeout cannot be what closes it: a byte arrives every 50 ms.
    const port = await serve(echo, { messageTimeoutMs: 300, idleTimeoutMs: 60_000 });
    const socket = await client(port);
    socket.write(Buffer.from([0xff, 0xff]));
    const trickle = setInterval(() => socket.destroyed || socket.write(Buffer.from([0])), 50);
    try {
      expect(await closedWithin(socket, 10_000)).toBe(true);
    } finally {
      clearInterval(trickle);
    }
  });

  it('gives each message its own deadline: whole queries spread over a longer time are all answered', async () => {
    const port = await serve(echo, { messageTimeoutMs: 1000, idleTimeoutMs: 60_000 });
    const socket = await client(port);
    for (let i = 0; i < 5; i++) {
      expect(await ask(socket)).toBe(1);
      await new Promise((r) => setTimeout(r, 300));
    }
    // A query split in two a little apart is still one message within its deadline.
    const whole = framed(QUERY);
    socket.write(whole.subarray(0, 5));
    await new Promise((r) => setTimeout(r, 20));
    const answered = new Promise<boolean>((resolve) => socket.once('data', () => resolve(true)));
    socket.write(whole.subarray(5));
    expect(await answered).toBe(true);
  });

  it('caps the connections of one source and still serves another', async () => {
    const port = await serve(echo, { maxConnections: 16, maxConnectionsPerSource: 2 });
    const held = [await client(port), await client(port)];
    expect(await Promise.all(held.map((s) => ask(s)))).toEqual([1, 1]);
    const third = await client(port);
    expect(await closedWithin(third, 5000)).toBe(true);
    // Linux routes all of 127.0.0.0/8 to loopback: 127.0.0.2 is another source.
    expect(await ask(await client(port, '127.0.0.2'))).toBe(1);
    expect(await Promise.all(held.map((s) => ask(s)))).toEqual([1, 1]);
    // A closed connection gives its slot back (once the server has seen the close).
    held[0]!.destroy();
    let answered = 0;
    for (let attempt = 0; attempt < 50 && answered === 0; attempt++) {
      const again = await client(port);
      answered = (await closedWithin(again, 100)) ? 0 : await ask(again);
    }
    expect(answered).toBe(1);
  });

  it('holds at most the answers in flight for a client that never reads, streams included, then closes it', async () => {
    // Every query answered with a stream of four 60 kB messages, as a zone transfer is: the 32
    // in flight come to 7.7 MB, all of it queued in the socket if writes ignored back-pressure.
    const message = new Uint8Array(60_000);
    let calls = 0;
    const stream: Responder = () => {
      calls++;
      return [message, message, message, message];
    };
    const port = await serve(stream, { idleTimeoutMs: 1500 });
    let server: Socket | undefined;
    tcp!.server.once('connection', (s: Socket) => (server = s));
    const socket = await client(port);
    socket.pause();
    socket.write(framed(...Array.from({ length: 200 }, () => QUERY)));
    let mostQueued = 0;
    const watch = setInterval(() => (mostQueued = Math.max(mostQueued, server?.writableLength ?? 0)), 20);
    try {
      // Closed by the idle timeout: nothing moves once the socket buffers are full. (The
      // client, not reading, would see the close only after reading what is queued for it.)
      while (!server) await new Promise((r) => setTimeout(r, 10));
      expect(await closedWithin(server, 15_000)).toBe(true);
    } finally {
      clearInterval(watch);
    }
    expect(calls).toBeLessThan(200);
    // The socket's own buffer: its high-water mark plus one message, not the answers behind it.
    expect(mostQueued).toBeLessThan(512 * 1024);
  });
});

describe('sourceKey', () => {
  it('is the IPv4 address, mapped or not, and the /64 of an IPv6 one', () => {
    expect(sourceKey('192.0.2.1')).toBe('192.0.2.1/32');
    expect(sourceKey('::ffff:192.0.2.1')).toBe('192.0.2.1/32');
    expect(sourceKey('2001:db8:1:2:a:b:c:d')).toBe(sourceKey('2001:db8:1:2::ffff'));
    expect(sourceKey('2001:db8:1:2::1')).not.toBe(sourceKey('2001:db8:1:3::1'));
  });

  it('masks to any prefix: the /24 and /56 that response rate limiting counts by', () => {
    expect(sourcePrefix('192.0.2.77', 24, 56)).toBe('192.0.2.0/24');
    expect(sourcePrefix('192.0.2.77', 24, 56)).toBe(sourcePrefix('::ffff:192.0.2.200', 24, 56));
    expect(sourcePrefix('2001:db8:1:2ff:a:b:c:d', 24, 56)).toBe('2001:db8:1:200:0:0:0:0/56');
    expect(sourcePrefix('2001:db8:1:2ff::1', 24, 56)).toBe(sourcePrefix('2001:db8:1:200::9', 24, 56));
    expect(sourcePrefix('2001:db8:1:300::1', 24, 56)).not.toBe(sourcePrefix('2001:db8:1:200::1', 24, 56));
  });
});
