// The reachability check's connect on Node: a plain TCP handshake, closed as soon as it is done.
import { connect } from 'node:net';
import type { ConnectResult, TcpConnect } from '../../reachability/check.ts';

/**
 * What the kernel says about a failed connect: RST is ECONNREFUSED; an ICMP error (a router with
 * no route, or a firewall rejecting with "administratively prohibited", EACCES on IPv6) is
 * EHOSTUNREACH/ENETUNREACH/EACCES; a firewall that drops says nothing, so only the bound ends it.
 */
function failure(e: NodeJS.ErrnoException): ConnectResult {
  if (e.code === 'ECONNREFUSED') return { outcome: 'refused', detail: 'ECONNREFUSED (TCP reset)' };
  return { outcome: 'unreachable', detail: e.code ?? e.message };
}

export const nodeTcpConnect: TcpConnect = (address, port, timeoutMs) =>
  new Promise((resolve) => {
    const socket = connect({ host: address, port, noDelay: true });
    const done = (result: ConnectResult) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(
      () => done({ outcome: 'filtered', detail: `no answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
    socket.once('connect', () => done({ outcome: 'open', detail: 'TCP handshake completed' }));
    socket.once('error', (e) => done(failure(e)));
  });
