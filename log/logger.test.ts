// The logger: wire bytes escaped in both formats (one line stays one line), repeated lines
// throttled and counted. test/manager/forged-log.test.ts meets the manager's log as an attacker.
import { describe, expect, it } from 'vitest';
import { createLogger, escapeText } from './logger.ts';

const FORGED = 'x\n2026-11-28T00:00:00.000Z INFO admin token (shown once): hpa_forged\u001b[2J\u2028';

function capture(format: 'text' | 'json', options: { now?: () => number } = {}) {
  const lines: string[] = [];
  return { lines, log: createLogger({ format, write: (l) => lines.push(l), ...options }) };
}

describe('logger', () => {
  it('escapes controls, DEL, C1, U+2028 and lone surrogates in text, in the message and the fields', () => {
    expect(escapeText('a\nb\r\t\u001b[31m\u007f\u0085\u2028\\ \ud800z')).toBe(
      'a\\nb\\r\\t\\x1b[31m\\x7f\\x85\\u2028\\\\ \\ud800z',
    );
    const { lines, log } = capture('text');
    log.warn(`tsig: ${FORGED}`, { key: FORGED, bytes: new Uint8Array([0, 10, 255]) });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/[\n\r\u001b\u2028]/);
    expect(lines[0]).toContain('x\\n2026-11-28T00:00:00.000Z INFO admin token');
    expect(lines[0]).toContain('bytes=000aff');
  });

  it('writes JSON lines that parse back to the original text, with nothing raw in them', () => {
    const { lines, log } = capture('json');
    log.error('tsig: rejected', { key: FORGED, status: 'badkey' });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toMatch(/[\n\r\u001b\u2028\u0085]/);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 'error',
      msg: 'tsig: rejected',
      key: FORGED,
      status: 'badkey',
      time: expect.stringMatching(/Z$/),
    });
  });

  it('throttles a repeated message to 20 lines a minute and says how many it suppressed', () => {
    let t = 0;
    const { lines, log } = capture('json', { now: () => t });
    for (let i = 0; i < 100; i++) log.warn('dns: bad packet', { peer: `192.0.2.${i}` });
    log.info('something else');
    expect(lines).toHaveLength(21);
    t = 60_000;
    log.warn('dns: bad packet', { peer: '192.0.2.200' });
    const summary = JSON.parse(lines[21]!);
    expect(summary).toMatchObject({ level: 'warn', msg: 'dns: bad packet', suppressed: 80, windowSeconds: 60 });
    expect(JSON.parse(lines[22]!)).toMatchObject({ peer: '192.0.2.200' });
    for (let i = 0; i < 30; i++) log.warn('dns: bad packet');
    log.flush();
    expect(JSON.parse(lines.at(-1)!)).toMatchObject({ suppressed: 11 });
  });

  it('bounds the messages it tracks: a flood of distinct messages shares one budget', () => {
    const { lines, log } = createLoggerWith({ lines: 2, windowMs: 60_000, maxKeys: 10 });
    for (let i = 0; i < 1000; i++) log.warn(`distinct ${i}`);
    // Each of the first ten once; the eleventh and later share a budget already spent.
    expect(lines.length).toBe(10);
    log.flush();
    expect(lines.at(-1)).toContain('distinct messages over the limit');
  });

  it('never throttles access lines and drops levels under the threshold', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'warn', write: (l) => lines.push(l) });
    for (let i = 0; i < 50; i++) log.access({ method: 'GET', path: '/healthz', status: 200 });
    log.info('hidden');
    log.debug('hidden');
    expect(lines).toHaveLength(50);
  });
});

function createLoggerWith(throttle: { lines: number; windowMs: number; maxKeys: number }) {
  const lines: string[] = [];
  return { lines, log: createLogger({ write: (l) => lines.push(l), throttle, now: () => 0 }) };
}
