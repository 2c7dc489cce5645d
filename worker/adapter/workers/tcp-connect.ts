// The reachability check's connect on Workers: the TCP sockets API (cloudflare:sockets). It
// reports a failed connect by message only, so a reset is told apart by its words.
import { connect } from 'cloudflare:sockets';
import type { ConnectResult, TcpConnect } from '../../reachability/check.ts';

export const workersTcpConnect: TcpConnect = async (address, port, timeoutMs) => {
  // IPv6 literals go in brackets, as in a URL authority.
  const socket = connect({ hostname: address.includes(':') ? `[${address}]` : address, port });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<ConnectResult>((resolve) => {
    timer = setTimeout(() => resolve({ outcome: 'filtered', detail: `no answer within ${timeoutMs} ms` }), timeoutMs);
  });
  const opened = socket.opened.then(
    (): ConnectResult => ({ outcome: 'open', detail: 'TCP handshake completed' }),
    (e: Error): ConnectResult => ({
      outcome: /refused|reset/i.test(e.message) ? 'refused' : 'unreachable',
      detail: e.message,
    }),
  );
  try {
    return await Promise.race([opened, bound]);
  } finally {
    clearTimeout(timer);
    socket.close().catch(() => undefined);
  }
};
