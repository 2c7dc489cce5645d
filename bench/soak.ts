// The soak: a real manager process (`hairpin manager`, response rate limiting on as shipped)
// under hostile UDP and TCP DNS traffic, TCP resets, slow clients and HTTP/2 abuse at once, while
// a checker from another /24 sends real reports and asks real questions, comparing each answer
// with what it reported. Printed: crashes, wrong answers, reports lost, the worst amplification
// per kind of datagram, what the hostile prefix received per second, RSS before and after.
//
//   npm run soak                      # >= 1,000,000 UDP datagrams, >= 10,000 TCP messages
//   SOAK_UDP=50000 SOAK_TCP=2000 npm run soak
//
// The short form runs inside npm test (test/dns/soak.test.ts).

import { execFile } from 'node:child_process';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { constants as h2, connect as h2connect } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DnsMessage, decodeMessage, encodeMessage, FLAG_TC, records } from '../dns/message.ts';
import { frameTcp } from '../dns/tcp-frame.ts';
import { type Daemon, startDaemon } from '../test/dns/daemons.ts';
import { writeKnotConfig } from '../test/dns/knot-config.ts';
import { type QueryType, query } from '../test/dns/wire-client.ts';
import { freePort } from '../test/support/net.ts';
import { type ManagerProcess, spawnManager } from '../test/support/process.ts';
import { seededRandom } from '../test/support/random.ts';
import { haveSystemPrograms } from '../test/support/system.ts';
import { waitUntil } from '../test/support/wait.ts';

export interface SoakOptions {
  udpPackets: number;
  tcpMessages: number;
  /** Each of: TCP resets on the HTTP port, slow HTTP clients, HTTP/2 rapid-reset streams. */
  httpAbuse: number;
  /** Real reports the checker sends (each followed by questions about it). */
  reports: number;
  /** Extra environment for the manager (shorter HTTP deadlines for the short form). */
  managerEnv?: Record<string, string>;
  /** Start a Knot on the same zone and compare the size of every valid answer with its (knotd needed). */
  knot?: boolean;
  log?: (line: string) => void;
}

export interface SoakResult {
  crashes: number;
  wrongAnswers: number;
  /** The first few wrong answers, for the failure message. */
  wrongDetails: string[];
  reportsLost: number;
  reportsAcknowledged: number;
  questionsChecked: number;
  udpSent: number;
  tcpSent: number;
  /** Largest answer bytes / datagram bytes, per kind of hostile datagram that got an answer. */
  amplification: Record<string, number>;
  /** Valid questions asked of both the manager and Knot, and how many got more bytes from us. */
  comparedWithKnot: number;
  largerThanKnot: number;
  /** Answers with records the hostile prefix received in its busiest second (RRL bounds it). */
  fullAnswersPerSecondMax: number;
  /** Bytes the hostile prefix received in its busiest second. */
  bytesPerSecondMax: number;
  rssBeforeKiB: number;
  rssAfterKiB: number;
  seconds: number;
}

const ZONE = 'example.test';
const ADMIN = 'soak-admin-token-0123456789abcdef';
const NODES = 16;
/** The checker's address: another /24 than the hostile traffic's 127.0.0.1. */
const CHECKER = '127.0.1.1';
const bin = fileURLToPath(new URL('../bin/hairpin.js', import.meta.url));

const rssKiB = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);

/** The kinds of hostile datagram, each made from the sequence number `i` (its ID). */
type Kind =
  | 'random'
  | 'truncated'
  | 'loop'
  | 'multi-question'
  | 'valid-huge-edns'
  | 'bad-opcode'
  | 'dot-label'
  | 'response';
const KINDS: Kind[] = [
  'random',
  'truncated',
  'loop',
  'multi-question',
  'valid-huge-edns',
  'bad-opcode',
  'dot-label',
  'response',
];
/** Kinds that are no valid question: never answered with more bytes than they had. */
export const MALFORMED: readonly Kind[] = [
  'random',
  'truncated',
  'loop',
  'multi-question',
  'bad-opcode',
  'dot-label',
  'response',
];

function hostileDatagram(kind: Kind, id: number, r: ReturnType<typeof seededRandom>): Uint8Array {
  const withId = (b: Uint8Array) => {
    b[0] = id >> 8;
    b[1] = id & 0xff;
    return b;
  };
  const valid = () =>
    encodeMessage(
      query(
        ['example.test', 'i-nur1.pl-1.example.test', 'x.example.test'][r.int(3)]!,
        (['A', 'NS', 'SOA', 'TXT', 'ANY'] as QueryType[])[r.int(5)]!,
        r.int(2) ? 1232 : undefined,
        id,
      ),
    );
  switch (kind) {
    case 'random':
      return withId(r.bytes(12 + r.int(500)));
    case 'truncated': {
      const v = valid();
      return withId(v.slice(0, 12 + r.int(v.byteLength - 12)));
    }
    case 'loop':
      return withId(Uint8Array.from([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]));
    case 'multi-question': {
      const count = 2 + r.int(200);
      const name = [
        63,
        ...r.bytes(63).map((b) => 97 + (b % 26)),
        7,
        ...Buffer.from('example'),
        4,
        ...Buffer.from('test'),
        0,
      ];
      const rest = Array.from({ length: count - 1 }, () => [0xc0, 12, 0, 2, 0, 1]).flat();
      return withId(
        Uint8Array.from([0, 0, 1, 0, count >> 8, count & 0xff, 0, 0, 0, 0, 0, 0, ...name, 0, 2, 0, 1, ...rest]),
      );
    }
    case 'valid-huge-edns': {
      const q = query('example.test', r.int(2) ? 'NS' : 'ANY', 65535, id);
      (q.additionals![0] as { options: unknown[] }).options = [
        { code: 65001, data: Buffer.from(r.bytes(r.int(1000))) },
      ];
      return encodeMessage(q);
    }
    case 'bad-opcode': {
      const q = valid();
      q[2] = (q[2]! & 0x87) | ((1 + r.int(15)) << 3);
      return q;
    }
    case 'dot-label':
      return withId(
        Uint8Array.from([0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 12, ...Buffer.from('example.test'), 0, 0, 1, 0, 1]),
      );
    case 'response': {
      const v = valid();
      v[2]! |= 0x80;
      return v;
    }
  }
}

/** Sends `total` hostile datagrams from 127.0.0.1 in paced bursts; tallies what comes back. */
async function udpFlood(port: number, total: number, result: SoakResult): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  socket.on('error', () => {});
  const sent = new Array<{ kind: Kind; size: number } | undefined>(65536);
  const perSecond = new Map<number, { full: number; bytes: number }>();
  const start = performance.now();
  socket.on('message', (answer) => {
    const id = answer.readUInt16BE(0);
    const what = sent[id];
    const second = Math.floor((performance.now() - start) / 1000);
    const tally = perSecond.get(second) ?? { full: 0, bytes: 0 };
    tally.bytes += answer.byteLength;
    if ((answer.readUInt16BE(2) & FLAG_TC) === 0 && answer.readUInt16BE(6) > 0) tally.full++;
    perSecond.set(second, tally);
    if (!what) return;
    result.amplification[what.kind] = Math.max(result.amplification[what.kind] ?? 0, answer.byteLength / what.size);
  });
  const r = seededRandom(0x50a4);
  const BURST = 200;
  for (let i = 0; i < total; i += BURST) {
    for (let j = i; j < Math.min(total, i + BURST); j++) {
      const kind = KINDS[j % KINDS.length]!;
      const datagram = hostileDatagram(kind, j & 0xffff, r);
      const id = (datagram[0]! << 8) | datagram[1]!;
      sent[id] = { kind, size: datagram.byteLength };
      socket.send(datagram, port, '127.0.0.1');
      result.udpSent++;
    }
    // Let the socket drain and the answers in: bounded pace, never an unbounded queue.
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
  socket.close();
  for (const { full, bytes } of perSecond.values()) {
    result.fullAnswersPerSecondMax = Math.max(result.fullAnswersPerSecondMax, full);
    result.bytesPerSecondMax = Math.max(result.bytesPerSecondMax, bytes);
  }
}

/** Opens a TCP connection and runs `use` on it; resolves when it is closed, whatever happened. */
function tcpSession(port: number, use: (socket: Socket) => void, timeoutMs = 5000): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.on('connect', () => use(socket));
  });
}

/** Hostile DNS over TCP: batches of framed messages (broken framing too), resets, slow senders. */
async function tcpAbuse(port: number, total: number, result: SoakResult): Promise<void> {
  const r = seededRandom(0x7c9);
  const PER_CONNECTION = 50;
  const sessions = Math.ceil(total / PER_CONNECTION);
  let next = 0;
  const worker = async () => {
    for (let s = next++; s < sessions; s = next++) {
      await tcpSession(port, (socket) => {
        const messages = Array.from({ length: PER_CONNECTION }, (_, i) =>
          hostileDatagram(KINDS[(s + i) % KINDS.length]!, i, r),
        );
        result.tcpSent += messages.length;
        const bytes = Buffer.concat(messages.map((m) => Buffer.from(frameTcp(m))));
        switch (s % 4) {
          case 0:
            socket.end(bytes);
            break;
          // A frame cut short, then a reset.
          case 1:
            socket.write(bytes.subarray(0, r.int(bytes.byteLength)), () => socket.resetAndDestroy());
            break;
          // A length prefix promising more than ever comes, then silence until the server cuts it.
          case 2:
            socket.write(Buffer.concat([bytes, Buffer.from([0xff, 0xff, 1, 2, 3])]));
            break;
          default:
            socket.write(bytes, () => setTimeout(() => socket.resetAndDestroy(), r.int(50)));
        }
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
}

/** TCP resets and slow clients on the HTTP port, and HTTP/2 rapid resets and SETTINGS floods. */
async function httpAbuse(httpPort: number, count: number): Promise<void> {
  const resets = async () => {
    for (let i = 0; i < count; i++) {
      await tcpSession(httpPort, (socket) => {
        if (i % 2) socket.resetAndDestroy();
        else socket.write('GET /healthz HT', () => socket.resetAndDestroy());
      });
    }
  };
  // Slow clients: a header byte every 300 ms, until the server's header deadline cuts them.
  const slow = async () => {
    await Promise.all(
      Array.from({ length: Math.min(count, 40) }, () =>
        tcpSession(
          httpPort,
          (socket) => {
            const line = Buffer.from('GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
            let at = 0;
            const timer = setInterval(() => {
              if (socket.destroyed) return clearInterval(timer);
              socket.write(line.subarray(at % line.byteLength, (at % line.byteLength) + 1));
              at++;
            }, 300);
            socket.on('close', () => clearInterval(timer));
          },
          15_000,
        ),
      ),
    );
  };
  const http2 = async () => {
    for (let round = 0; round < Math.max(1, Math.floor(count / 100)); round++) {
      await new Promise<void>((resolve) => {
        const session = h2connect(`http://127.0.0.1:${httpPort}`);
        const done = () => {
          clearTimeout(timer);
          session.destroy();
          resolve();
        };
        const timer = setTimeout(done, 5000);
        session.on('error', done);
        session.on('close', done);
        session.on('connect', () => {
          // Rapid reset (CVE-2023-44487): open a stream and cancel it at once, many times over.
          for (let i = 0; i < 100 && !session.destroyed; i++) {
            const stream = session.request({ ':path': '/healthz' });
            stream.on('error', () => {});
            stream.close(h2.NGHTTP2_CANCEL);
          }
          // A SETTINGS flood.
          for (let i = 0; i < 100 && !session.destroyed; i++) {
            try {
              session.settings({ initialWindowSize: 65535 + i });
            } catch {
              break;
            }
          }
          setTimeout(done, 200);
        });
      });
    }
  };
  await Promise.all([resets(), slow(), http2()]);
}

/** An HTTP request from the checker's own address, so per-source caps on the abuse leave it be. */
function checkerRequest(
  httpPort: number,
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port: httpPort,
        localAddress: CHECKER,
        method,
        path,
        timeout: 10_000,
        headers: { authorization: `Bearer ${token}`, ...(payload ? { 'content-type': 'application/json' } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on('error', () => resolve({ status: 0, json: undefined }));
      },
    );
    req.on('error', () => resolve({ status: 0, json: undefined }));
    req.on('timeout', () => req.destroy());
    req.end(payload);
  });
}

/** One UDP exchange from the checker's socket, matched by ID; undefined after `timeoutMs`. */
function udpOnce(
  udp: UdpSocket,
  port: number,
  wire: Uint8Array,
  id: number,
  timeoutMs: number,
): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      udp.off('message', on);
      resolve(undefined);
    }, timeoutMs);
    const on = (m: Buffer) => {
      if (m.readUInt16BE(0) !== id) return;
      clearTimeout(timer);
      udp.off('message', on);
      resolve(new Uint8Array(m));
    };
    udp.on('message', on);
    udp.send(wire, port, '127.0.0.1');
  });
}

/** One exchange over TCP from the checker's address. */
function tcpOnce(port: number, wire: Uint8Array, timeoutMs: number): Promise<Uint8Array | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect({ port, host: '127.0.0.1', localAddress: CHECKER });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(undefined);
    }, timeoutMs);
    const done = (answer: Uint8Array | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    socket.on('error', () => done(undefined));
    socket.on('data', (d) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      if (all.byteLength >= 2 && all.byteLength >= 2 + all.readUInt16BE(0))
        done(new Uint8Array(all.subarray(2, 2 + all.readUInt16BE(0))));
    });
    socket.on('connect', () => socket.write(frameTcp(wire)));
  });
}

/**
 * One question from the checker's address as a resolver asks it: UDP, tried again when a
 * datagram is lost (a flood fills the server's receive buffer: the kernel drops what does not
 * fit, ours included), then TCP, and TCP at once when the answer is truncated.
 */
async function checkerAsk(udp: UdpSocket, port: number, q: DnsMessage): Promise<Uint8Array | undefined> {
  const wire = encodeMessage(q);
  for (let attempt = 0; attempt < 3; attempt++) {
    const answer = await udpOnce(udp, port, wire, q.id!, 1000);
    if (answer && (decodeMessage(answer).flags! & FLAG_TC) === 0) return answer;
    if (answer) break;
  }
  return tcpOnce(port, wire, 5000);
}

/** Real reports and real questions, every answer compared with what was reported. */
/**
 * Valid questions whose answers Knot, loaded with the zone as it was before the reports, gives
 * with the same records: their sizes must not exceed Knot's. Some carry a large EDNS option
 * (neither server echoes it). ANY is left out: each server may pick another RRset (RFC 8482).
 */
function validQuestions(id: number): DnsMessage[] {
  const out: DnsMessage[] = [];
  for (const name of [
    ZONE,
    `ns1.${ZONE}`,
    `i-nur1.pl-2.${ZONE}`,
    `nur1.pl-2.${ZONE}`,
    `pl-1.${ZONE}`,
    `nope.${ZONE}`,
    `private.canary.${ZONE}`,
  ]) {
    for (const type of ['A', 'NS', 'SOA', 'TXT', 'AAAA'] as QueryType[]) {
      const q = query(name, type, 1232, id++ & 0xffff);
      if (type === 'NS')
        (q.additionals![0] as { options: unknown[] }).options = [{ code: 65001, data: Buffer.alloc(900) }];
      out.push(q);
    }
  }
  return out;
}

async function checker(
  manager: { httpPort: number; dnsPort: number },
  credentials: string[],
  reports: number,
  result: SoakResult,
  hostile: { running: boolean },
  knotPort?: number,
): Promise<void> {
  const udp = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, CHECKER, resolve));
  udp.on('error', () => {});
  let id = 1;
  // At least `reports`, and on for as long as the hostile traffic lasts.
  for (let i = 0; i < reports || hostile.running; i++) {
    const n = i % NODES;
    const address = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    let acknowledged = false;
    for (let attempt = 0; attempt < 5 && !acknowledged; attempt++) {
      const res = await checkerRequest(
        manager.httpPort,
        'PUT',
        `/v1/licences/1/nodes/nur${n}/addresses`,
        credentials[n]!,
        { privateIpv4: address },
      );
      acknowledged = res.status === 200;
      if (!acknowledged) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    if (!acknowledged) {
      result.reportsLost++;
      continue;
    }
    result.reportsAcknowledged++;
    const answer = await checkerAsk(udp, manager.dnsPort, query(`i-nur${n}.pl-1.${ZONE}`, 'A', 1232, id++ & 0xffff));
    const got = answer && records(decodeMessage(answer).answers).map((r) => String(r.data));
    result.questionsChecked++;
    if (got?.length !== 1 || got[0] !== address) {
      result.wrongAnswers++;
      if (result.wrongDetails.length < 5)
        result.wrongDetails.push(
          `nur${n}: reported ${address}, answered ${got ? JSON.stringify(got) : 'nothing (timeout)'}`,
        );
    }
    if (knotPort !== undefined) {
      const questions = validQuestions(id);
      id += questions.length;
      const q = questions[i % questions.length]!;
      const [ours, theirs] = await Promise.all([
        checkerAsk(udp, manager.dnsPort, q),
        checkerAsk(udp, knotPort, { ...q, id: (q.id! + 0x8000) & 0xffff }),
      ]);
      if (ours && theirs) {
        result.comparedWithKnot++;
        if (ours.byteLength > theirs.byteLength) {
          result.largerThanKnot++;
          if (result.wrongDetails.length < 5)
            result.wrongDetails.push(
              `${q.questions![0]!.name} ${q.questions![0]!.type}: ${ours.byteLength} bytes, Knot ${theirs.byteLength}`,
            );
        }
      }
    }
  }
  udp.close();
}

/** A Knot serving the zone file `hairpin zonefile` writes from the manager's store. */
async function startKnot(dir: string, manager: { db: string }): Promise<Daemon> {
  const zoneFile = join(dir, `${ZONE}.zone`);
  const zone = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      [bin, 'zonefile'],
      { env: { ...process.env, HAIRPIN_DB: manager.db, HAIRPIN_ZONE: ZONE } },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    );
  });
  await writeFile(zoneFile, zone);
  const port = await freePort();
  return startDaemon('knotd', ['-c', await writeKnotConfig(dir, port, ZONE, zoneFile)], { port, probeName: ZONE });
}

/** The port the manager's DNS server took, from its start-up line. */
function dnsPortOf(manager: ManagerProcess): number {
  const m = /dns for zone [^:]+: udp\+tcp [^ ]*:(\d+)/.exec(manager.output());
  if (!m) throw new Error(`no DNS port in the manager's output:\n${manager.output()}`);
  return Number(m[1]);
}

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const log = options.log ?? (() => {});
  const dir = await mkdtemp(join(tmpdir(), 'hairpin-soak-'));
  const db = join(dir, 'hairpin.sqlite');
  const manager = Object.assign(
    await spawnManager({ HAIRPIN_DB: db, HAIRPIN_ZONE: ZONE, HAIRPIN_ADMIN_TOKEN: ADMIN, ...options.managerEnv }),
    { db },
  );
  let knot: Daemon | undefined;
  const result: SoakResult = {
    crashes: 0,
    wrongAnswers: 0,
    wrongDetails: [],
    reportsLost: 0,
    reportsAcknowledged: 0,
    questionsChecked: 0,
    udpSent: 0,
    tcpSent: 0,
    amplification: {},
    comparedWithKnot: 0,
    largerThanKnot: 0,
    fullAnswersPerSecondMax: 0,
    bytesPerSecondMax: 0,
    rssBeforeKiB: 0,
    rssAfterKiB: 0,
    seconds: 0,
  };
  try {
    const pid = manager.child.pid!;
    await waitUntil(() => /dns for zone/.test(manager.output()), {
      timeout: () => `the manager did not start its DNS server:\n${manager.output()}`,
    });
    const dnsPort = dnsPortOf(manager);
    const credentials: string[] = [];
    for (let n = 0; n < NODES; n++) {
      const res = await checkerRequest(manager.port, 'POST', '/v1/licences/1/nodes', ADMIN, { node: `nur${n}` });
      if (res.status !== 201) throw new Error(`enrol nur${n}: ${res.status}`);
      credentials.push((res.json as { credential: string }).credential);
    }
    // A node the checker never reports on: the same records in the manager and in Knot.
    const fixed = await checkerRequest(manager.port, 'POST', '/v1/licences/2/nodes', ADMIN, { node: 'nur1' });
    const put = await checkerRequest(
      manager.port,
      'PUT',
      '/v1/licences/2/nodes/nur1/addresses',
      (fixed.json as { credential: string }).credential,
      { privateIpv4: '10.2.2.2', publicIpv4: '192.0.2.22' },
    );
    if (put.status !== 200) throw new Error(`report pl-2/nur1: ${put.status}`);
    if (options.knot) {
      knot = await startKnot(dir, manager);
      log(`soak: knot on ${knot.port}, loaded with the same zone`);
    }
    result.rssBeforeKiB = rssKiB(pid);
    log(`soak: manager pid ${pid}, dns ${dnsPort}, http ${manager.port}, RSS ${result.rssBeforeKiB} KiB`);
    const start = performance.now();
    const hostile = { running: true };
    await Promise.all([
      Promise.all([
        udpFlood(dnsPort, options.udpPackets, result),
        tcpAbuse(dnsPort, options.tcpMessages, result),
        httpAbuse(manager.port, options.httpAbuse),
      ]).finally(() => {
        hostile.running = false;
      }),
      checker({ httpPort: manager.port, dnsPort }, credentials, options.reports, result, hostile, knot?.port),
    ]);
    result.seconds = (performance.now() - start) / 1000;
    if (manager.child.exitCode !== null || manager.child.signalCode !== null) result.crashes++;
    else result.rssAfterKiB = rssKiB(pid);
    // Still serving: one more report and one more answer after everything.
    if (!result.crashes) {
      const health = await checkerRequest(manager.port, 'GET', '/healthz', ADMIN);
      if (health.status !== 200) result.crashes++;
    }
  } finally {
    await knot?.stop();
    if (manager.child.exitCode !== null && manager.child.exitCode !== 0) result.crashes = Math.max(result.crashes, 1);
    await manager.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return result;
}

export function formatSoak(r: SoakResult): string {
  const amp = Object.entries(r.amplification)
    .map(([k, v]) => `${k} ${v.toFixed(2)}x`)
    .join(', ');
  return [
    `soak: ${r.udpSent} hostile UDP datagrams, ${r.tcpSent} hostile TCP messages, in ${r.seconds.toFixed(1)} s`,
    `crashes: ${r.crashes}`,
    `wrong answers: ${r.wrongAnswers} of ${r.questionsChecked} checked${r.wrongDetails.length ? ` (${r.wrongDetails.join('; ')})` : ''}`,
    `reports lost: ${r.reportsLost} (${r.reportsAcknowledged} acknowledged)`,
    `worst amplification per datagram kind (answer bytes / datagram bytes): ${amp}`,
    `valid answers larger than Knot's for the same question: ${r.largerThanKnot} of ${r.comparedWithKnot} compared`,
    `hostile /24, busiest second: ${r.fullAnswersPerSecondMax} answers with records, ${r.bytesPerSecondMax} bytes in all`,
    `manager RSS: ${r.rssBeforeKiB} KiB before, ${r.rssAfterKiB} KiB after`,
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const count = (key: string, fallback: number) => Number(process.env[key] ?? fallback);
  const result = await runSoak({
    udpPackets: count('SOAK_UDP', 1_000_000),
    tcpMessages: count('SOAK_TCP', 10_000),
    httpAbuse: count('SOAK_HTTP', 2_000),
    reports: count('SOAK_REPORTS', 2_000),
    knot: haveSystemPrograms('knotd'),
    log: console.log,
  });
  console.log(formatSoak(result));
  process.exitCode = result.crashes || result.wrongAnswers || result.reportsLost || result.largerThanKnot ? 1 : 0;
}
