import { Buffer } from 'node:buffer';
import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, FLAG_AA } from '../../dns/message.ts';
import {
  findTsig,
  HMAC_SHA256,
  signMessage,
  TsigError,
  type TsigKey,
  unsignedError,
  verifyMessage,
} from '../../worker/transfer/tsig.ts';
import { haveSystemPrograms } from '../support/system.ts';

const SECRET = 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTMyYg==';
const key: TsigKey = { name: 'transfer.example.test', algorithm: HMAC_SHA256, secret: Buffer.from(SECRET, 'base64') };

// Captured from BIND's dig: `dig -y hmac-sha256:transfer.example.test:<SECRET> example.test SOA
// +noedns`, signed at 1795611242 with fudge 300.
const DIG_QUERY = Buffer.from(
  'f3a701200001000000000001076578616d706c6504746573740000060001087472616e73666572076578616d706c65047465737400' +
    '00fa00ff00000000003d0b686d61632d7368613235360000006b06da6a012c00208f8c532f01d65955fb54cb73157456ff56f5901f' +
    '707d6979d2b0e6962e804647f3a700000000',
  'hex',
);
const DIG_TIME = 1795611242;

describe('TSIG (RFC 8945)', () => {
  it("verifies BIND dig's HMAC-SHA256 signature", async () => {
    const result = await verifyMessage(DIG_QUERY, [key], { now: DIG_TIME + 10 });
    expect(result.status).toBe('ok');
    const tsig = findTsig(DIG_QUERY)!;
    expect(tsig).toMatchObject({
      keyName: 'transfer.example.test',
      algorithm: 'hmac-sha256',
      timeSigned: DIG_TIME,
      fudge: 300,
      originalId: 0xf3a7,
    });
    expect(tsig.mac.length).toBe(32);
  });

  it('tells a bad MAC, an unknown key and a stale time apart', async () => {
    const tampered = new Uint8Array(DIG_QUERY);
    tampered[22]! ^= 1; // a letter of the question name
    expect((await verifyMessage(tampered, [key], { now: DIG_TIME })).status).toBe('badsig');
    const other = { ...key, name: 'other.example.test' };
    expect((await verifyMessage(DIG_QUERY, [other], { now: DIG_TIME })).status).toBe('badkey');
    const wrongSecret = { ...key, secret: new Uint8Array(32) };
    expect((await verifyMessage(DIG_QUERY, [wrongSecret], { now: DIG_TIME })).status).toBe('badsig');
    expect((await verifyMessage(DIG_QUERY, [key], { now: DIG_TIME + 301 })).status).toBe('badtime');
  });

  it('signs what it verifies, and a changed ID (forwarders rewrite it) still verifies', async () => {
    const query = encodeMessage({
      id: 42,
      type: 'query',
      questions: [{ name: 'example.test', type: 'AXFR', class: 'IN' }],
    });
    const { wire, mac } = await signMessage(query, key, { time: 1000 });
    expect(decodeMessage(wire).additionals).toHaveLength(1);
    expect((await verifyMessage(wire, [key], { now: 1000 })).status).toBe('ok');
    const rewritten = new Uint8Array(wire);
    rewritten[1] = 43;
    expect((await verifyMessage(rewritten, [key], { now: 1000 })).status).toBe('ok');

    // A stream: the answer chains the request MAC, the next message chains the answer's MAC and
    // covers only the timers (RFC 8945 §4.3.1).
    const answer = encodeMessage({
      id: 42,
      type: 'response',
      flags: FLAG_AA,
      questions: [{ name: 'example.test', type: 'AXFR', class: 'IN' }],
    });
    const first = await signMessage(answer, key, { time: 1000, priorMac: mac });
    expect((await verifyMessage(first.wire, [key], { now: 1000, priorMac: mac })).status).toBe('ok');
    expect((await verifyMessage(first.wire, [key], { now: 1000 })).status).toBe('badsig');
    const second = await signMessage(answer, key, { time: 1001, priorMac: first.mac, timersOnly: true });
    expect((await verifyMessage(second.wire, [key], { now: 1001, priorMac: first.mac, timersOnly: true })).status).toBe(
      'ok',
    );
    expect((await verifyMessage(second.wire, [key], { now: 1001, priorMac: mac, timersOnly: true })).status).toBe(
      'badsig',
    );
  });

  it('answers an unknown key with an empty-MAC TSIG carrying the error', () => {
    const tsig = findTsig(DIG_QUERY)!;
    const answer = encodeMessage({
      id: 0xf3a7,
      type: 'response',
      flags: 9,
      questions: [{ name: 'example.test', type: 'SOA', class: 'IN' }],
    });
    const back = findTsig(unsignedError(answer, tsig, TsigError.BADKEY, 5))!;
    expect(back).toMatchObject({ keyName: 'transfer.example.test', error: TsigError.BADKEY, timeSigned: 5 });
    expect(back.mac.length).toBe(0);
  });
});

const haveKdig = haveSystemPrograms('kdig');

describe.skipIf(!haveKdig)('TSIG against kdig', () => {
  const socket = createSocket('udp4');
  let port = 0;
  beforeAll(async () => {
    // A one-question responder that signs its SOA answer with our code, so kdig checks our MAC.
    socket.on('message', async (raw, peer) => {
      const verified = await verifyMessage(raw, [key]);
      if (verified.status !== 'ok') return;
      const query = decodeMessage(raw);
      const answer = encodeMessage({
        id: query.id,
        type: 'response',
        flags: FLAG_AA,
        questions: query.questions,
        answers: [
          {
            name: 'example.test',
            type: 'SOA',
            class: 'IN',
            ttl: 60,
            data: {
              mname: 'ns1.example.test',
              rname: 'hostmaster.example.test',
              serial: 7,
              refresh: 1,
              retry: 1,
              expire: 1,
              minimum: 1,
            },
          },
        ],
      });
      const signed = await signMessage(answer, key, { priorMac: verified.tsig.mac });
      socket.send(signed.wire, peer.port, peer.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    port = socket.address().port;
  });
  afterAll(() => socket.close());

  it('kdig signs requests we verify and accepts the answers we sign', async () => {
    const { stdout } = await promisify(execFile)(
      'kdig',
      [
        `@127.0.0.1`,
        '-p',
        String(port),
        '-y',
        `hmac-sha256:${key.name}:${SECRET}`,
        '+retry=0',
        '+time=2',
        'example.test',
        'SOA',
      ],
      { timeout: 10_000 },
    );
    expect(stdout).toContain('NOERROR');
    expect(stdout).toMatch(/SOA\s+ns1\.example\.test\. hostmaster\.example\.test\. 7/);
    expect(stdout).not.toMatch(/WARNING/);
    expect(stdout).toMatch(/TSIG\s+hmac-sha256\. \d+ 300 32 \S+ \d+ NOERROR/);
  });
});
