// Tests that drive real DNS software need it installed (.ci/run installs it from Debian). On a
// developer machine without it they are skipped with the reason; under CI a missing program fails.
import { execFileSync } from 'node:child_process';

export function which(program: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/** True when every program is installed; under CI, throws naming what is missing instead. */
export function haveSystemPrograms(...programs: string[]): boolean {
  const missing = programs.filter((p) => !which(p) && !which(`/usr/sbin/${p}`));
  if (missing.length === 0) return true;
  if (process.env.CI)
    throw new Error(`CI needs ${missing.join(', ')} (see .ci/run / scripts/install-system-packages.sh)`);
  console.warn(`skipping: ${missing.join(', ')} not installed (scripts/install-system-packages.sh installs them)`);
  return false;
}
