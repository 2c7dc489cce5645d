import { describe, expect, it } from 'vitest';
import { fnv1a, fnvSeparate } from './fnv.ts';

describe('fnv1a', () => {
  it('gives the published FNV-1a 32-bit values', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('goes on from another text: a pair with a separator is not the two texts run together', () => {
    expect(fnv1a('bar', fnv1a('foo'))).toBe(fnv1a('foobar'));
    expect(fnv1a('bar', fnvSeparate(fnv1a('foo')))).not.toBe(fnv1a('fo', fnvSeparate(fnv1a('obar'))));
  });
});
