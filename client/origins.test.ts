import { describe, expect, it } from 'vitest';
import { nodeOrigins } from './origins.ts';

describe('nodeOrigins', () => {
  it('derives the external sibling of an internal mount point', () => {
    expect(nodeOrigins('https://i-nur1.pl-1234.example.test:8443/')).toMatchObject({
      origins: ['https://i-nur1.pl-1234.example.test:8443', 'https://nur1.pl-1234.example.test:8443'],
      internal: 'https://i-nur1.pl-1234.example.test:8443',
    });
  });

  it('derives the internal sibling of an external mount point, which stays first', () => {
    expect(nodeOrigins('https://NUR1.pl-1234.example.test:8443/app/')).toMatchObject({
      origins: ['https://nur1.pl-1234.example.test:8443', 'https://i-nur1.pl-1234.example.test:8443'],
      internal: 'https://i-nur1.pl-1234.example.test:8443',
    });
  });

  it('takes an explicit other origin, and refuses the same one twice', () => {
    expect(nodeOrigins('http://127.0.0.2:1/', 'http://127.0.0.1:2/x').origins).toEqual([
      'http://127.0.0.2:1',
      'http://127.0.0.1:2',
    ]);
    expect(() => nodeOrigins('https://a.example.test/', 'https://a.example.test/b')).toThrow(TypeError);
  });
});
