// NOTIFY sending on its own, against a scripted secondary: bursts coalesce, a lost datagram is
// retried, answers must verify, a silent secondary is given up on after the bounded attempts.
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, headerOpcode, records, type DnsRecord } from '../../dns/message.ts';
import { signMessage, verifyMessage } from '../../dns/tsig.ts';
import { parseTsigKey } from '../../worker/transfer/config.ts';
import { Notifier } from '../../worker/transfer/notify.ts';
import { freePort } from '../support/net.ts';
import { TEST_KEY_SPEC } from './transfer-secondaries.ts';

const key = parseTsigKey(TEST_KEY_SPEC);
const soa = (serial: number): DnsRecord => ({ type: 'SOA', name: 'example.test', ttl: 3600, class: 'IN', data: { mname: 'ns1.example.test', rname: 'h.example.test', serial, refresh: 1, retry: 1, expire: 1, minimum: 1 } });

describe('NOTIFY (RFC 1996)', () => {
  const socket = createSocket('udp4');
  const seen: number[] = [];
  let drop = 0;
  let port = 0;
  beforeAll(async () => {
    socket.on('message', async (raw, peer) => {
      const verified = await verifyMessage(raw, [key]);
      const message = decodeMessage(raw);
      if (verified.status !== 'ok' || headerOpcode(message) !== 4) return;
      const announced = records(message.answers)[0];
      seen.push(announced?.type === 'SOA' ? announced.data.serial! : -1);
      if (drop > 0 && drop--) return;
      const answer = encodeMessage({ id: message.id, type: 'response', flags: (4 << 11) | 0x0400, questions: message.questions });
      socket.send((await signMessage(answer, key, { priorMac: verified.tsig.mac })).wire, peer.port, peer.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    port = socket.address().port;
  });
  afterAll(() => socket.close());

  it('sends one signed NOTIFY for a burst, retries a lost one, and stays quiet while the serial holds', async () => {
    let serial = 10;
    const notifier = new Notifier({ secondaries: [{ address: '127.0.0.1', port }], key, soa: async () => soa(serial), debounceMs: 10, timeoutMs: 100, pollMs: 0 });
    try {
      drop = 1;
      for (let i = 0; i < 5; i++) {
        serial++;
        notifier.zoneChanged();
      }
      await new Promise((r) => setTimeout(r, 30));
      expect(await notifier.settled).toMatchObject([{ serial: 15, status: 'acknowledged', attempts: 2 }]);
      expect(seen).toEqual([15, 15]);
      notifier.zoneChanged();
      await new Promise((r) => setTimeout(r, 30));
      expect(await notifier.settled).toEqual([]);
      expect(seen).toHaveLength(2);
    } finally {
      await notifier.close();
    }
  });

  it('gives up on a silent secondary after the bounded attempts', async () => {
    const silent = await freePort();
    const notifier = new Notifier({ secondaries: [{ address: '127.0.0.1', port: silent }], key, soa: async () => soa(99), debounceMs: 1, timeoutMs: 20, attempts: 3, pollMs: 0 });
    try {
      notifier.zoneChanged();
      await new Promise((r) => setTimeout(r, 10));
      expect(await notifier.settled).toMatchObject([{ status: 'unanswered', attempts: 3 }]);
    } finally {
      await notifier.close();
    }
  });
});
