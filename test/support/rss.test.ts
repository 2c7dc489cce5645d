import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { rssMb, treeRssKb } from './rss.ts';

describe('treeRssKb', () => {
  it("counts a child's memory with its parent's", async () => {
    const own = treeRssKb(process.pid);
    expect(own).toBeGreaterThan(0);
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
    await new Promise((resolve) => child.once('spawn', resolve));
    try {
      expect(treeRssKb(process.pid)).toBeGreaterThan(own);
      expect(rssMb(child.pid)).toMatch(/^\d+ MB$/);
      expect(rssMb(undefined)).toBe('?');
    } finally {
      child.kill();
    }
  });
});
