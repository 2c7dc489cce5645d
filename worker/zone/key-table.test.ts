import { describe, expect, it } from 'vitest';
import { KeyTable } from './key-table.ts';

describe('KeyTable', () => {
  it('numbers pairs densely, finds them again, and hands a removed number out again', () => {
    const keys = new KeyTable();
    expect(keys.add('1234', 'nur1')).toBe(0);
    expect(keys.add('1234', 'nur2')).toBe(1);
    expect(keys.add('1234', 'nur1')).toBe(0);
    // The split between the two strings is part of the key.
    expect(keys.find('1234n', 'ur1')).toBe(-1);
    expect(keys.find('1234', 'nur2')).toBe(1);
    expect(keys.remove('1234', 'nur1')).toBe(0);
    expect(keys.find('1234', 'nur1')).toBe(-1);
    expect(keys.remove('1234', 'nur1')).toBe(-1);
    expect(keys.size).toBe(1);
    expect(keys.add('9', 'x')).toBe(0);
    expect(keys.find('1234', 'nur2')).toBe(1);
  });

  it('keeps every key through its growth and through removals', () => {
    const keys = new KeyTable();
    const count = 20_000;
    for (let i = 0; i < count; i++) expect(keys.add(`${1000 + Math.floor(i / 50)}`, `nur${i % 50}`)).toBe(i);
    for (let i = 0; i < count; i += 2) keys.remove(`${1000 + Math.floor(i / 50)}`, `nur${i % 50}`);
    for (let i = 0; i < count; i++)
      expect(keys.find(`${1000 + Math.floor(i / 50)}`, `nur${i % 50}`)).toBe(i % 2 === 0 ? -1 : i);
    expect(keys.size).toBe(count / 2);
    expect(keys.capacity).toBe(count);
  });

  it('refuses a key it cannot hold whole (more than Latin-1), and finds none such', () => {
    const keys = new KeyTable();
    expect(() => keys.add('1234', 'nÅ̈r')).toThrow(RangeError);
    expect(keys.find('1234', 'nÅ̈r')).toBe(-1);
    expect(keys.size).toBe(0);
    keys.add('1234', 'A');
    // U+0141 is not U+0041 with its high byte dropped.
    expect(keys.find('1234', '\u0141')).toBe(-1);
  });
});
