// TCP transport on Node (RFC 7766): a two-byte length prefix each way, one query per connection.
import { connect } from 'node:net';
import { FrameReader, frameTcp } from '../../../dns/tcp-frame.ts';
import { addressLabel, type DnsTransport, type ResolverAddress } from '../../transport.ts';
import { settleOnce } from './settle.ts';

export function tcpTransport(address: ResolverAddress): DnsTransport {
  const label = addressLabel('tcp', address);
  return {
    label,
    exchange(query, signal) {
      const socket = connect({ host: address.host, port: address.port });
      return settleOnce(
        label,
        signal,
        () => socket.destroy(),
        (settle) => {
          const frames = new FrameReader();
          socket.on('error', (e) => settle(e));
          socket.on('close', () => settle(new Error('connection closed before a full answer')));
          socket.on('connect', () => socket.write(frameTcp(query)));
          socket.on('data', (chunk: Uint8Array) => {
            frames.push(chunk);
            const message = frames.next();
            if (message) settle(undefined, message);
          });
        },
      );
    },
  };
}
