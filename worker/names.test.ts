import { describe, expect, it } from 'vitest';
import { SEED_TEMPLATES, ZoneNames } from './names.ts';

const names = new ZoneNames('Example.TEST.', SEED_TEMPLATES);

describe('zone names', () => {
  it('builds and parses the seed names, case-insensitively', () => {
    expect(names.nodeNames('1234', 'nur1')).toEqual({
      external: 'nur1.pl-1234.example.test',
      internal: 'i-nur1.pl-1234.example.test',
    });
    expect(names.appsName('1234')).toBe('pl-1234.apps.example.test');
    expect(names.parse('I-NUR1.PL-1234.example.test.')).toEqual({ kind: 'internal', licence: '1234', node: 'nur1' });
    expect(names.parse('nur1.pl-1234.example.test')).toEqual({ kind: 'external', licence: '1234', node: 'nur1' });
    expect(names.parse('nur1.1234.example.test')).toBeUndefined();
    expect(names.parse('nur1.pl-1234.example.com')).toBeUndefined();
    expect(names.parseApps('pl-77.apps.example.test')).toBe('77');
  });

  it('knows the empty non-terminals above node and app-store names', () => {
    expect(names.parseAncestor('pl-1234.example.test')).toEqual({ licence: '1234', of: 'node' });
    expect(names.parseAncestor('apps.example.test')).toEqual({ licence: null, of: 'apps' });
    expect(names.parseAncestor('x.example.test')).toBeUndefined();
  });

  it('refuses labels that are not host labels, names too long, and external names that read as internal ones', () => {
    expect(names.rejectNodeLabels('1234', 'nur1')).toBeUndefined();
    expect(names.rejectNodeLabels('1234', 'Nur1')).toMatch(/not a DNS label/);
    expect(names.rejectNodeLabels('1234', 'a'.repeat(64))).toMatch(/not a DNS label/);
    expect(names.rejectNodeLabels('1'.repeat(61), 'nur1')).toMatch(/valid host name/);
    expect(names.rejectNodeLabels('1234', 'i-nur1')).toMatch(/internal name/);
  });

  it('takes other templates', () => {
    const custom = new ZoneNames('polarisgestionmag.net', {
      external: '{node}-{licence}.{zone}',
      internal: '{node}-{licence}.lan.{zone}',
      apps: 'apps-{licence}.{zone}',
    });
    expect(custom.nodeNames('9', 'nur2').internal).toBe('nur2-9.lan.polarisgestionmag.net');
    expect(custom.parse('nur2-9.lan.polarisgestionmag.net')).toMatchObject({
      kind: 'internal',
      node: 'nur2',
      licence: '9',
    });
    expect(() => new ZoneNames('x.test', { ...SEED_TEMPLATES, internal: 'i-{node}.pl-{licence}' })).toThrow(/\{zone\}/);
  });
});
