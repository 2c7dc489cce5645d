import { describe, expect, it } from 'vitest';
import { raceWithDelay } from './race.ts';

const after =
  <T>(ms: number, value: T, fail = false) =>
  (signal: AbortSignal) =>
    new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => (fail ? reject(value) : resolve(value)), ms);
      signal.addEventListener('abort', () => {
        clearTimeout(t);
        reject(signal.reason);
      });
    });

describe('raceWithDelay', () => {
  it('the first attempt wins when it answers within the delay; the second never starts', async () => {
    let started = 0;
    const second = (s: AbortSignal) => {
      started++;
      return after(1, 'b')(s);
    };
    expect(await raceWithDelay([after(10, 'a'), second], 100)).toEqual({ index: 0, value: 'a' });
    expect(started).toBe(0);
  });

  it('starts the second after the delay and keeps the first to answer, aborting the other', async () => {
    let aborted = false;
    const slow = (s: AbortSignal) => {
      s.addEventListener('abort', () => {
        aborted = true;
      });
      return after(5_000, 'a')(s);
    };
    const t0 = performance.now();
    expect(await raceWithDelay([slow, after(10, 'b')], 50)).toEqual({ index: 1, value: 'b' });
    expect(performance.now() - t0).toBeLessThan(500);
    expect(aborted).toBe(true);
  });

  it('a fast failure starts the next at once, without waiting the delay', async () => {
    const t0 = performance.now();
    expect(await raceWithDelay([after(5, 'refused', true), after(5, 'b')], 1_000)).toEqual({ index: 1, value: 'b' });
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('rejects with every failure in attempt order', async () => {
    const error = await raceWithDelay([after(20, 'x', true), after(1, 'y', true)], 5).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual(['x', 'y']);
  });

  it("rejects with the caller's abort reason", async () => {
    const controller = new AbortController();
    const reason = new Error('mine');
    setTimeout(() => controller.abort(reason), 10);
    await expect(raceWithDelay([after(1_000, 'a'), after(1_000, 'b')], 5, controller.signal)).rejects.toBe(reason);
  });
});
