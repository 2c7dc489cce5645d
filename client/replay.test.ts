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
    const { safeToRepeat, init } = await prepareReplay(undefined, {
      method,
      headers,
      body: method === 'GET' || method === 'delete' ? undefined : 'x',
    });
    expect(safeToRepeat).toBe(safe);
    expect(init.method).toBe(method);
  });

  it('a stream body cannot be sent twice, whatever the method or key', async () => {
    const body = new ReadableStream({ start: (c) => c.close() });
    expect(
      (await prepareReplay(undefined, { method: 'PUT', body, headers: { 'Idempotency-Key': 'k' } })).rereadable,
    ).toBe(false);
    expect((await prepareReplay(undefined, { method: 'PUT', body: 'x' })).rereadable).toBe(true);
  });

  it('only the body types fetch reads without consuming are rereadable', async () => {
    const rereadable = (body: unknown) =>
      prepareReplay(undefined, { method: 'PUT', body: body as BodyInit }).then((r) => r.rereadable);
    for (const body of [
      undefined,
      null,
      'x',
      new Uint8Array([1]),
      new ArrayBuffer(1),
      new Blob(['x']),
      new URLSearchParams('a=1'),
      new FormData(),
    ]) {
      expect(await rereadable(body), String(body)).toBe(true);
    }
    // What Node's fetch accepts beyond the standard: read once, like a stream.
    async function* chunks() {
      yield new Uint8Array([1]);
    }
    expect(await rereadable(chunks())).toBe(false);
    const { Readable } = await import('node:stream');
    expect(await rereadable(Readable.from(['x']))).toBe(false);
  });

  it("buffers a Request's body and drops the caller's signal from the shared init", async () => {
    const { init } = await prepareReplay(new Request('http://x/', { method: 'PUT', body: 'abc' }), undefined);
    expect(new TextDecoder().decode(init.body as ArrayBuffer)).toBe('abc');
    expect((await prepareReplay(undefined, { signal: new AbortController().signal })).init.signal).toBeUndefined();
  });
});
