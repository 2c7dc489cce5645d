import { describe, expect, it } from 'vitest';
import type { JournalRow } from '../store/store.ts';
import type { ZoneNodeRow, ZoneSource } from './answer.ts';
import { indexedSource, NodeIndex } from './node-index.ts';
import { ZoneWatch } from './zone-watch.ts';

const at = (privateIpv4: string): ZoneNodeRow['addresses'] => ({
  privateIpv4,
  privateIpv6: null,
  publicIpv4: null,
  publicIpv6: null,
});

/**
 * A store in memory with a journal and a commit counter, read synchronously as the SQLite reads
 * are, counting the node reads that reach it.
 */
function memoryStore(count: number) {
  const nodes = new Map<string, ZoneNodeRow>();
  for (let i = 0; i < count; i++)
    nodes.set(`1234 nur${i}`, { licence: '1234', node: `nur${i}`, addresses: at(`10.0.0.${i % 250}`) });
  let serial = 1;
  let version = 0;
  const rows: JournalRow[] = [];
  const reads = { nodes: 0, pages: 0 };
  const key = (n: { licence: string; node: string }) => `${n.licence} ${n.node}`;
  const sorted = () => [...nodes.values()].sort((a, b) => (key(a) < key(b) ? -1 : 1));
  const source: ZoneSource & Required<Pick<ZoneSource, 'nodePage'>> = {
    serial: () => serial,
    getNode: (licence, node) => {
      reads.nodes++;
      return nodes.get(`${licence} ${node}`);
    },
    licenceHasNodes: (licence) => [...nodes.values()].some((n) => n.licence === licence),
    nodePage: (after, limit) => {
      reads.pages++;
      return sorted()
        .filter((n) => !after || key(n) > key(after))
        .slice(0, limit);
    },
  };
  const journal = {
    serial: () => serial,
    journal: (from: number, to: number) => rows.filter((r) => r.serial > from && r.serial <= to),
  };
  return {
    source,
    journal,
    reads,
    version: () => version,
    /** An address change: a journal row. */
    report(node: string, address: string) {
      nodes.set(`1234 ${node}`, { licence: '1234', node, addresses: at(address) });
      rows.push({ serial: ++serial, licence: '1234', node });
      version++;
    },
    /** An enrolment: a serial step the journal does not describe. */
    enrol(licence: string, node: string) {
      nodes.set(`${licence} ${node}`, { licence, node, addresses: undefined });
      serial++;
      version++;
    },
  };
}

/** Asks once (the index is built from its first question), then waits until it is built. */
async function ready(index: NodeIndex): Promise<void> {
  index.source().getNode('0', '0');
  while (!index.ready) await new Promise((resolve) => setImmediate(resolve));
}

describe('NodeIndex', () => {
  it('is built in pages from the store, then answers without reading it', async () => {
    const store = memoryStore(4500);
    const watch = await ZoneWatch.start({ journal: store.journal, version: store.version });
    const index = new NodeIndex(store.source, watch);
    // Nothing is read before a question comes: a responder nobody asks holds no copy of the zone.
    for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(store.reads.pages).toBe(0);
    const source = index.source();
    // Until it is built, the store answers.
    expect(source.getNode('1234', 'nur7')).toEqual(store.source.getNode('1234', 'nur7'));
    await ready(index);
    expect(index.size).toBe(4500);
    const before = store.reads.nodes;
    expect(source.getNode('1234', 'nur4499')).toEqual({ addresses: at('10.0.0.249') });
    expect(source.getNode('1234', 'nur4500')).toBeUndefined();
    expect(source.licenceHasNodes('1234')).toBe(true);
    expect(source.licenceHasNodes('9999')).toBe(false);
    expect(store.reads.nodes).toBe(before);
  });

  it('reads again each node the journal names, and nothing else', async () => {
    const store = memoryStore(10);
    const watch = await ZoneWatch.start({ journal: store.journal, version: store.version });
    const index = new NodeIndex(store.source, watch);
    await ready(index);
    const source = index.source();
    store.report('nur3', '10.9.9.9');
    store.report('nur3', '10.9.9.8');
    const before = store.reads.nodes;
    watch.check();
    expect(store.reads.nodes).toBe(before + 1);
    expect(index.ready).toBe(true);
    expect(source.getNode('1234', 'nur3')).toEqual({ addresses: at('10.9.9.8') });
    // A node that reports for the first time after the build is in the journal too.
    store.report('nur77', '10.7.7.7');
    watch.check();
    expect(source.getNode('1234', 'nur77')).toEqual({ addresses: at('10.7.7.7') });
  });

  it('answers through the store while it is built again after a change the journal does not describe', async () => {
    const store = memoryStore(10);
    const watch = await ZoneWatch.start({ journal: store.journal, version: store.version });
    const index = new NodeIndex(store.source, watch);
    await ready(index);
    const source = index.source();
    store.enrol('5678', 'nur1');
    watch.check();
    expect(index.ready).toBe(false);
    expect(source.getNode('5678', 'nur1')).toEqual({ licence: '5678', node: 'nur1', addresses: undefined });
    expect(source.licenceHasNodes('5678')).toBe(true);
    // A report while it is built is in the table it builds.
    store.report('nur2', '10.2.2.2');
    watch.check();
    await ready(index);
    const before = store.reads.nodes;
    expect(source.getNode('5678', 'nur1')).toEqual({ addresses: undefined });
    expect(source.getNode('1234', 'nur2')).toEqual({ addresses: at('10.2.2.2') });
    expect(store.reads.nodes).toBe(before);
  });

  it('stops building once the watch is closed, and leaves a source that cannot list its nodes as it is', async () => {
    const store = memoryStore(3);
    const watch = await ZoneWatch.start({ journal: store.journal, version: store.version });
    const index = new NodeIndex(store.source, watch);
    index.source().getNode('0', '0');
    watch.close();
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(index.ready).toBe(false);
    const { nodePage: _, ...unlisted } = store.source;
    expect(indexedSource(unlisted, watch)).toBe(unlisted);
  });
});
