// Hostile input: random and mutated packets over UDP and TCP. The server must stay up, keep
// answering real questions between the bursts, and never throw (vitest fails on an unhandled
// error in this process, where the server runs).

import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage, records } from '../../dns/message.ts';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { seededRandom } from '../support/random.ts';
import { framed, type QueryType, query, tcpAsk, udpAsk } from './wire-client.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed);
const UDP_PACKETS = 90_000;
const TCP_PACKETS = 12_000;
const BURST = 250;

const NAMES = [
  'example.test',
  'i-nur1.pl-1234.example.test',
  'nur1.pl-1234.example.test',
  'pl-1234.example.test',
  'x.example.com',
  '_acme-challenge.nur1.pl-1234.example.test',
];
const TYPES: QueryType[] = ['A', 'AAAA', 'TXT', 'SOA', 'NS', 'ANY', 'AXFR', 'IXFR', 'CNAME'];

function seeds(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const name of NAMES)
    for (const type of TYPES)
      for (const edns of [undefined, 512, 4096]) out.push(encodeMessage(query(name, type, edns)));
  // Opcodes NOTIFY and UPDATE, and a compression pointer that points at itself.
  out.push(
    encodeMessage({ ...query('example.test', 'SOA'), flags: 4 << 11 }),
    encodeMessage({ ...query('example.test', 'SOA'), flags: 5 << 11 }),
  );
  out.push(new Uint8Array([0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]));
  return out;
}

/** A packet: pure noise, or a valid query with a few bytes flipped, cut, grown or its counts bent. */
function packet(rng: ReturnType<typeof seededRandom>, pool: Uint8Array[]): Uint8Array {
  const kind = rng.int(6);
  if (kind === 0) return Uint8Array.from({ length: rng.int(600) }, rng.byte);
  const base = pool[rng.int(pool.length)]!;
  let bytes: Uint8Array = base.slice();
  if (kind === 1) bytes = bytes.subarray(0, rng.int(bytes.length + 1));
  if (kind === 2) bytes = Uint8Array.from([...bytes, ...Array.from({ length: rng.int(64) }, rng.byte)]);
  if (kind === 3 && bytes.length >= 12)
    for (let i = 4; i < 12; i++) bytes[i] = rng.int(4) === 0 ? rng.byte() : bytes[i]!;
  for (let flips = rng.int(4) + (kind >= 4 ? 1 : 0); flips > 0 && bytes.length > 0; flips--)
    bytes[rng.int(bytes.length)] = rng.byte();
  return bytes;
}

describe('fuzz', () => {
  let manager: TestManager;
  let dir: string;
  /** Hostile messages sent on each transport, printed with their total at the end. */
  const fired = { udp: 0, tcp: 0 };
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hairpin-fuzz-'));
    // A file store, so the response cache and its plain-question parser are under fire too.
    manager = await startTestManager({ HAIRPIN_DB: join(dir, 'hairpin.sqlite') });
    const credential = await manager.enrol('1234', 'nur1');
    await manager.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.3' });
  });
  afterAll(async () => {
    console.log(`fuzz: ${fired.udp + fired.tcp} hostile messages in all (${fired.udp} UDP, ${fired.tcp} TCP)`);
    await manager?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const alive = async (ask: typeof udpAsk) =>
    expect(
      records((await ask(manager.dns.udpPort, query('i-nur1.pl-1234.example.test', 'A')))?.answers).map((r) => r.data),
    ).toEqual(['10.1.2.3']);

  it(`survives ${UDP_PACKETS} random and mutated UDP packets`, async () => {
    const rng = seededRandom(SEED);
    const pool = seeds();
    const socket = createSocket('udp4');
    let replies = 0;
    socket.on('message', () => replies++);
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    try {
      for (let sent = 0; sent < UDP_PACKETS; sent += BURST) {
        await Promise.all(
          Array.from(
            { length: BURST },
            () => new Promise((r) => socket.send(packet(rng, pool), manager.dns.udpPort, '127.0.0.1', r)),
          ),
        );
        fired.udp += BURST;
        // A real question after each burst: answered means the burst was read and survived.
        await alive(udpAsk);
      }
    } finally {
      socket.close();
    }
    console.log(
      `fuzz (seed ${SEED}): ${UDP_PACKETS} UDP packets sent, ${replies} answered (FORMERR, REFUSED, ...), server alive`,
    );
  });

  it(`survives ${TCP_PACKETS} random and mutated TCP messages, broken framing included`, async () => {
    const rng = seededRandom(SEED + 1);
    const pool = seeds();
    const perConnection = 200;
    for (let sent = 0; sent < TCP_PACKETS; sent += perConnection) {
      const messages = Array.from({ length: perConnection }, () => packet(rng, pool));
      let stream = framed(...messages);
      // Every fourth connection ends mid-frame or gets raw noise instead of frames.
      if (rng.int(4) === 0)
        stream = rng.int(2)
          ? stream.subarray(0, rng.int(stream.length))
          : Uint8Array.from({ length: rng.int(4000) }, rng.byte);
      await new Promise<void>((resolve) => {
        const socket = connect(manager.dns.tcpPort, '127.0.0.1', () => socket.end(stream));
        const timer = setTimeout(() => socket.destroy(), 2000);
        socket.on('data', () => {});
        socket.on('error', () => {});
        socket.on('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      fired.tcp += perConnection;
    }
    await alive(tcpAsk);
    await alive(udpAsk);
    console.log(
      `fuzz (seed ${SEED + 1}): ${TCP_PACKETS} TCP messages on ${TCP_PACKETS / perConnection} connections, server alive`,
    );
  });
});
