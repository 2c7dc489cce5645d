// NOTIFY (RFC 1996) to the secondaries after the serial moves, over UDP, so Knot, NSD or BIND
// refresh at once instead of at the SOA refresh timer. Node only (node:dgram): the Workers
// deployment publishes through a provider API instead (worker/publish/).
import { createSocket, type Socket } from 'node:dgram';
import {
  type DnsMessage,
  type DnsRecord,
  decodeMessage,
  encodeMessage,
  FLAG_AA,
  fullRcode,
  headerOpcode,
} from '../../dns/message.ts';
import { Opcode, Rcode, rcodeName } from '../../dns/rcode.ts';
import { DnsFormatError, HEADER_LENGTH, peekId } from '../../dns/wire.ts';
import type { Metrics } from '../metrics.ts';
import type { Secondary } from './config.ts';
import { signMessage, TsigFormatError, type TsigKey, verifyMessage } from './tsig.ts';

export interface NotifierOptions {
  secondaries: readonly Secondary[];
  key: TsigKey | undefined;
  /** The zone's SOA now (its serial is what we announce). */
  soa(): Promise<DnsRecord>;
  /** After a NOTIFY round, changes within this window go out as one more at its end (a burst of reports). */
  debounceMs?: number;
  /** Sends per secondary and change before giving up (RFC 1996 §3.6 asks for retransmission). */
  attempts?: number;
  /** Wait for the first answer; doubled for each retry. */
  timeoutMs?: number;
  /**
   * Backstop for changes nobody signalled (another manager on the same database), and the retry
   * of a serial a secondary left unanswered: poll the serial this often.
   */
  pollMs?: number;
  log?: (line: string) => void;
  /** Counts each secondary's outcome for /metrics. */
  metrics?: Metrics;
}

export type NotifyOutcome = {
  secondary: Secondary;
  serial: number;
  status: 'acknowledged' | 'rejected' | 'unanswered' | 'failed' | 'superseded';
  attempts: number;
  rcode?: string;
};

/** One secondary's NOTIFY of one serial: in progress (no status yet) or over. */
interface Announcement {
  serial: number;
  status?: NotifyOutcome['status'];
}

/** Outcomes after which the serial is announced again on the next round (the poll, a change). */
const RETRIED: ReadonlySet<NotifyOutcome['status'] | undefined> = new Set(['unanswered', 'failed']);

/** An answer that decoded; undecodable datagrams never get this far. */
interface Reply {
  wire: Uint8Array;
  message: DnsMessage;
}

const secondaryKey = (s: Secondary) => `${s.address}|${s.port}`;

/**
 * ```ts
 * const notifier = new Notifier({ secondaries, key, soa: async () => soaRecord(config, await store.serial()) });
 * notifier.zoneChanged(); // after a report: one NOTIFY per secondary, debounced, retried
 * await notifier.close();
 * ```
 */
export class Notifier {
  readonly #options: Required<Omit<NotifierOptions, 'key' | 'metrics'>> & Pick<NotifierOptions, 'key' | 'metrics'>;
  readonly #sockets = new Map<'udp4' | 'udp6', Socket>();
  readonly #waiting = new Map<string, (reply: Reply | undefined) => void>();
  /** Per secondary (secondaryKey), the latest serial announced to it: a newer one supersedes it. */
  readonly #announced = new Map<string, Announcement>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** A change came while #timer was set: one more round when it fires. */
  #again = false;
  #poll: ReturnType<typeof setInterval> | undefined;
  #closed = false;
  /** Resolves when the round in progress (if any) is over; tests and the benchmark await it. */
  settled: Promise<NotifyOutcome[]> = Promise.resolve([]);

  constructor(options: NotifierOptions) {
    this.#options = { debounceMs: 20, attempts: 5, timeoutMs: 1000, pollMs: 5000, log: () => {}, ...options };
    if (this.#options.secondaries.length > 0 && this.#options.pollMs > 0) {
      this.#poll = setInterval(() => this.zoneChanged(), this.#options.pollMs);
      this.#poll.unref();
    }
  }

  /**
   * The zone may have changed: NOTIFY each secondary that has not had this serial yet, or whose
   * last NOTIFY went unanswered or failed (so the poll retries it). A change after a quiet spell
   * goes out at once (after this turn of the event loop, so the changes of one turn are one
   * NOTIFY); the round is followed by `debounceMs` of quiet in which further changes wait for one
   * round at its end. So a lone report is announced without delay, a burst is two NOTIFYs, and a
   * steady stream gets at most one every `debounceMs` (each round reads the serial when it runs).
   */
  zoneChanged(): void {
    if (this.#closed || this.#options.secondaries.length === 0) return;
    if (this.#timer) {
      this.#again = true;
      return;
    }
    this.#timer = setTimeout(() => this.#run(), 0);
    this.#timer.unref();
  }

  /** A round now, then the quiet spell. */
  #run(): void {
    this.#again = false;
    this.settled = this.#round().catch((e) => {
      this.#options.log(`notify: ${(e as Error).message}`);
      return [];
    });
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      if (this.#again) this.#run();
    }, this.#options.debounceMs);
    this.#timer.unref();
  }

  async #round(): Promise<NotifyOutcome[]> {
    const soa = await this.#options.soa();
    const serial = soa.type === 'SOA' ? (soa.data.serial ?? 0) : 0;
    const due = this.#options.secondaries.filter((s) => {
      const last = this.#announced.get(secondaryKey(s));
      return !last || last.serial !== serial || RETRIED.has(last.status);
    });
    // Each secondary on its own: one that throws (a send or signing error) leaves the others be.
    return Promise.all(
      due.map(async (secondary) => {
        const announcement: Announcement = { serial };
        this.#announced.set(secondaryKey(secondary), announcement);
        const outcome = await this.#notify(secondary, soa, announcement).catch((e: unknown): NotifyOutcome => {
          this.#options.log(`notify: ${secondary.address}:${secondary.port}: ${(e as Error).message}`);
          return { secondary, serial, status: 'failed', attempts: 0 };
        });
        announcement.status = outcome.status;
        this.#options.metrics?.notify(outcome.status);
        return outcome;
      }),
    );
  }

  /** Whether a reply carries a valid signature answering ours (a malformed TSIG does not). */
  async #verified(reply: Reply, requestMac: Uint8Array): Promise<boolean> {
    try {
      return (await verifyMessage(reply.wire, [this.#options.key!], { priorMac: requestMac })).status === 'ok';
    } catch (e) {
      if (e instanceof TsigFormatError) return false;
      throw e;
    }
  }

  async #notify(secondary: Secondary, soa: DnsRecord, announcement: Announcement): Promise<NotifyOutcome> {
    const { attempts, timeoutMs, key, log } = this.#options;
    const { serial } = announcement;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (this.#closed || this.#announced.get(secondaryKey(secondary)) !== announcement)
        return { secondary, serial, status: 'superseded', attempts: attempt - 1 };
      const id = Math.floor(Math.random() * 65536);
      // RFC 1996 §3.7: the SOA in the answer section is a hint of the new serial.
      const message = encodeMessage({
        id,
        type: 'query',
        flags: (Opcode.NOTIFY << 11) | FLAG_AA,
        questions: [{ name: soa.name, type: 'SOA', class: 'IN' }],
        answers: [soa],
      });
      const signed = key ? await signMessage(message, key) : undefined;
      const reply = await this.#exchange(secondary, id, signed?.wire ?? message, timeoutMs * 2 ** (attempt - 1));
      if (!reply) continue;
      if (key && !(await this.#verified(reply, signed!.mac))) {
        log(`notify: unverifiable answer from ${secondary.address}:${secondary.port}, retrying`);
        continue;
      }
      if (headerOpcode(reply.message) !== Opcode.NOTIFY) continue;
      const rcode = fullRcode(reply.message);
      if (rcode === Rcode.NOERROR) return { secondary, serial, status: 'acknowledged', attempts: attempt };
      log(`notify: ${secondary.address}:${secondary.port} answered ${rcodeName(rcode)} for serial ${serial}`);
      return { secondary, serial, status: 'rejected', attempts: attempt, rcode: rcodeName(rcode) };
    }
    log(
      `notify: no answer from ${secondary.address}:${secondary.port} for serial ${serial} after ${attempts} attempts`,
    );
    return { secondary, serial, status: 'unanswered', attempts };
  }

  async #socket(family: 'udp4' | 'udp6'): Promise<Socket> {
    let socket = this.#sockets.get(family);
    if (!socket) {
      socket = createSocket(family);
      socket.on('message', (wire, peer) => {
        if (wire.byteLength < HEADER_LENGTH) return;
        const waiting = this.#waiting.get(`${peer.address}|${peer.port}|${peekId(wire)}`);
        if (!waiting) return;
        let message: DnsMessage;
        try {
          message = decodeMessage(wire);
        } catch (e) {
          if (!(e instanceof DnsFormatError)) throw e;
          // Dropped as if lost (anyone can send a datagram with the right address, port and ID):
          // the real answer may still come, else the attempt times out and is retried.
          this.#options.log(`notify: malformed answer from ${peer.address}:${peer.port}, ignored`);
          return;
        }
        waiting({ wire, message });
      });
      socket.on('error', (e) => this.#options.log(`notify: ${e.message}`));
      this.#sockets.set(family, socket);
      const s = socket;
      await new Promise<void>((resolve) => s.bind(0, resolve));
      socket.unref();
    }
    return socket;
  }

  async #exchange(secondary: Secondary, id: number, wire: Uint8Array, timeoutMs: number): Promise<Reply | undefined> {
    if (this.#closed) return undefined;
    const socket = await this.#socket(secondary.address.includes(':') ? 'udp6' : 'udp4');
    const key = `${secondary.address}|${secondary.port}|${id}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const done = (reply: Reply | undefined) => {
        clearTimeout(timer);
        this.#waiting.delete(key);
        resolve(reply);
      };
      this.#waiting.set(key, done);
      socket.send(wire, secondary.port, secondary.address, (e) => e && done(undefined));
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#poll);
    for (const done of [...this.#waiting.values()]) done(undefined);
    await this.settled;
    await Promise.all([...this.#sockets.values()].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
