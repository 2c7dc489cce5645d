// Reading /metrics in tests and benchmarks: one sample's value out of the Prometheus text.

/**
 * The value of one sample, by its name and labels as printed, or 0 when the text has none.
 *
 * ```ts
 * metricSample(manager.metrics.render(), 'hairpin_dns_cache_hits_total{transport="udp"}');
 * ```
 */
export function metricSample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
