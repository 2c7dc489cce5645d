import { describe, expect, it } from 'vitest';
import { ipv4Text, NodeTable, packIpv4 } from './node-table.ts';
import type { ZoneNode } from './records.ts';

const reported = (privateIpv4: string, more: Partial<NonNullable<ZoneNode['addresses']>> = {}): ZoneNode => ({
  addresses: { privateIpv4, privateIpv6: null, publicIpv4: null, publicIpv6: null, ...more },
});

describe('packIpv4', () => {
  it('packs a canonical dotted quad and nothing that would not read back the same', () => {
    for (const text of ['0.0.0.0', '10.1.2.3', '255.255.255.255', '198.18.0.1'])
      expect(ipv4Text(packIpv4(text))).toBe(text);
    for (const text of [
      '010.1.2.3',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '1..2.3',
      '1.2.3.',
      'a.b.c.d',
      '',
      ' 1.2.3.4',
      '::1',
    ])
      expect(packIpv4(text)).toBe(-1);
  });
});

describe('NodeTable', () => {
  it('gives back what it was given: unreported, IPv4 packed, IPv6 and odd texts whole', () => {
    const table = new NodeTable();
    const nodes: [string, ZoneNode][] = [
      ['a', { addresses: undefined }],
      ['b', reported('10.0.0.1')],
      ['c', reported('10.0.0.2', { publicIpv4: '203.0.113.7' })],
      ['d', reported('10.0.0.3', { privateIpv6: 'fd00::1', publicIpv6: '2001:db8::1' })],
      ['e', reported('10.0.0.4', { publicIpv4: '203.0.113.07' })],
    ];
    for (const [node, state] of nodes) table.set('1234', node, state);
    for (const [node, state] of nodes) expect(table.get('1234', node)).toEqual(state);
    expect(table.get('1234', 'f')).toBeUndefined();
    expect(table.size).toBe(5);
  });

  it('replaces a node, deletes it, and knows which licences have nodes', () => {
    const table = new NodeTable();
    table.set('1234', 'nur1', reported('10.0.0.1', { privateIpv6: 'fd00::1' }));
    table.set('1234', 'nur1', reported('10.0.0.9'));
    expect(table.get('1234', 'nur1')).toEqual(reported('10.0.0.9'));
    table.set('1234', 'nur2', { addresses: undefined });
    expect(table.hasNodes('1234')).toBe(true);
    table.delete('1234', 'nur1');
    expect(table.hasNodes('1234')).toBe(true);
    table.delete('1234', 'nur2');
    table.delete('1234', 'nur2');
    expect(table.hasNodes('1234')).toBe(false);
    expect(table.get('1234', 'nur1')).toBeUndefined();
    expect(table.size).toBe(0);
  });
});
