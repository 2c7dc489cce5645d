// Atomic file replacement: write a temporary file beside the target, fsync it, rename it over
// the target (rename(2) is atomic within a file system), fsync the directory so the rename
// survives a power cut. A server reloading mid-renewal reads the old file or the new one, never
// half of one.
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * ```ts
 * await writeFileAtomic('/etc/hairpin/key.pem', pem, 0o600);
 * ```
 */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  // 'wx': never follow or reuse an existing file; the mode applies from creation, so a key is
  // never readable by others even for an instant.
  const file = await open(temp, 'wx', mode);
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  try {
    await rename(temp, path);
  } catch (e) {
    await rm(temp, { force: true });
    throw e;
  }
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
