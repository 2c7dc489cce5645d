// NOTIFY sending on its own, against scripted secondaries: a lone change goes out at once, bursts
// coalesce, a lost datagram is retried, answers must verify, a malformed answer is ignored without
// costing the others their round, a serial a secondary missed is sent again, a silent one is given
// up on after the bounded attempts.
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeMessage, encodeMessage, headerOpcode, records } from '../../dns/message.ts';
import { parseTsigKey } from '../../worker/transfer/config.ts';
import { Notifier } from '../../worker/transfer/notify.ts';
import { signMessage, verifyMessage } from '../../worker/transfer/tsig.ts';
import { freePort } from '../support/net.ts';
import { TEST_KEY_SPEC } from './transfer-secondaries.ts';
import { soaRecord } from './wire-client.ts';

const key = parseTsigKey(TEST_KEY_SPEC);
const soa = soaRecord;

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
      const answer = encodeMessage({
        id: message.id,
        type: 'response',
        flags: (4 << 11) | 0x0400,
        questions: message.questions,
      });
      socket.send((await signMessage(answer, key, { priorMac: verified.tsig.mac })).wire, peer.port, peer.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    port = socket.address().port;
  });
  afterAll(() => socket.close());

  it('sends one signed NOTIFY for a burst, retries a lost one, and stays quiet while the serial holds', async () => {
    let serial = 10;
    const notifier = new Notifier({
      secondaries: [{ address: '127.0.0.1', port }],
      key,
      soa: async () => soa(serial),
      debounceMs: 10,
      timeoutMs: 100,
      pollMs: 0,
    });
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

  it('announces a change after a quiet spell at once, and the changes of the spell after it in one NOTIFY', async () => {
    let serial = 20;
    const options = { secondaries: [{ address: '127.0.0.1', port }], key, soa: async () => soa(serial), pollMs: 0 };
    // An hour's debounce: the first change still goes out now.
    const hourly = new Notifier({ ...options, debounceMs: 3_600_000 });
    const from = seen.length;
    try {
      hourly.zoneChanged();
      await vi.waitFor(() => expect(seen.slice(from)).toEqual([20]));
    } finally {
      await hourly.close();
    }
    serial = 21;
    const notifier = new Notifier({ ...options, debounceMs: 200 });
    try {
      notifier.zoneChanged();
      await vi.waitFor(() => expect(seen.slice(from)).toEqual([20, 21]));
      // Within the spell that NOTIFY opened: two changes, one NOTIFY of the later serial at its end.
      serial = 22;
      notifier.zoneChanged();
      serial = 23;
      notifier.zoneChanged();
      await vi.waitFor(() => expect(seen.slice(from)).toEqual([20, 21, 23]));
    } finally {
      await notifier.close();
    }
  });

  it('ignores a malformed answer, keeps notifying the other secondaries, and retries a serial one of them missed', async () => {
    // Two unsigned secondaries: the first answers its first NOTIFY with bytes that carry the right
    // ID but do not decode, then is silent while `mute`, then answers; the second always answers.
    const secondaries = await Promise.all(
      [0, 1].map(async () => {
        const s = createSocket('udp4');
        const state = { seen: 0, malformed: 0, mute: false };
        s.on('message', (raw, peer) => {
          state.seen++;
          const id = [raw[0]!, raw[1]!];
          if (state.malformed > 0 && state.malformed--)
            return s.send(
              new Uint8Array([...id, 0xa4, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 0x40, 1, 2]),
              peer.port,
              peer.address,
            );
          if (state.mute) return;
          const message = decodeMessage(raw);
          s.send(
            encodeMessage({
              id: message.id,
              type: 'response',
              flags: (4 << 11) | 0x0400,
              questions: message.questions,
            }),
            peer.port,
            peer.address,
          );
        });
        await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
        return { socket: s, state, secondary: { address: '127.0.0.1', port: s.address().port } };
      }),
    );
    const [flaky, steady] = secondaries as [(typeof secondaries)[0], (typeof secondaries)[0]];
    let serial = 40;
    const notifier = new Notifier({
      secondaries: secondaries.map((s) => s.secondary),
      key: undefined,
      soa: async () => soa(serial),
      debounceMs: 1,
      timeoutMs: 500,
      attempts: 2,
      pollMs: 0,
    });
    // One round, as the poll starts it: awaited once it has begun (the debounce timer fired).
    const round = async () => {
      const before = notifier.settled;
      notifier.zoneChanged();
      while (notifier.settled === before) await new Promise((r) => setTimeout(r, 5));
      return notifier.settled;
    };
    try {
      flaky.state.malformed = 1;
      expect(await round()).toMatchObject([
        { secondary: flaky.secondary, status: 'acknowledged', attempts: 2 },
        { secondary: steady.secondary, status: 'acknowledged', attempts: 1 },
      ]);

      // Serial 40 is announced: nothing more. Serial 41 goes unanswered by the flaky one; the
      // next round (what the poll runs) sends it to that one again, and to it alone.
      expect(await round()).toEqual([]);
      serial = 41;
      flaky.state.mute = true;
      expect(await round()).toMatchObject([
        { secondary: flaky.secondary, serial: 41, status: 'unanswered' },
        { secondary: steady.secondary, serial: 41, status: 'acknowledged' },
      ]);
      flaky.state.mute = false;
      const steadySeen = steady.state.seen;
      expect(await round()).toMatchObject([
        { secondary: flaky.secondary, serial: 41, status: 'acknowledged', attempts: 1 },
      ]);
      expect(steady.state.seen).toBe(steadySeen);
    } finally {
      await notifier.close();
      for (const s of secondaries) s.socket.close();
    }
  });

  it('gives up on a silent secondary after the bounded attempts', async () => {
    const silent = await freePort();
    const notifier = new Notifier({
      secondaries: [{ address: '127.0.0.1', port: silent }],
      key,
      soa: async () => soa(99),
      debounceMs: 1,
      timeoutMs: 20,
      attempts: 3,
      pollMs: 0,
    });
    try {
      notifier.zoneChanged();
      await new Promise((r) => setTimeout(r, 10));
      expect(await notifier.settled).toMatchObject([{ status: 'unanswered', attempts: 3 }]);
    } finally {
      await notifier.close();
    }
  });
});
