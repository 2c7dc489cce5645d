// The transfer handler on its own: AXFR framing and signing, IXFR from the journal, the
// full-zone fallback, and who is refused what.
import { Buffer } from 'node:buffer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DnsMessage,
  type DnsRecord,
  decodeMessage,
  encodeMessage,
  fullRcode,
  records,
} from '../../dns/message.ts';
import { Rcode } from '../../dns/rcode.ts';
import { parseSecondary, parseTsigKey, transferConfigFromEnv } from '../../worker/transfer/config.ts';
import { transferHandler } from '../../worker/transfer/handler.ts';
import { journalDeltas } from '../../worker/transfer/journal.ts';
import { transferMessages } from '../../worker/transfer/messages.ts';
import {
  findTsig,
  HMAC_SHA256,
  signMessage,
  TsigError,
  type TsigKey,
  verifyMessage,
} from '../../worker/transfer/tsig.ts';
import type { DnsHandler } from '../../worker/zone/handler.ts';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { TEST_KEY, TEST_KEY_SPEC } from './transfer-secondaries.ts';
import { allMessages, soaRecord } from './wire-client.ts';

const key = parseTsigKey(TEST_KEY_SPEC);
const soaOf = soaRecord;

function transferQuery(type: 'AXFR' | 'IXFR', serial?: number): DnsMessage {
  return {
    id: 77,
    type: 'query',
    questions: [{ name: 'example.test', type, class: 'IN' }],
    ...(serial === undefined ? {} : { authorities: [soaOf(serial)] }),
  };
}

const allRecords = (wires: Uint8Array[]) => wires.flatMap((w) => records(decodeMessage(w).answers));

describe('transfer message framing (RFC 5936 §2.2)', () => {
  it('packs records in order up to the size bound, the question in the first message only', async () => {
    const rs: DnsRecord[] = [
      soaOf(9),
      ...Array.from(
        { length: 300 },
        (_, i): DnsRecord => ({ type: 'TXT', name: `n${i}.example.test`, ttl: 60, class: 'IN', data: [`value ${i}`] }),
      ),
      soaOf(9),
    ];
    const wires = await allMessages(transferMessages(transferQuery('AXFR'), [rs], 2048));
    expect(wires.length).toBeGreaterThan(2);
    for (const w of wires) expect(w.byteLength).toBeLessThanOrEqual(2048);
    // Filled by encoded size (names compressed): each but the last short of the bound by less
    // than one more record written in full.
    for (const w of wires.slice(0, -1)) expect(w.byteLength).toBeGreaterThan(2048 - 48);
    const decoded = wires.map(decodeMessage);
    expect(decoded[0]!.questions).toHaveLength(1);
    expect(
      decoded.slice(1).every((m) => (m.questions ?? []).length === 0 && m.id === 77 && m.type === 'response'),
    ).toBe(true);
    const got = allRecords(wires);
    expect(got.map((r) => r.name)).toEqual(rs.map((r) => r.name));
    expect(got[0]!.type).toBe('SOA');
    expect(got.at(-1)!.type).toBe('SOA');
  });
});

describe('transfer configuration', () => {
  it('parses secondaries and the key, and refuses what it cannot use', () => {
    expect(parseSecondary('192.0.2.53')).toEqual({ address: '192.0.2.53', port: 53 });
    expect(parseSecondary('[2001:DB8::53]:5300')).toEqual({ address: '2001:db8::53', port: 5300 });
    expect(parseSecondary('2001:db8::53')).toEqual({ address: '2001:db8::53', port: 53 });
    expect(() => parseSecondary('ns2.example.test')).toThrow(/address\[:port\]/);
    expect(() => parseSecondary('192.0.2.53:0')).toThrow();
    expect(key).toMatchObject({ name: TEST_KEY.name, algorithm: HMAC_SHA256 });
    expect(() => parseTsigKey('k:hmac-md5:AAAA')).toThrow(/hmac-sha256/);
    expect(() => parseTsigKey('k:hmac-sha256:c2hvcnQ=')).toThrow(/32 bytes/);
    expect(transferConfigFromEnv({})).toEqual({ secondaries: [], key: undefined });
  });
});

describe('transfer handler', () => {
  let manager: TestManager;
  let handler: DnsHandler;
  let credential: string;
  const ask = async (
    message: DnsMessage,
    options: { sign?: TsigKey; peer?: string; transport?: 'udp' | 'tcp' } = {},
  ) => {
    const wire = encodeMessage(message);
    const signed = options.sign ? await signMessage(wire, options.sign) : undefined;
    const raw = signed?.wire ?? wire;
    const out = await handler(decodeMessage(raw), {
      transport: options.transport ?? 'tcp',
      peer: options.peer ?? '127.0.0.1',
      raw,
    });
    return { out: await allMessages(out), mac: signed?.mac };
  };

  beforeAll(async () => {
    manager = await startTestManager();
    handler = transferHandler({
      config: manager.config,
      store: manager.store,
      zone: manager.zone,
      transfer: { secondaries: [{ address: '127.0.0.1', port: 53 }], key },
    });
    credential = await manager.enrol('1234', 'nur1');
    await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.3', publicIpv4: '203.0.113.7' });
  });
  afterAll(async () => manager?.close());

  it('sends the whole zone, SOA first and last, every message signed in one chain', async () => {
    const { out, mac } = await ask(transferQuery('AXFR'), { sign: key });
    let prior = mac;
    for (const [i, w] of out.entries()) {
      const v = await verifyMessage(w, [key], { priorMac: prior, timersOnly: i > 0 });
      expect(v.status).toBe('ok');
      prior = findTsig(w)!.mac;
    }
    const rs = allRecords(out);
    const serial = await manager.store.serial();
    expect(rs[0]).toMatchObject({ type: 'SOA', data: { serial } });
    expect(rs.at(-1)).toMatchObject({ type: 'SOA', data: { serial } });
    expect(rs).toContainEqual(
      expect.objectContaining({ name: 'i-nur1.pl-1234.example.test', type: 'A', data: '10.1.2.3' }),
    );
    expect(rs).toContainEqual(expect.objectContaining({ name: 'private.canary.example.test', type: 'A' }));
  });

  it('answers IXFR from the journal with only what changed', async () => {
    const before = await manager.store.serial();
    await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.4', publicIpv4: '203.0.113.7' });
    await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.5', publicIpv4: '203.0.113.7' });
    const now = await manager.store.serial();
    expect(now).toBe(before + 2);
    const rs = allRecords((await ask(transferQuery('IXFR', before), { sign: key })).out);
    // new SOA, [old SOA, -A, -TXT, new SOA, +A, +TXT] twice, new SOA
    expect(rs.map((r) => `${r.type}${r.type === 'SOA' ? r.data.serial : ` ${r.data}`}`)).toEqual([
      `SOA${now}`,
      `SOA${before}`,
      'A 10.1.2.3',
      'TXT v=hairpin1 a=10.1.2.3',
      `SOA${before + 1}`,
      'A 10.1.2.4',
      'TXT v=hairpin1 a=10.1.2.4',
      `SOA${before + 1}`,
      'A 10.1.2.4',
      'TXT v=hairpin1 a=10.1.2.4',
      `SOA${now}`,
      'A 10.1.2.5',
      'TXT v=hairpin1 a=10.1.2.5',
      `SOA${now}`,
    ]);
    expect(rs.filter((r) => r.name === 'nur1.pl-1234.example.test')).toEqual([]);
  });

  it('answers an up-to-date IXFR (and any IXFR over UDP) with the SOA alone', async () => {
    const now = await manager.store.serial();
    for (const [serial, transport] of [
      [now, 'tcp'],
      [now - 1, 'udp'],
    ] as const) {
      const rs = allRecords((await ask(transferQuery('IXFR', serial), { sign: key, transport })).out);
      expect(rs).toHaveLength(1);
      expect(rs[0]).toMatchObject({ type: 'SOA', data: { serial: now } });
    }
  });

  it('falls back to the whole zone when the range crosses a change the journal lacks', async () => {
    const before = await manager.store.serial();
    await manager.enrol('1234', 'nur2');
    expect(await journalDeltas(manager.config, manager.store, before, await manager.store.serial())).toBeUndefined();
    const rs = allRecords((await ask(transferQuery('IXFR', before), { sign: key })).out);
    expect(rs.filter((r) => r.type === 'SOA')).toHaveLength(2);
    expect(rs).toContainEqual(expect.objectContaining({ name: 'i-nur2.pl-1234.example.test', type: 'TXT' }));
  });

  it('refuses unsigned, foreign and UDP AXFR (DoH: NOTIMP); rejects other keys with NOTAUTH/BADKEY', async () => {
    const rcode = (out: Uint8Array[]) => fullRcode(decodeMessage(out[0]!));
    expect(rcode((await ask(transferQuery('AXFR'))).out)).toBe(Rcode.REFUSED);
    expect(rcode((await ask(transferQuery('AXFR'), { sign: key, peer: '192.0.2.99' })).out)).toBe(Rcode.REFUSED);
    expect(rcode((await ask(transferQuery('AXFR'), { sign: key, transport: 'udp' })).out)).toBe(Rcode.NOTIMP);
    // DoH never reaches the handler: the zone module answers a transfer asked there, with NOTIMP.
    for (const type of ['AXFR', 'IXFR'] as const) {
      const signed = await signMessage(encodeMessage(transferQuery(type, type === 'IXFR' ? 1 : undefined)), key);
      const doh = await fetch(`${manager.url}/dns-query`, {
        method: 'POST',
        headers: { 'content-type': 'application/dns-message' },
        body: signed.wire as Uint8Array<ArrayBuffer>,
      });
      expect(fullRcode(decodeMessage(new Uint8Array(await doh.arrayBuffer())))).toBe(Rcode.NOTIMP);
    }
    expect(rcode((await ask(transferQuery('IXFR'), { sign: key })).out)).toBe(Rcode.FORMERR);
    const other = { ...key, name: 'other.example.test' };
    const badkey = (await ask(transferQuery('AXFR'), { sign: other })).out;
    expect(rcode(badkey)).toBe(Rcode.NOTAUTH);
    expect(findTsig(badkey[0]!)).toMatchObject({ error: TsigError.BADKEY });
    const stale = await signMessage(encodeMessage(transferQuery('AXFR')), key, {
      time: Math.floor(Date.now() / 1000) - 3600,
    });
    const badtime = await allMessages(
      await handler(decodeMessage(stale.wire), { transport: 'tcp', peer: '127.0.0.1', raw: stale.wire }),
    );
    expect(findTsig(badtime[0]!)).toMatchObject({ error: TsigError.BADTIME });
    expect(findTsig(badtime[0]!)!.otherData).toHaveLength(6);
    expect(findTsig(badtime[0]!)!.timeSigned).toBe(findTsig(stale.wire)!.timeSigned);
    expect(
      (await verifyMessage(badtime[0]!, [key], { priorMac: stale.mac, now: findTsig(stale.wire)!.timeSigned })).status,
    ).toBe('ok');
  });

  it('walks the journal across the 2^32 serial wrap (RFC 1982)', async () => {
    await manager.store.db.updateTable('zone').set({ serial: 4294967294 }).where('id', '=', 1).execute();
    await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.6', publicIpv4: '203.0.113.7' });
    await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.7', publicIpv4: '203.0.113.7' });
    expect(await manager.store.serial()).toBe(1);
    const deltas = await journalDeltas(manager.config, manager.store, 4294967294, 1);
    expect(deltas?.map((d) => [d.from, d.to])).toEqual([
      [4294967294, 4294967295],
      [4294967295, 1],
    ]);
    const rs = allRecords((await ask(transferQuery('IXFR', 4294967294), { sign: key })).out);
    expect(rs.filter((r) => r.type === 'SOA').map((r) => (r.type === 'SOA' ? r.data.serial : 0))).toEqual([
      1, 4294967294, 4294967295, 4294967295, 1, 1,
    ]);
  });

  it('leaves plain queries to the zone, and signs the answer to a signed one', async () => {
    const soaQuery: DnsMessage = {
      id: 5,
      type: 'query',
      questions: [{ name: 'example.test', type: 'SOA', class: 'IN' }],
    };
    expect((await ask(soaQuery)).out).toEqual([]);
    const { out, mac } = await ask(soaQuery, { sign: key });
    expect((await verifyMessage(out[0]!, [key], { priorMac: mac })).status).toBe('ok');
    expect(records(decodeMessage(out[0]!).answers)[0]).toMatchObject({ type: 'SOA' });
    expect(Buffer.from(out[0]!).subarray(0, 2).readUInt16BE()).toBe(5);
  });
});
