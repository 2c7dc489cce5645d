// The contracts of contract/ hold on both sides of each wire: what one part writes, the other
// reads. The client ships alone and keeps its own copy of the identity contract; this is where
// the copy is held to the original.
import { describe, expect, it } from 'vitest';
import {
  IDENTITY_PATH as CLIENT_IDENTITY_PATH,
  type NodeIdentity as ClientNodeIdentity,
  verifyIdentity,
} from '../../client/index.ts';
import { controlText, parseControl } from '../../contract/control.ts';
import { IDENTITY_PATH, identityBody, identityMismatch, type NodeIdentity } from '../../contract/identity.ts';
import { PROBLEMS, problemBody, problemTypeOf } from '../../contract/problem.ts';

const node = {
  licence: '1234',
  node: 'nur1',
  names: { external: 'nur1.pl-1234.example.test', internal: 'i-nur1.pl-1234.example.test' },
};

describe('contracts', () => {
  it('the client checks the identity body the agent serves, at the same path', async () => {
    expect(CLIENT_IDENTITY_PATH).toBe(IDENTITY_PATH);
    // The two types are one shape: each is assignable to the other.
    const fromContract: ClientNodeIdentity = identityBody(node, 'n0');
    const fromClient: NodeIdentity = fromContract;
    expect(identityMismatch(fromClient, 'n0', node)).toBeUndefined();
    const fakeFetch = (async (url: URL) => {
      expect(url.pathname).toBe(IDENTITY_PATH);
      return Response.json(identityBody(node, url.searchParams.get('nonce')!));
    }) as unknown as typeof fetch;
    await expect(
      verifyIdentity('https://i-nur1.pl-1234.example.test:8443', { fetch: fakeFetch }),
    ).resolves.toMatchObject({ licence: '1234', node: 'nur1' });
  });

  it('the identity check names what is wrong', () => {
    expect(identityMismatch({ ...identityBody(node, 'n0'), nonce: 'other' }, 'n0')).toBe('nonce not echoed');
    expect(identityMismatch(identityBody({ ...node, node: 'nur2' }, 'n0'), 'n0', node)).toBe(
      'it is 1234/nur2, not 1234/nur1',
    );
    expect(identityMismatch('<html>', 'n0')).toBe('service is not "hairpin"');
  });

  it('the TXT control the manager writes is the one the probe reads', () => {
    const text = controlText({ a: ['10.1.2.3'], aaaa: ['fd00::5'] });
    expect(text).toBe('v=hairpin1 a=10.1.2.3 aaaa=fd00::5');
    expect(parseControl(text)).toEqual({ a: ['10.1.2.3'], aaaa: ['fd00::5'] });
    expect(parseControl('v=hairpin1 aaaa=FD00:0:0::5')).toEqual({ a: [], aaaa: ['fd00::5'] });
    expect(parseControl('v=spf1 a=10.1.2.3')).toBeUndefined();
  });

  it('a problem body carries its registered status and reads back to its code', () => {
    for (const code of Object.keys(PROBLEMS) as (keyof typeof PROBLEMS)[]) {
      const body = problemBody(code, 'why');
      expect(body.status).toBe(PROBLEMS[code][0]);
      expect(problemTypeOf(JSON.parse(JSON.stringify(body)))).toBe(code);
    }
    expect(problemTypeOf({ type: 'about:blank' })).toBeUndefined();
  });
});
