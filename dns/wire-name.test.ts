import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage } from './message.ts';
import { normalizeName, relativeLabels } from './name.ts';
import { decodeName, nameLabels } from './wire-name.ts';

const wireName = (...labels: (string | number[])[]) =>
  Uint8Array.from([
    ...labels.flatMap((l) => (typeof l === 'string' ? [l.length, ...Buffer.from(l)] : [l.length, ...l])),
    0,
  ]);

describe('names with every byte a label may hold', () => {
  it('escapes a dot, a backslash and unprintable bytes inside a label', () => {
    expect(decodeName(wireName('example.test'), 0)).toEqual({ name: 'example\\.test', bytes: 14 });
    expect(decodeName(wireName('a\\b', [0, 0xff, 0x20]), 0).name).toBe('a\\\\b.\\000\\255\\032');
    expect(decodeName(Uint8Array.from([0]), 0).name).toBe('.');
  });

  it('reads the escapes back to the same bytes', () => {
    for (const labels of [['example.test'], ['a\\b', 'c'], ['x', 'y.z', 'test']]) {
      const wire = wireName(...labels);
      expect(nameLabels(decodeName(wire, 0).name).map((l) => Buffer.from(l).toString())).toEqual(labels);
    }
    expect(nameLabels('a\\000b.test.').map((l) => [...l])).toEqual([
      [0x61, 0, 0x62],
      [0x74, 0x65, 0x73, 0x74],
    ]);
  });

  it('refuses labels over 63 bytes and names over 255 when encoding', () => {
    expect(() => nameLabels(`${'a'.repeat(64)}.test`)).toThrow(RangeError);
    expect(() => nameLabels(Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.'))).toThrow(RangeError);
  });

  it('follows only backward pointers, so a loop cannot exist', () => {
    expect(() => decodeName(Uint8Array.from([0xc0, 0]), 0)).toThrow(/bad pointer/);
    expect(decodeName(Uint8Array.from([1, 0x61, 0, 0xc0, 0]), 3)).toEqual({ name: 'a', bytes: 2 });
  });

  it('keeps an escaped dot out of zone membership and trailing-dot trimming', () => {
    expect(relativeLabels('example\\.test', 'example.test')).toBeUndefined();
    expect(relativeLabels('x\\.example.test', 'example.test')).toBeUndefined();
    expect(relativeLabels('a\\.b.example.test', 'example.test')).toEqual(['a\\.b']);
    expect(relativeLabels('I-nur1.pl-1.Example.test.', 'example.test')).toEqual(['i-nur1', 'pl-1']);
    expect(normalizeName('test\\.')).toBe('test\\.');
    expect(normalizeName('test\\\\.')).toBe('test\\\\');
  });

  it('round-trips a message whose question has a dot inside a label, byte for byte', () => {
    const wire = Uint8Array.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...wireName('example.test'), 0, 1, 0, 1]);
    const message = decodeMessage(wire);
    expect(message.questions?.[0]?.name).toBe('example\\.test');
    expect([...encodeMessage(message)]).toEqual([...wire]);
  });
});
