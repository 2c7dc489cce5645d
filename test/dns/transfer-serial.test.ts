import { describe, expect, it } from 'vitest';
import { addSerial, compareSerial, nextStoreSerial, serialBefore, serialDistance } from '../../worker/store/serial.ts';

describe('RFC 1982 serial arithmetic', () => {
  it('orders serials the short way round the circle', () => {
    expect(compareSerial(1, 2)).toBe(-1);
    expect(compareSerial(2, 1)).toBe(1);
    expect(compareSerial(7, 7)).toBe(0);
    expect(compareSerial(4294967295, 0)).toBe(-1);
    expect(compareSerial(4294967295, 1)).toBe(-1);
    expect(compareSerial(1, 4294967295)).toBe(1);
    expect(compareSerial(0, 2147483647)).toBe(-1);
    expect(compareSerial(2147483649, 0)).toBe(-1);
  });

  it('leaves pairs exactly 2^31 apart undefined (RFC 1982 §3.2)', () => {
    expect(compareSerial(0, 2147483648)).toBeUndefined();
    expect(compareSerial(2147483648, 0)).toBeUndefined();
    expect(serialBefore(0, 2147483648)).toBe(false);
    expect(serialBefore(2147483648, 0)).toBe(false);
  });

  it('adds modulo 2^32 and refuses increments of 2^31 or more', () => {
    expect(addSerial(4294967295, 1)).toBe(0);
    expect(addSerial(4294967290, 10)).toBe(4);
    expect(serialBefore(4294967290, addSerial(4294967290, 2147483647))).toBe(true);
    expect(() => addSerial(1, 2147483648)).toThrow(RangeError);
    expect(() => addSerial(1, -1)).toThrow(RangeError);
  });

  it('steps like the store (skipping 0) and measures distance across the wrap', () => {
    expect(nextStoreSerial(1)).toBe(2);
    expect(nextStoreSerial(4294967294)).toBe(4294967295);
    expect(nextStoreSerial(4294967295)).toBe(1);
    expect(serialDistance(4294967295, 1)).toBe(2);
    expect(serialDistance(5, 5)).toBe(0);
    expect(serialDistance(10, 3)).toBe(4294967289);
  });
});
