// Link shaping. This kernel has no netem (nor fq, fq_codel, sfq, prio), so rate comes from tbf
// and delay from the user-space forwarder on each box's WAN side (lab/relay.ts), which holds
// every chunk WAN_DELAY_MS in each direction. LAN links get a fast tbf so that both paths go
// through the same kind of queue.
import { BOXES, INET, LAN_RATE, WAN_RATE } from './plan.ts';
import { inNs } from './shell.ts';

/** tbf on a device's egress; burst sized for the rate at a 1 ms token horizon (at least 32 kB). */
async function tbf(ns: string, dev: string, rate: string): Promise<void> {
  const bits = Number(rate.replace(/[a-z]+$/, '')) * (rate.endsWith('gbit') ? 1e9 : 1e6);
  const burst = Math.max(32_000, Math.round(bits / 8 / 1000));
  await inNs(ns, 'tc', [
    'qdisc',
    'replace',
    'dev',
    dev,
    'root',
    'tbf',
    'rate',
    rate,
    'burst',
    String(burst),
    'latency',
    '50ms',
  ]);
}

/** WAN: ~50 Mbit/s each way on every box's uplink; LAN: ~1 Gbit/s toward node and phone. */
export async function shapeLinks(): Promise<void> {
  for (const b of BOXES) {
    await tbf(b.ns, 'wan0', WAN_RATE); // upload
    await tbf(INET, b.wan.inetIf, WAN_RATE); // download
    await tbf(b.ns, 'p-node', LAN_RATE);
    await tbf(b.ns, 'p-phone', LAN_RATE);
  }
}
