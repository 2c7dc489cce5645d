// Many streams over one node's WebSocket, with per-stream flow control: a sender may have at
// most `window` bytes unread on the other side, and the receiver grants more only as its
// consumer reads (HTTP/2's scheme, RFC 9113 §5.2, reduced to one window per stream). One slow
// phone therefore never makes the manager or the node buffer more than a window per stream,
// and one stream cannot starve the others. Web-standard only: the Node manager, the Workers
// Durable Object and the agent all run this same module.
import {
  creditPayload,
  decodeFrame,
  encodeFrame,
  FrameType,
  type HeadFrame,
  jsonPayload,
  MAX_FRAME,
  type OpenFrame,
  RelayProtocolError,
  readCredit,
  readJson,
  readText,
  textPayload,
} from './frames.ts';

/** Where frames go: the WebSocket's `send`. */
export type FrameSink = (frame: Uint8Array) => void;

export interface MuxOptions {
  /** Unread bytes a sender may have outstanding per stream (default 256 KiB). */
  window?: number;
  /**
   * Waited on before each chunk is sent and before each received chunk is handed on (and so
   * before its credit goes back): the manager's per-node bandwidth cap.
   */
  pace?: (bytes: number) => Promise<void>;
  /** Node side: a stream the manager opened. Without it, opens are refused. */
  onOpen?: (stream: RelayStream, open: OpenFrame) => void;
  /** Node side: streams open at once beyond which an open is refused (default 256). */
  maxStreams?: number;
}

const DEFAULT_WINDOW = 256 * 1024;
const MAX_CHUNK = MAX_FRAME - 5;

export class StreamReset extends Error {
  static code = 'ERR_RELAY_STREAM_RESET';
  code = StreamReset.code;
}

/** One stream: bytes both ways, and for HTTP streams the response head. */
export class RelayStream {
  readonly id: number;
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  /** HTTP streams, manager side: the node's response head (rejects if reset first). */
  readonly head: Promise<HeadFrame>;
  /** Settles when the stream is over both ways (ended or reset). */
  readonly done: Promise<void>;

  #mux: RelayMux;
  #queue: Uint8Array[] = [];
  #received = 0;
  #ended = false;
  #sentEnd = false;
  #error: Error | undefined;
  #over = false;
  #wake: (() => void) | undefined;
  #credit: number;
  #creditWaiter: (() => void) | undefined;
  #resolveHead!: (head: HeadFrame) => void;
  #rejectHead!: (error: Error) => void;
  #finish!: () => void;

  constructor(mux: RelayMux, id: number, window: number) {
    this.#mux = mux;
    this.id = id;
    this.#credit = window;
    this.head = new Promise((resolve, reject) => {
      this.#resolveHead = resolve;
      this.#rejectHead = reject;
    });
    this.head.catch(() => {});
    this.done = new Promise((resolve) => (this.#finish = resolve));
    this.readable = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          while (this.#queue.length === 0 && !this.#ended && !this.#error)
            await new Promise<void>((wake) => (this.#wake = wake));
          const chunk = this.#queue.shift();
          if (chunk) {
            await mux.pace(chunk.byteLength);
            controller.enqueue(chunk);
            this.#received -= chunk.byteLength;
            if (!this.#error) mux.send(FrameType.credit, id, creditPayload(chunk.byteLength));
          } else if (this.#error) {
            controller.error(this.#error);
          } else {
            controller.close();
            this.#settle();
          }
        },
        cancel: (reason) => this.reset(String(reason ?? 'cancelled')),
      },
      { highWaterMark: 0 },
    );
    this.writable = new WritableStream<Uint8Array>({
      write: async (chunk) => {
        for (let at = 0; at < chunk.byteLength; ) {
          await this.#creditAvailable();
          const n = Math.min(chunk.byteLength - at, this.#credit, MAX_CHUNK);
          await mux.pace(n);
          if (this.#error) throw this.#error;
          this.#credit -= n;
          mux.send(FrameType.data, id, chunk.subarray(at, at + n));
          at += n;
        }
      },
      close: () => {
        if (this.#error) throw this.#error;
        this.#sentEnd = true;
        mux.send(FrameType.end, id);
        this.#settle();
      },
      abort: (reason) => this.reset(String(reason ?? 'aborted')),
    });
  }

  /** Node side, HTTP streams: the response head, before the body. */
  sendHead(head: HeadFrame): void {
    if (!this.#error) this.#mux.send(FrameType.head, this.id, jsonPayload(head));
  }

  /** Kill the stream both ways and tell the other side. */
  reset(reason: string): void {
    if (this.#error || this.#over) return;
    this.#mux.send(FrameType.reset, this.id, textPayload(reason));
    this.fail(new StreamReset(reason));
  }

  /** Local end of the stream (the socket died, or the other side reset it). */
  fail(error: Error): void {
    if (this.#error || this.#over) return;
    this.#error = error;
    this.#queue = [];
    this.#rejectHead(error);
    this.#wake?.();
    this.#creditWaiter?.();
    this.#mux.forget(this.id);
    this.#finish();
  }

  /** @internal frames for this stream, from the mux. */
  receive(type: FrameType, payload: Uint8Array): void {
    if (this.#error) return;
    switch (type) {
      case FrameType.data:
        this.#received += payload.byteLength;
        if (this.#ended || this.#received > this.#mux.window) return this.reset('data beyond the granted window');
        // The payload views the WebSocket's message buffer: keep a copy of our own.
        this.#queue.push(payload.slice());
        break;
      case FrameType.end:
        this.#ended = true;
        break;
      case FrameType.credit:
        this.#credit += readCredit(payload);
        this.#creditWaiter?.();
        return;
      case FrameType.head:
        this.#resolveHead(readJson<HeadFrame>(payload));
        return;
      case FrameType.reset:
        this.fail(new StreamReset(`reset by the other side: ${readText(payload).slice(0, 200)}`));
        return;
      default:
        return this.reset(`unexpected frame type ${type}`);
    }
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #creditAvailable(): Promise<void> {
    while (this.#credit <= 0 && !this.#error) await new Promise<void>((resolve) => (this.#creditWaiter = resolve));
    this.#creditWaiter = undefined;
    if (this.#error) throw this.#error;
  }

  #settle(): void {
    if (this.#sentEnd && this.#ended && this.#queue.length === 0) {
      this.#over = true;
      this.#mux.forget(this.id);
      this.#finish();
    }
  }
}

/**
 * One end of a node's relay socket.
 *
 * ```ts
 * const mux = new RelayMux((frame) => socket.send(frame));
 * socket.onmessage = (e) => mux.receive(e.data);
 * const stream = mux.open({ mode: 'tls' });
 * ```
 */
export class RelayMux {
  readonly window: number;
  readonly #send: FrameSink;
  readonly #pace: ((bytes: number) => Promise<void>) | undefined;
  readonly #onOpen: MuxOptions['onOpen'];
  readonly #maxStreams: number;
  readonly #streams = new Map<number, RelayStream>();
  #nextId = 1;
  #closed: Error | undefined;

  constructor(send: FrameSink, options: MuxOptions = {}) {
    this.#send = send;
    this.window = options.window ?? DEFAULT_WINDOW;
    this.#pace = options.pace;
    this.#onOpen = options.onOpen;
    this.#maxStreams = options.maxStreams ?? 256;
  }

  /** Streams open now. */
  get size(): number {
    return this.#streams.size;
  }

  /** Manager side: open a stream to the node. */
  open(open: OpenFrame): RelayStream {
    if (this.#closed) throw this.#closed;
    const id = this.#nextId;
    this.#nextId = this.#nextId >= 0xffff_fffe ? 1 : this.#nextId + 1;
    const stream = new RelayStream(this, id, this.window);
    this.#streams.set(id, stream);
    this.send(FrameType.open, id, jsonPayload(open));
    return stream;
  }

  /** One WebSocket message. Text messages are the caller's (heartbeats); a malformed frame throws. */
  receive(message: ArrayBuffer | Uint8Array): void {
    const frame = decodeFrame(message);
    if (frame.type === FrameType.open) return this.#opened(frame.stream, frame.payload);
    // Frames for a stream already forgotten (reset crossing in flight) are dropped.
    this.#streams.get(frame.stream)?.receive(frame.type, frame.payload);
  }

  /** The socket is gone: every stream fails. */
  close(reason: string): void {
    this.#closed = new StreamReset(reason);
    for (const stream of [...this.#streams.values()]) stream.fail(this.#closed);
  }

  /** @internal */
  send(type: FrameType, stream: number, payload?: Uint8Array): void {
    if (this.#closed) return;
    this.#send(encodeFrame(type, stream, payload));
  }

  /** @internal */
  pace(bytes: number): Promise<void> {
    return this.#pace ? this.#pace(bytes) : Promise.resolve();
  }

  /** @internal */
  forget(id: number): void {
    this.#streams.delete(id);
  }

  #opened(id: number, payload: Uint8Array): void {
    if (!this.#onOpen) throw new RelayProtocolError('this side does not accept streams');
    if (this.#streams.has(id) || this.#streams.size >= this.#maxStreams) {
      this.send(FrameType.reset, id, textPayload(this.#streams.has(id) ? 'stream id in use' : 'too many streams'));
      return;
    }
    const stream = new RelayStream(this, id, this.window);
    this.#streams.set(id, stream);
    let open: OpenFrame;
    try {
      open = readJson<OpenFrame>(payload);
    } catch (e) {
      stream.reset((e as Error).message);
      return;
    }
    this.#onOpen(stream, open);
  }
}
