// Real DoH clients: BIND's dig speaks only HTTP/2 (h2c with prior knowledge for +http-plain,
// ALPN h2 for +https), so these prove the Node entry serves HTTP/2 beside HTTP/1.1.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificate } from '../../lab/pki.ts';
import { startTestManager, type TestManager } from '../support/manager.ts';
import { haveSystemPrograms } from '../support/system.ts';

const run = promisify(execFile);
const have = haveSystemPrograms('dig');

async function dig(...args: string[]): Promise<string> {
  const { stdout } = await run('dig', ['+tries=1', '+time=5', ...args], { timeout: 20_000 });
  return stdout;
}

describe.skipIf(!have)('dig against the Node manager', () => {
  let plain: TestManager;
  let tls: TestManager;
  beforeAll(async () => {
    // Both servers share one SQLite file: the TLS one answers what was reported to the other.
    const cert = makeCertificate(['localhost'], ['127.0.0.1']);
    const db = join(cert.dir, 'hairpin.sqlite');
    plain = await startTestManager({ HAIRPIN_DB: db });
    tls = await startTestManager({ HAIRPIN_DB: db, HAIRPIN_TLS_CERT: cert.certFile, HAIRPIN_TLS_KEY: cert.keyFile });
    const credential = await plain.enrol('1234', 'nur1');
    await plain.report('1234', 'nur1', credential, { privateIpv4: '10.1.2.3', publicIpv4: '203.0.113.7' });
  });
  afterAll(async () => {
    await plain?.close();
    await tls?.close();
  });

  it('answers dig +http-plain (h2c): internal, external, NXDOMAIN with SOA, REFUSED outside', async () => {
    const at = ['+http-plain', '@127.0.0.1', '-p', String(plain.http.port)];
    expect(await dig(...at, '+short', 'i-nur1.pl-1234.example.test', 'A')).toBe('10.1.2.3\n');
    expect(await dig(...at, '+short', 'nur1.pl-1234.example.test', 'A')).toBe('203.0.113.7\n');
    const nx = await dig(...at, 'nope.pl-1234.example.test', 'A');
    expect(nx).toContain('status: NXDOMAIN');
    expect(nx).toMatch(/AUTHORITY SECTION:\nexample\.test\.\s+\d+\s+IN\s+SOA/);
    expect(nx).toMatch(/flags: qr aa rd;/);
    expect(await dig(...at, 'example.com', 'A')).toContain('status: REFUSED');
  });

  it('answers dig +https (TLS, ALPN h2) and POST', async () => {
    const at = ['+https', '@127.0.0.1', '-p', String(tls.http.port)];
    expect(await dig(...at, '+short', 'i-nur1.pl-1234.example.test', 'A')).toBe('10.1.2.3\n');
    expect(
      await dig(...at.map((a) => (a === '+https' ? '+https-get' : a)), '+short', 'nur1.pl-1234.example.test', 'A'),
    ).toBe('203.0.113.7\n');
  });
});
