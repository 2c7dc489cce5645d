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

/** Those of `programs` not installed (on PATH or in /usr/sbin). */
export const missingPrograms = (...programs: string[]) => programs.filter((p) => !which(p) && !which(`/usr/sbin/${p}`));

/** For a benchmark: ends it, naming what is missing, unless every program is installed. */
export function requirePrograms(bench: string, ...programs: string[]): void {
  const missing = missingPrograms(...programs);
  if (missing.length === 0) return;
  console.error(`${bench}: ${missing.join(', ')} not installed (scripts/install-system-packages.sh installs them)`);
  process.exit(1);
}

/** True when every program is installed; under CI, throws naming what is missing instead. */
export function haveSystemPrograms(...programs: string[]): boolean {
  const missing = missingPrograms(...programs);
  if (missing.length === 0) return true;
  if (process.env.CI)
    throw new Error(`CI needs ${missing.join(', ')} (see .ci/run / scripts/install-system-packages.sh)`);
  console.warn(`skipping: ${missing.join(', ')} not installed (scripts/install-system-packages.sh installs them)`);
  return false;
}
