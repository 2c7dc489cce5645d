// What the benchmarks report of their rounds: medians, never means (one slow round under a
// scheduler's whim would move a mean).

/** The middle value (the upper one of an even count); NaN for none. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
