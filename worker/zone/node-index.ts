// The zone's nodes in memory, so that a question the response cache does not hold is answered
// without reading the store. At 1,000,000 nodes nearly every question is such a miss (the cache
// holds 200,000 answers, the query mix names a million nodes), and a node read through the
// prepared SQLite statements cost 60-75 µs there: four B-tree descents into a file much larger
// than SQLite's page cache. From the index it is a map look-up.
//
// The store stays the source of truth. The index is built from it a page at a time, in the
// background, from the first question that reaches it (answers go on meanwhile, through the
// store), and kept current by the zone watch (zone-watch.ts), which follows the store's change
// journal whoever wrote it: each node the journal names is read again; a change the journal does
// not describe (an enrolment, a deletion, an ACME value) has the index built again, and until
// that build completes, and whenever this process has a change the watch has not followed yet,
// questions are answered through the store. Anything that builds a Zone and a ZoneWatch (one per
// serving worker) can build its own index.
import type { Maybe, ZoneNodeRow, ZoneSource } from './answer.ts';
import { NodeTable } from './node-table.ts';
import type { ZoneChange, ZoneWatch } from './zone-watch.ts';

/** Nodes read per page: one statement of a few milliseconds, then the event loop turns. */
const PAGE = 2000;

type IndexableSource = ZoneSource & Required<Pick<ZoneSource, 'nodePage'>>;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * ```ts
 * const index = new NodeIndex(reads, watch);
 * const zone = new Zone(config, index.source());   // answers from memory once index.ready
 * ```
 */
export class NodeIndex {
  readonly #source: IndexableSource;
  readonly #watch: ZoneWatch;
  readonly #onError: ((error: unknown) => void) | undefined;
  /** The complete, current table; undefined while one is being built. */
  #table: NodeTable | undefined;
  /** The table being built, kept current by the journal while its pages are read. */
  #building: NodeTable | undefined;
  /** Moves with every change the journal does not describe: a build from before it is abandoned. */
  #generation = 0;
  /** Nodes being read again through a promise (an asynchronous store): the table waits for them. */
  #pending = 0;
  #started = false;

  constructor(source: IndexableSource, watch: ZoneWatch, onError?: (error: unknown) => void) {
    this.#source = source;
    this.#watch = watch;
    this.#onError = onError;
    watch.onChange((change) => this.#follow(change));
  }

  /**
   * Built on the first question that reaches it, not at once: a responder nobody asks (DoH's on
   * the main thread, beside the DNS worker threads) holds no copy of the zone.
   */
  #start(): void {
    if (this.#started) return;
    this.#started = true;
    void this.#build(this.#generation);
  }

  /** Built, and nothing followed since that it does not hold. */
  get ready(): boolean {
    return this.#table !== undefined && this.#pending === 0;
  }

  /** Nodes in the complete table (0 while building). */
  get size(): number {
    return this.#table?.size ?? 0;
  }

  /**
   * The zone's source, answering node questions from memory whenever the index can. The caller
   * checks the watch before each answer (`watch.check()`, as the responder does): the index is
   * then as current as a read of the store. (Checking here as well was a second read of SQLite's
   * counter per question, a sixth of a miss's time at a million nodes.)
   */
  source(): ZoneSource {
    const source = this.#source;
    const table = () => {
      this.#start();
      return this.#pending === 0 && this.#watch.current ? this.#table : undefined;
    };
    const indexed: ZoneSource = {
      serial: () => source.serial(),
      getNode: (licence, node) => {
        const t = table();
        return t ? t.get(licence, node) : source.getNode(licence, node);
      },
      licenceHasNodes: (licence) => {
        const t = table();
        return t ? t.hasNodes(licence) : source.licenceHasNodes(licence);
      },
    };
    const challenges = source.acmeChallenges?.bind(source);
    if (challenges) indexed.acmeChallenges = challenges;
    return indexed;
  }

  #follow(change: ZoneChange): void {
    if (!this.#started) return;
    if (!change.nodes) {
      this.#table = undefined;
      this.#building = undefined;
      void this.#build(++this.#generation);
      return;
    }
    const generation = this.#generation;
    const seen = new Set<string>();
    for (const { licence, node } of change.nodes) {
      const key = `${licence} ${node}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const apply = (state: Awaited<ReturnType<ZoneSource['getNode']>>) => {
        if (generation !== this.#generation) return;
        for (const table of [this.#table, this.#building]) {
          if (!table) continue;
          if (state) table.set(licence, node, state);
          else table.delete(licence, node);
        }
      };
      const read = this.#read(() => this.#source.getNode(licence, node));
      if (!(read instanceof Promise)) {
        apply(read);
        continue;
      }
      this.#pending++;
      void read.then(apply, (error) => this.#failed(error)).finally(() => this.#pending--);
    }
  }

  /** A node read that fails leaves the table unknowable: it is built again. */
  #read<T>(read: () => Maybe<T>): Maybe<T | undefined> {
    try {
      return read();
    } catch (error) {
      this.#failed(error);
      return undefined;
    }
  }

  #failed(error: unknown): void {
    this.#onError?.(error);
    this.#table = undefined;
    this.#building = undefined;
    void this.#build(++this.#generation);
  }

  async #build(generation: number): Promise<void> {
    // One turn first: a burst of changes (enrolments one after another) starts one build, not many.
    await turn();
    if (generation !== this.#generation || this.#watch.closed) return;
    const table = new NodeTable();
    this.#building = table;
    let after: ZoneNodeRow | undefined;
    try {
      for (;;) {
        const page = await this.#source.nodePage(after, PAGE);
        if (generation !== this.#generation || this.#watch.closed) return;
        for (const row of page) table.set(row.licence, row.node, row);
        if (page.length < PAGE) break;
        after = page.at(-1);
        await turn();
        if (generation !== this.#generation || this.#watch.closed) return;
      }
    } catch (error) {
      // The store closed under the build, or failed: answers go on through it; the next change
      // the journal does not describe tries again.
      if (generation === this.#generation && !this.#watch.closed) this.#onError?.(error);
      if (this.#building === table) this.#building = undefined;
      return;
    }
    this.#building = undefined;
    this.#table = table;
  }
}

/**
 * The source with an index in front when it can list its nodes, else the source itself.
 *
 * ```ts
 * const zone = new Zone(config, indexedSource(reads, watch));
 * ```
 */
export function indexedSource(source: ZoneSource, watch: ZoneWatch, onError?: (error: unknown) => void): ZoneSource {
  return source.nodePage ? new NodeIndex(source as IndexableSource, watch, onError).source() : source;
}
