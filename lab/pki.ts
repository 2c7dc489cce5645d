// Throwaway certificates made with the openssl CLI, for tests and the lab only: a CA and leaves
// for the given names, kept as files in a temp dir (servers that read paths) and as PEM text.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestLeaf {
  key: string;
  cert: string;
  keyFile: string;
  certFile: string;
  /** base64(sha256(SubjectPublicKeyInfo DER)), what Chromium's --ignore-certificate-errors-spki-list wants. */
  spki: string;
}

export interface TestPki {
  dir: string;
  caFile: string;
  caPem: string;
  /** Issues a leaf for the given DNS names (and IP addresses), signed by the CA. */
  issue(names: string[], ips?: string[]): TestLeaf;
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
  const f = (name: string) => join(dir, name);
  // Each command as one line, the way it reads in openssl's manual; `literal` for an argument with spaces.
  const ssl = (command: string, ...literal: string[]) =>
    execFileSync('openssl', [...command.split(' ').filter(Boolean), ...literal], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  /** A P-256 key and a certificate request for it, self-signed by `-x509` in `extra`. */
  const request = (name: string, subject: string, extra = '') =>
    ssl(
      `req ${extra} -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ${name}.key -out ${name}.${extra ? 'pem' : 'csr'}`,
      '-subj',
      subject,
    );
  request(
    'ca',
    '/CN=hairpin test CA',
    '-x509 -days 2 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign',
  );
  let serial = 0;
  return {
    dir,
    caFile: f('ca.pem'),
    caPem: readFileSync(f('ca.pem'), 'utf8'),
    issue(names, ips = []) {
      const n = ++serial;
      const san = [...names.map((d) => `DNS:${d}`), ...ips.map((a) => `IP:${a}`)].join(',');
      writeFileSync(
        f(`leaf${n}.ext`),
        `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`,
      );
      request(`leaf${n}`, `/CN=${names[0] ?? ips[0] ?? 'leaf'}`);
      ssl(
        `x509 -req -in leaf${n}.csr -CA ca.pem -CAkey ca.key -set_serial ${1000 + n} -days 2 -out leaf${n}.pem -extfile leaf${n}.ext`,
      );
      const der = ssl(`pkey -in leaf${n}.key -pubout -outform DER`);
      const spki = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der }).toString('base64');
      const keyFile = f(`leaf${n}.key`);
      const certFile = f(`leaf${n}.pem`);
      return { key: readFileSync(keyFile, 'utf8'), cert: readFileSync(certFile, 'utf8'), keyFile, certFile, spki };
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface TestCertificate {
  /** The temp dir holding the files; the caller removes it. */
  dir: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  ca: string;
  cert: string;
  key: string;
}

/** One CA and one leaf for the given names: the common case of createTestPki. */
export function makeCertificate(names: string[], ips: string[] = []): TestCertificate {
  const pki = createTestPki();
  const leaf = pki.issue(names, ips);
  return {
    dir: pki.dir,
    caFile: pki.caFile,
    certFile: leaf.certFile,
    keyFile: leaf.keyFile,
    ca: pki.caPem,
    cert: leaf.cert,
    key: leaf.key,
  };
}
