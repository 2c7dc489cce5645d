// The node's private keys (certificate key and ACME account key): ECDSA P-256, made on the node,
// kept there (mode 0600) and reused across renewals.

import { chmod, readFile, stat } from 'node:fs/promises';
import * as acme from 'acme-client';
import { writeFileAtomic } from './files.ts';

/**
 * Read the key at `path`, or make and store one. A key found with looser permissions is
 * tightened to 0600 (an operator's `cp` may have widened it).
 *
 * ```ts
 * const keyPem = await ensureKey('/var/lib/hairpin/key.pem');
 * ```
 */
export async function ensureKey(path: string): Promise<string> {
  const existing = await readFile(path, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return undefined;
    throw e;
  });
  if (existing !== undefined) {
    if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
    return existing;
  }
  const pem = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
  await writeFileAtomic(path, pem, 0o600);
  return pem;
}
