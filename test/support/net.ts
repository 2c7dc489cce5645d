// Loopback ports for tests that start servers of their own.
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/**
 * A port free for both TCP and UDP on `host` right now (bound, then released; the caller binds
 * it soon after). Also a port where nothing listens, for "connection refused".
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = createServer();
    const port = await new Promise<number>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(0, host, () => resolve((tcp.address() as { port: number }).port));
    });
    const udp = createSocket('udp4');
    const udpFree = await new Promise<boolean>((resolve) =>
      udp.once('error', () => resolve(false)).bind(port, host, () => resolve(true)),
    );
    await Promise.all([
      new Promise((r) => tcp.close(r)),
      udpFree ? new Promise<void>((r) => udp.close(() => r())) : undefined,
    ]);
    if (udpFree) return port;
  }
  throw new Error(`no port on ${host} free for both TCP and UDP after 20 tries`);
}
