import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashCredential, newCredential, timingSafeEqual } from './credential.ts';

describe('credentials', () => {
  it('hash the same with Web Crypto as with node:crypto (the Node entry uses the latter)', async () => {
    for (const credential of [newCredential(), 'hpa_x', 'é unicode ✓']) {
      expect(await hashCredential(credential)).toBe(createHash('sha256').update(credential).digest('hex'));
    }
  });

  it('are 256 random bits, base64url, prefixed', () => {
    const a = newCredential();
    expect(a).toMatch(/^hpn_[A-Za-z0-9_-]{43}$/);
    expect(newCredential()).not.toBe(a);
    expect(timingSafeEqual(a, a)).toBe(true);
    expect(timingSafeEqual(a, `${a}x`)).toBe(false);
  });
});
