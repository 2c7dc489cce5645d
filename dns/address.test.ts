import { describe, expect, it } from 'vitest';
import {
  canonicalIpv6,
  isGlobalIpv6,
  isIpv4,
  isNonPublicIpv4,
  isRfc1918,
  isUla,
  parseIpv6,
  unmapIpv4,
} from './address.ts';

describe('address classes', () => {
  it('knows RFC 1918 and nothing else as private IPv4', () => {
    for (const a of ['10.0.0.0', '10.255.255.255', '172.16.0.1', '172.31.255.255', '192.168.0.1'])
      expect(isRfc1918(a), a).toBe(true);
    for (const a of [
      '172.15.0.1',
      '172.32.0.1',
      '192.169.0.1',
      '11.0.0.1',
      '100.64.0.1',
      '10.0.0',
      '10.0.0.256',
      '010.0.0.1',
    ])
      expect(isRfc1918(a), a).toBe(false);
  });

  it('refuses non-public addresses as the external one, allows test and benchmark ranges', () => {
    for (const a of [
      '10.1.1.1',
      '127.0.0.1',
      '169.254.1.1',
      '100.64.0.1',
      '100.127.255.255',
      '0.1.2.3',
      '224.0.0.1',
      '255.255.255.255',
    ])
      expect(isNonPublicIpv4(a), a).toBe(true);
    for (const a of ['203.0.113.7', '198.18.0.1', '100.128.0.1']) expect(isNonPublicIpv4(a), a).toBe(false);
    expect(isIpv4('1.2.3.4.5')).toBe(false);
  });

  it('parses and canonicalises IPv6 (RFC 5952)', () => {
    expect(parseIpv6('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(canonicalIpv6('fd00:0:0::5')).toBe('fd00::5');
    expect(canonicalIpv6('2001:DB8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIpv6('::ffff:192.0.2.1')).toBe('::ffff:c000:201');
    for (const bad of ['1::2::3', ':::', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9'])
      expect(parseIpv6(bad), bad).toBeUndefined();
    expect(isUla('fd68:6169:7270:696e::1')).toBe(true);
    expect(isUla('fe80::1')).toBe(false);
    expect(isGlobalIpv6('2001:db8::1')).toBe(true);
    expect(isGlobalIpv6('fd00::1')).toBe(false);
    expect(unmapIpv4('::ffff:127.0.0.1')).toBe('127.0.0.1');
  });
});
