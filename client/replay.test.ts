import { describe, expect, it } from 'vitest';
import { prepareReplay } from './replay.ts';

describe('prepareReplay', () => {
  it.each([
    ['GET', {}, true],
    ['delete', {}, true],
    ['POST', {}, false],
    ['PATCH', {}, false],
    ['POST', { 'Idempotency-Key': 'k1' }, true],
  ] as const)('%s %o → safe to repeat: %s', async (method, headers, safe) => {
    const { safeToRepeat, init } = await prepareReplay(undefined, { method, headers, body: method === 'GET' || method === 'delete' ? undefined : 'x' });
    expect(safeToRepeat).toBe(safe);
    expect(init.method).toBe(method);
  });

  it('a stream body cannot be sent twice, whatever the method or key', async () => {
    const body = new ReadableStream({ start: (c) => c.close() });
    expect((await prepareReplay(undefined, { method: 'PUT', body, headers: { 'Idempotency-Key': 'k' } })).rereadable).toBe(false);
    expect((await prepareReplay(undefined, { method: 'PUT', body: 'x' })).rereadable).toBe(true);
  });

  it("buffers a Request's body and drops the caller's signal from the shared init", async () => {
    const { init } = await prepareReplay(new Request('http://x/', { method: 'PUT', body: 'abc' }), undefined);
    expect(new TextDecoder().decode(init.body as ArrayBuffer)).toBe('abc');
    expect((await prepareReplay(undefined, { signal: new AbortController().signal })).init.signal).toBeUndefined();
  });
});
