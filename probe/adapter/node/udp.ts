// UDP transport on Node. A connected socket, so the kernel reports ICMP port unreachable as
// ECONNREFUSED ("unreachable") instead of leaving us to wait for the timeout.
import { createSocket } from 'node:dgram';
import { isIpv6 } from '../../../dns/address.ts';
import { sameId } from '../../../dns/wire.ts';
import { addressLabel, type DnsTransport, type ResolverAddress } from '../../transport.ts';
import { settleOnce } from './settle.ts';

export function udpTransport(address: ResolverAddress): DnsTransport {
  const label = addressLabel('udp', address);
  return {
    label,
    exchange(query, signal) {
      const socket = createSocket(isIpv6(address.host) ? 'udp6' : 'udp4');
      return settleOnce(
        label,
        signal,
        () => socket.close(),
        (settle) => {
          socket.on('error', (e) => settle(e));
          // Off-path datagrams with another ID are dropped here (RFC 5452 §4.3), not taken as the answer.
          socket.on('message', (msg) => {
            if (sameId(msg, query)) settle(undefined, new Uint8Array(msg));
          });
          socket.connect(address.port, address.host, () => socket.send(query));
        },
      );
    },
  };
}
