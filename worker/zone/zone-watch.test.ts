import { describe, expect, it } from 'vitest';
import type { JournalRow } from '../store/store.ts';
import { journalSteps, type ZoneChange, type ZoneJournal, ZoneWatch } from './zone-watch.ts';

const row = (serial: number, node = `nur${serial}`): JournalRow => ({ serial, licence: '1234', node });

/** A journal in memory: `commit` adds a step with a row (an address change) or without (an enrolment). */
function memoryJournal(start = 1) {
  let serial = start;
  const rows: JournalRow[] = [];
  let version = 0;
  const journal: ZoneJournal = {
    serial: () => serial,
    journal: (from, to) => rows.filter((r) => (from < to ? r.serial > from && r.serial <= to : r.serial > from)),
  };
  return {
    journal,
    version: () => version,
    commit(node?: string) {
      serial++;
      version++;
      if (node) rows.push(row(serial, node));
    },
    /** A commit that moves no serial (an unchanged report's reported_at, a probe report). */
    touch() {
      version++;
    },
  };
}

describe('journalSteps', () => {
  it('orders the rows round the serial circle and needs one per step', () => {
    expect(journalSteps(5, 7, [row(7), row(6)])?.map((r) => r.serial)).toEqual([6, 7]);
    expect(journalSteps(5, 7, [row(7)])).toBeUndefined();
    expect(journalSteps(4294967294, 1, [row(1), row(4294967295)])?.map((r) => r.serial)).toEqual([4294967295, 1]);
    expect(journalSteps(5, 5, [])).toEqual([]);
  });
});

describe('ZoneWatch', () => {
  it('follows commits by the version counter: the nodes a step changed, "anything" for a step with no row', async () => {
    const store = memoryJournal();
    const watch = await ZoneWatch.start({ journal: store.journal, version: store.version });
    const changes: ZoneChange[] = [];
    watch.onChange((c) => changes.push(c));
    watch.check();
    expect(changes).toEqual([]);
    store.commit('nur1');
    store.commit('nur2');
    watch.check();
    expect(changes).toEqual([{ serial: 3, nodes: [row(2, 'nur1'), row(3, 'nur2')] }]);
    store.touch();
    watch.check();
    expect(changes).toHaveLength(1);
    store.commit();
    watch.check();
    expect(changes.at(-1)).toEqual({ serial: 4, nodes: undefined });
    expect(watch.serial).toBe(4);
  });

  it("without a counter, this process's change holds the cache off until the journal is followed", async () => {
    const store = memoryJournal();
    let release: (() => void) | undefined;
    let gate: Promise<void> | undefined;
    const watch = await ZoneWatch.start({
      journal: {
        serial: async () => {
          await gate;
          return store.journal.serial();
        },
        journal: async (from, to) => store.journal.journal(from, to),
      },
    });
    gate = new Promise<void>((r) => (release = r));
    const changes: ZoneChange[] = [];
    watch.onChange((c) => changes.push(c));
    store.commit('nur1');
    const epoch = watch.epoch;
    watch.changed();
    expect(watch.current).toBe(false);
    expect(watch.epoch).not.toBe(epoch);
    release!();
    await watch.refresh();
    expect(watch.current).toBe(true);
    expect(changes).toEqual([{ serial: 2, nodes: [row(2, 'nur1')] }]);
  });

  it('a failed read drops everything and is tried again at the next check', async () => {
    const store = memoryJournal();
    let fail = false;
    const errors: unknown[] = [];
    const watch = await ZoneWatch.start({
      journal: {
        serial: () => {
          if (fail) throw new Error('disk gone');
          return store.journal.serial();
        },
        journal: store.journal.journal,
      },
      version: store.version,
      onError: (e) => errors.push(e),
    });
    const changes: ZoneChange[] = [];
    watch.onChange((c) => changes.push(c));
    fail = true;
    store.commit('nur1');
    watch.check();
    expect(changes).toEqual([{ serial: 1, nodes: undefined }]);
    expect(errors).toHaveLength(1);
    fail = false;
    watch.check();
    expect(changes.at(-1)).toEqual({ serial: 2, nodes: [row(2, 'nur1')] });
  });
});
