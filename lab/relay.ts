// A box's port forward as a user-space TCP forwarder, which is also how the lab delays the WAN:
// without netem, holding each chunk `delay` ms in each direction adds 2 × delay to every round
// trip of the node's external path, the one the scenarios measure. Connections from the box's
// own LAN (hairpin) are forwarded without delay: they never cross the WAN.
//
//   node lab/relay.ts <listen-host:port> <target-host:port> <delay-ms> <lan-prefix>
//   node lab/relay.ts 198.18.2.2:8443 192.168.2.10:8443 10 192.168.2.
import { createConnection, createServer, type Socket } from 'node:net';

function hostPort(spec: string): [string, number] {
  const i = spec.lastIndexOf(':');
  return [spec.slice(0, i), Number(spec.slice(i + 1))];
}

/** Copy `from` to `to`, each chunk (and the end) held `delayMs`; same-duration timers fire in order. */
function pipeDelayed(from: Socket, to: Socket, delayMs: number): void {
  const later = (f: () => void) => (delayMs > 0 ? setTimeout(f, delayMs) : f());
  let waiting = false;
  from.on('data', (chunk: Buffer) => {
    later(() => {
      if (to.destroyed || to.write(chunk) || waiting) return;
      // Chunks already held keep arriving while `from` is paused: one drain listener is enough.
      waiting = true;
      from.pause();
      to.once('drain', () => {
        waiting = false;
        from.resume();
      });
    });
  });
  from.on('end', () => later(() => to.end()));
  from.on('error', () => to.destroy());
  from.on('close', () => later(() => to.destroy()));
}

export function startRelay(listen: string, target: string, delayMs: number, lanPrefix: string): Promise<() => void> {
  const [host, port] = hostPort(listen);
  const [targetHost, targetPort] = hostPort(target);
  const server = createServer((client) => {
    const delay = client.remoteAddress?.startsWith(lanPrefix) ? 0 : delayMs;
    const upstream = createConnection({ host: targetHost, port: targetPort });
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    pipeDelayed(client, upstream, delay);
    pipeDelayed(upstream, client, delay);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(() => server.close()));
  });
}

if (import.meta.main) {
  const [listen, target, delay, lanPrefix] = process.argv.slice(2);
  if (!listen || !target || !delay || !lanPrefix) {
    console.error('usage: node lab/relay.ts <listen-host:port> <target-host:port> <delay-ms> <lan-prefix>');
    process.exit(2);
  }
  await startRelay(listen, target, Number(delay), lanPrefix);
  console.log(`relay ${listen} → ${target}, ${delay} ms each way from outside ${lanPrefix}*`);
  process.once('SIGTERM', () => process.exit(0));
}
