// One field at a time on a machine: namespace names are fixed (hp-*), so a second run would
// first remove the first one's namespaces as "leftovers". A run holds a pid file; another waits
// (bounded) while that process lives, and takes over when it is gone (a killed run, `lab up`).
import { readFile, rm, writeFile } from 'node:fs/promises';

const LOCK = '/run/hairpin-lab.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Take the lab lock, waiting up to `timeoutMs` for a live holder; returns a release function. */
export async function lockField(timeoutMs: number, log: (line: string) => void): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  let said = false;
  for (;;) {
    try {
      await writeFile(LOCK, String(process.pid), { flag: 'wx' });
      return async () => {
        if ((await readFile(LOCK, 'utf8').catch(() => '')) === String(process.pid)) await rm(LOCK, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const holder = Number(await readFile(LOCK, 'utf8').catch(() => '0'));
    if (!holder || holder === process.pid || !alive(holder)) {
      await rm(LOCK, { force: true });
      continue;
    }
    if (Date.now() > deadline)
      throw new Error(`another lab run (pid ${holder}) holds ${LOCK}; "hairpin lab down" ends a field left up`);
    if (!said) log(`lab: waiting for the lab run of pid ${holder} to finish`);
    said = true;
    await new Promise((r) => setTimeout(r, 500));
  }
}
