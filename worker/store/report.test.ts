import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type OpenedStore, openStore } from '../adapter/sqlite/store.ts';
import { REPORTED_AT_RESOLUTION_MS, type ReportInput } from './store.ts';

describe('an unchanged report', () => {
  let opened: OpenedStore;
  const t0 = 1_700_000_000_000;
  const report = (at: number, values: Partial<ReportInput> = {}) =>
    opened.store.report(
      {
        licence: '1234',
        node: 'nur1',
        privateIpv4: '10.0.0.1',
        privateIpv6: undefined,
        publicIpv4: '203.0.113.1',
        publicIpv6: undefined,
        port: undefined,
        sourceAddress: '192.0.2.1',
        at,
        ...values,
      },
      crypto.randomUUID(),
    );
  const historyRows = async () => (await opened.store.history('1234', 'nur1', 100)).length;

  beforeEach(async () => {
    opened = await openStore(':memory:');
    await opened.store.createNode('1234', 'nur1', 'hash', t0);
  });
  afterEach(() => opened.close());

  it('moves no serial and writes no history; within the resolution it writes nothing at all', async () => {
    const first = await report(t0);
    expect(first.changed).toBe(true);
    const serial = await opened.store.serial();

    const again = await report(t0 + 1000);
    expect(again).toMatchObject({ changed: false, serial, addresses: { reportedAt: t0 } });
    expect((await opened.store.getNode('1234', 'nur1'))?.addresses?.reportedAt).toBe(t0);

    const later = t0 + REPORTED_AT_RESOLUTION_MS + 1;
    expect(await report(later)).toMatchObject({ changed: false, serial, addresses: { reportedAt: later } });
    expect((await opened.store.getNode('1234', 'nur1'))?.addresses?.reportedAt).toBe(later);

    // A new source is written at once, still without a serial move.
    const moved = await report(later + 1, { sourceAddress: '192.0.2.9' });
    expect(moved).toMatchObject({ changed: false, serial, addresses: { sourceAddress: '192.0.2.9' } });
    expect(await opened.store.serial()).toBe(serial);
    expect(await historyRows()).toBe(1);
  });

  it('is a change when any served value differs, or the port', async () => {
    await report(t0);
    expect((await report(t0 + 1, { publicIpv4: '203.0.113.2' })).changed).toBe(true);
    const port = await report(t0 + 2, { publicIpv4: '203.0.113.2', port: 8443 });
    expect(port.changed).toBe(false);
    expect(port.addresses.port).toBe(8443);
    expect(await historyRows()).toBe(2);
  });
});
