// The manager's log lines to stdout, written together once per turn of the event loop. stdout is
// synchronous on Linux for files and pipes, so a line per HTTP request (the access log) cost a
// write(2) and console.log's machinery each: a fifth of the CPU time of a cached DoH answer.
// No line is dropped: what is pending when the process exits is written then.
import process from 'node:process';

/** Every writer's flush, run by one exit listener (a process may start many managers: tests). */
const atExit = new Set<() => void>();
process.on('exit', () => {
  for (const flush of atExit) flush();
});

/**
 * ```ts
 * const logger = loggerFromEnv(env, stdoutLines());
 * ```
 */
export function stdoutLines(out: { write(text: string): unknown } = process.stdout): (line: string) => void {
  let pending: string[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending.length === 0) return;
    const text = `${pending.join('\n')}\n`;
    pending = [];
    out.write(text);
  };
  atExit.add(flush);
  return (line) => {
    pending.push(line);
    if (scheduled) return;
    scheduled = true;
    setImmediate(flush);
  };
}
