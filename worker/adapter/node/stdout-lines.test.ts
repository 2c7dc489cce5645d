import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stdoutLines } from './stdout-lines.ts';

describe('stdoutLines', () => {
  it('writes the lines of one turn of the event loop together, in order, at the next turn', async () => {
    const writes: string[] = [];
    const write = stdoutLines({ write: (text: string) => writes.push(text) });
    write('one');
    write('two');
    expect(writes).toEqual([]);
    await new Promise((r) => setImmediate(r));
    write('three');
    await new Promise((r) => setImmediate(r));
    expect(writes).toEqual(['one\ntwo\n', 'three\n']);
  });

  it('writes what is pending when the process exits', () => {
    const module = fileURLToPath(new URL('./stdout-lines.ts', import.meta.url));
    const child = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { stdoutLines } = await import(${JSON.stringify(module)}); const w = stdoutLines(); w('a'); w('b'); process.exit(3);`,
      ],
      { encoding: 'utf8' },
    );
    expect(child.status).toBe(3);
    expect(child.stdout).toBe('a\nb\n');
  });
});
