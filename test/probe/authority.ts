// The zone on port-53 style UDP/TCP for resolvers to forward to: the manager's built-in DNS
// server when it has one (manager.dns), else a minimal loopback server over the same
// `answerWire`, so these tests do not wait on it.
import { createSocket } from 'node:dgram';
import { createServer, type AddressInfo } from 'node:net';
import { answerWire } from '../../worker/zone/answer.ts';
import type { TestManager } from '../support/manager.ts';

export interface Authority {
  port: number;
  close(): Promise<void>;
}

export async function authorityFor(manager: TestManager): Promise<Authority> {
  const builtIn = (manager as { dns?: { port?: number; udpPort?: number } }).dns;
  const port = builtIn?.port ?? builtIn?.udpPort;
  if (port) return { port, close: async () => {} };

  const udp = createSocket('udp4');
  udp.on('message', (msg, peer) => {
    void answerWire(manager.zone, new Uint8Array(msg)).then((out) => out && udp.send(out, peer.port, peer.address));
  });
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  const udpPort = udp.address().port;
  const tcp = createServer((socket) => {
    let buffer = Buffer.alloc(0);
    socket.on('error', () => socket.destroy());
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 2 && buffer.length >= buffer.readUInt16BE(0) + 2) {
        const query = buffer.subarray(2, buffer.readUInt16BE(0) + 2);
        buffer = buffer.subarray(query.length + 2);
        void answerWire(manager.zone, new Uint8Array(query)).then((out) => {
          if (out) socket.write(Buffer.concat([Buffer.from([out.byteLength >> 8, out.byteLength & 0xff]), out]));
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => tcp.once('error', reject).listen(udpPort, '127.0.0.1', resolve));
  return {
    port: udpPort,
    close: async () => {
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}
