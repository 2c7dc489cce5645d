import { describe, expect, it } from 'vitest';
import { FrameReader, frameTcp } from './tcp-frame.ts';
import { concatBytes } from './wire.ts';

const framed = (...messages: Uint8Array[]) => concatBytes(messages.map(frameTcp));

describe('frameTcp', () => {
  it('refuses a message that its 16-bit length cannot carry', () => {
    expect(frameTcp(new Uint8Array(65_535)).byteLength).toBe(65_537);
    expect(() => frameTcp(new Uint8Array(65_536))).toThrow(RangeError);
  });
});

describe('FrameReader', () => {
  it('returns each message once whole, however the bytes are cut', () => {
    const messages = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(7)];
    const wire = framed(...messages);
    for (const step of [1, 2, 3, 7, wire.byteLength]) {
      const frames = new FrameReader();
      const out: number[][] = [];
      for (let at = 0; at < wire.byteLength; at += step) {
        frames.push(wire.slice(at, at + step));
        for (let m = frames.next(); m; m = frames.next()) out.push([...m]);
      }
      expect(out).toEqual(messages.map((m) => [...m]));
      expect(frames.buffered).toBe(0);
    }
  });
});
