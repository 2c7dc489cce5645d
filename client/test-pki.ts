import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway CA and leaf certificates made with the `openssl` CLI, for tests only. */
export interface TestPki {
  caPem: string;
  /** Issues a leaf for the given DNS names (and IP addresses), signed by the CA. */
  issue(names: string[], ips?: string[]): { key: string; cert: string; spki: string };
  dispose(): void;
}

/**
 * @example
 *   const pki = createTestPki();
 *   const { key, cert } = pki.issue(['i-nur1.pl-1234.example.test']);
 *   https.createServer({ key, cert }, handler);
 *   pki.dispose();
 */
export function createTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'hairpin-pki-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  ssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem',
    '-days', '2', '-subj', '/CN=hairpin test CA', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  let serial = 0;
  return {
    caPem: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    issue(names, ips = []) {
      const n = ++serial;
      const san = [...names.map((d) => `DNS:${d}`), ...ips.map((a) => `IP:${a}`)].join(',');
      writeFileSync(join(dir, `leaf${n}.ext`), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
      ssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `leaf${n}.key`, '-out', `leaf${n}.csr`,
        '-subj', `/CN=${names[0] ?? ips[0] ?? 'leaf'}`);
      ssl('x509', '-req', '-in', `leaf${n}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(1000 + n), '-days', '2',
        '-out', `leaf${n}.pem`, '-extfile', `leaf${n}.ext`);
      // Chromium's --ignore-certificate-errors-spki-list wants base64(sha256(SubjectPublicKeyInfo DER)).
      const der = ssl('pkey', '-in', `leaf${n}.key`, '-pubout', '-outform', 'DER');
      const spki = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der });
      return { key: readFileSync(join(dir, `leaf${n}.key`), 'utf8'), cert: readFileSync(join(dir, `leaf${n}.pem`), 'utf8'), spki: spki.toString('base64') };
    },
    dispose() { rmSync(dir, { recursive: true, force: true }); },
  };
}
