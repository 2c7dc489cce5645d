// The address poll never overlaps itself, and after failures waits longer, with jitter, from one
// poll to the next. A fake clock drives it: the assertions count polls and read the waits the
// loop chose, never wall time.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PollLoop, pollDelay } from '../../agent/poll-loop.ts';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('PollLoop', () => {
  it('runs one poll at a time when a poll outlasts the interval', async () => {
    let running = 0;
    let most = 0;
    let polls = 0;
    const loop = new PollLoop(
      async () => {
        polls++;
        most = Math.max(most, ++running);
        await sleep(250); // a report retrying against a slow manager: longer than the interval
        running--;
        return true;
      },
      { intervalMs: 100, maxBackoffMs: 1000 },
    );
    const first = loop.start();
    await vi.advanceTimersByTimeAsync(250);
    await first;
    await vi.advanceTimersByTimeAsync(5000);
    const stopped = loop.stop();
    await vi.advanceTimersByTimeAsync(250);
    await stopped;
    expect(most).toBe(1);
    // Each cycle is the poll plus the interval after it: 16 started in 5250 ms, not 53.
    expect(polls).toBe(16);
  });

  it('carries the backoff across failed polls (a throw is one), with jitter, and resets it after a success', async () => {
    const outcomes: (boolean | Error)[] = [false, new Error('detection failed'), false, true, true];
    const startedAt: number[] = [];
    const loop = new PollLoop(
      async () => {
        startedAt.push(Date.now());
        const outcome = outcomes.shift() ?? true;
        if (outcome instanceof Error) throw outcome;
        return outcome;
      },
      { intervalMs: 100, maxBackoffMs: 300, random: () => 0.5 },
    );
    await loop.start();
    await vi.advanceTimersByTimeAsync(2000);
    await loop.stop();
    const waits = startedAt.slice(1).map((t, i) => t - startedAt[i]!);
    // interval + half of min(300, 100·2^(n−1)) after n failures; the interval alone after a success.
    expect(waits.slice(0, 5)).toEqual([150, 200, 250, 100, 100]);
  });

  it('waits the interval, plus full jitter under a ceiling after failures', () => {
    expect(pollDelay(0, { intervalMs: 60_000, maxBackoffMs: 900_000, random: () => 0.999 })).toBe(60_000);
    expect(pollDelay(1, { intervalMs: 60_000, maxBackoffMs: 900_000, random: () => 0.999 })).toBe(60_000 + 59_940);
    expect(pollDelay(10, { intervalMs: 60_000, maxBackoffMs: 900_000, random: () => 0.999 })).toBe(60_000 + 899_100);
  });

  it('starts no poll after stop(), and stop() waits for the one in flight', async () => {
    let polls = 0;
    let finished = 0;
    const loop = new PollLoop(
      async () => {
        polls++;
        await sleep(50);
        finished++;
        return true;
      },
      { intervalMs: 100, maxBackoffMs: 1000 },
    );
    const first = loop.start();
    await vi.advanceTimersByTimeAsync(50);
    await first;
    await vi.advanceTimersByTimeAsync(120); // the second poll is in flight
    expect(polls).toBe(2);
    const stopped = loop.stop();
    await vi.advanceTimersByTimeAsync(50);
    await stopped;
    expect(finished).toBe(2);
    await vi.advanceTimersByTimeAsync(1000);
    expect(polls).toBe(2);
  });
});
