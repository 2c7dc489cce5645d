// The manager's counters, rendered as Prometheus text (exposition format 0.0.4). Web-standard,
// so the same registry serves Node and Workers (there: per isolate, see docs/operations.md).
// Hot paths (a DNS answer) touch preallocated typed arrays only: no strings, no maps, no objects.
import { rcodeName } from '../dns/rcode.ts';

export type DnsTransport = 'udp' | 'tcp' | 'doh';
export type RrlAction = 'slip' | 'drop';

const TRANSPORTS: readonly DnsTransport[] = ['udp', 'tcp', 'doh'];
const TRANSPORT_INDEX: Record<DnsTransport, number> = { udp: 0, tcp: 1, doh: 2 };
/** The 4-bit header RCODE (RFC 1035 §4.1.1); extended RCODEs sit in OPT and are not split out. */
const RCODES = 16;
/** Answer latency buckets (s): a cache hit is tens of µs, a store read under load some ms. */
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] as const;

/** Where each per-packet counter sits in the one array that holds them all. */
const DNS_COUNTERS = (() => {
  const sizes = {
    queries: TRANSPORTS.length * RCODES,
    unanswered: TRANSPORTS.length,
    cacheHits: TRANSPORTS.length,
    latency: TRANSPORTS.length * (LATENCY_BUCKETS.length + 1),
    latencySum: TRANSPORTS.length,
    rrl: 2,
  };
  const offsets = {} as Record<keyof typeof sizes, number>;
  let end = 0;
  for (const [name, size] of Object.entries(sizes) as [keyof typeof sizes, number][]) {
    offsets[name] = end;
    end += size;
  }
  return {
    end,
    /** The counters of `all` by kind (views, not copies). */
    views: (all: Float64Array) =>
      Object.fromEntries(
        Object.entries(offsets).map(([name, at]) => [name, all.subarray(at, at + sizes[name as keyof typeof sizes])]),
      ) as Record<keyof typeof sizes, Float64Array>,
  };
})();

export type LabelledCounterName = keyof typeof LABELLED;

export interface MetricsOptions {
  /**
   * Where the per-packet counters live (DNS_COUNTER_SLOTS numbers): a slice of shared memory when
   * a DNS worker thread counts for the main thread's registry (worker/adapter/node/dns-workers.ts).
   */
  dnsCounters?: Float64Array;
  /** Where labelled counts go instead of this registry (a worker thread: to the main thread's). */
  forward?: (name: LabelledCounterName, values: readonly string[]) => void;
}

/** How many numbers the per-packet counters take (the size of MetricsOptions.dnsCounters). */
export const DNS_COUNTER_SLOTS = DNS_COUNTERS.end;

/** Label values come from code (routes, outcomes), but are escaped as the format requires. */
function labelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (ch) => (ch === '\n' ? '\\n' : `\\${ch}`));
}

/** The counters with a few labels, for paths that are not per-packet: name → labels, help (rendered in this order). */
const LABELLED = {
  hairpin_reports_total: [['via', 'outcome'], 'Address reports stored, by protocol and whether the records changed.'],
  hairpin_dyndns_answers_total: [['answer'], 'dyndns2 /nic/update answers, by return code.'],
  hairpin_zone_transfers_total: [['type', 'outcome'], 'Zone transfer requests, by type and outcome.'],
  hairpin_notify_total: [
    ['outcome'],
    'NOTIFY rounds per secondary, by outcome (acknowledged, rejected, unanswered, failed, superseded).',
  ],
  hairpin_http_requests_total: [
    ['route', 'method', 'status'],
    'HTTP requests answered, by route pattern, method and status.',
  ],
} as const satisfies Record<string, readonly [readonly string[], string]>;

/** A counter with a few labels. */
class LabelledCounter {
  readonly #values = new Map<string, number>();
  readonly name: string;
  readonly help: string;
  readonly labels: readonly string[];

  constructor(name: string, help: string, labels: readonly string[]) {
    this.name = name;
    this.help = help;
    this.labels = labels;
  }

  inc(values: readonly string[]): void {
    const key = values.join('\u0000');
    this.#values.set(key, (this.#values.get(key) ?? 0) + 1);
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`);
    for (const [key, value] of this.#values) {
      const values = key.split('\u0000');
      out.push(`${this.name}{${this.labels.map((l, i) => `${l}="${labelValue(values[i]!)}"`).join(',')}} ${value}`);
    }
  }
}

/**
 * ```ts
 * const metrics = new Metrics(Date.now);
 * const started = performance.now();
 * metrics.dnsAnswer('udp', response[3] & 0x0f, (performance.now() - started) / 1000, false);
 * new Response(metrics.render(), { headers: { 'content-type': METRICS_CONTENT_TYPE } });
 * ```
 */
export class Metrics {
  readonly #startSeconds: number;
  /** Every per-packet counter, in one array (see DNS_COUNTERS). */
  readonly #dns: Float64Array;
  /**
   * The same by kind. Latency: per transport, one count per bucket, then +Inf (made cumulative
   * when rendered).
   */
  readonly #counters: ReturnType<typeof DNS_COUNTERS.views>;
  /** Other threads' per-packet counters, added in when rendered. */
  readonly #included: Float64Array[] = [];
  readonly #forward: MetricsOptions['forward'];
  readonly #labelled = Object.fromEntries(
    Object.entries(LABELLED).map(([name, [labels, help]]) => [name, new LabelledCounter(name, help, labels)]),
  ) as Record<LabelledCounterName, LabelledCounter>;

  constructor(now: () => number, options: MetricsOptions = {}) {
    this.#startSeconds = Math.floor(now() / 1000);
    this.#dns = options.dnsCounters ?? new Float64Array(DNS_COUNTER_SLOTS);
    if (this.#dns.length !== DNS_COUNTER_SLOTS) throw new Error(`dnsCounters must hold ${DNS_COUNTER_SLOTS} numbers`);
    this.#counters = DNS_COUNTERS.views(this.#dns);
    this.#forward = options.forward;
  }

  /**
   * Per-packet counters another thread keeps (its MetricsOptions.dnsCounters), rendered summed
   * with this registry's. A worker thread that ends leaves its counts there for the next.
   */
  include(dnsCounters: Float64Array): void {
    this.#included.push(dnsCounters);
  }

  /** One count of a labelled counter (what a worker thread forwards). */
  count(name: LabelledCounterName, values: readonly string[]): void {
    if (this.#forward) this.#forward(name, values);
    else this.#labelled[name].inc(values);
  }

  /** One DNS query answered (rcode from the header) or left unanswered (rcode undefined). */
  dnsAnswer(transport: DnsTransport, rcode: number | undefined, seconds: number, cacheHit: boolean): void {
    const { queries, unanswered, cacheHits, latency, latencySum } = this.#counters;
    const t = TRANSPORT_INDEX[transport];
    if (rcode === undefined) {
      unanswered[t]!++;
      return;
    }
    queries[t * RCODES + (rcode & 0x0f)]!++;
    if (cacheHit) cacheHits[t]!++;
    latencySum[t]! += seconds;
    const base = t * (LATENCY_BUCKETS.length + 1);
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    latency[base + i]!++;
  }

  /** Response rate limiting answered with a truncated slip, or dropped the answer. */
  rrl(action: RrlAction): void {
    this.#counters.rrl[action === 'slip' ? 0 : 1]!++;
  }

  report(via: 'api' | 'dyndns2', changed: boolean): void {
    this.count('hairpin_reports_total', [via, changed ? 'changed' : 'unchanged']);
  }

  dyndns(answer: string): void {
    this.count('hairpin_dyndns_answers_total', [answer]);
  }

  transfer(type: 'axfr' | 'ixfr', outcome: 'served' | 'refused'): void {
    this.count('hairpin_zone_transfers_total', [type, outcome]);
  }

  notify(outcome: string): void {
    this.count('hairpin_notify_total', [outcome]);
  }

  http(route: string, method: string, status: number): void {
    this.count('hairpin_http_requests_total', [route, method, String(status)]);
  }

  render(): string {
    const out: string[] = [];
    const total = this.#dns.slice();
    for (const other of this.#included) for (let i = 0; i < total.length; i++) total[i]! += other[i]!;
    const { queries, unanswered, cacheHits, latency, latencySum, rrl } = DNS_COUNTERS.views(total);
    const family = (name: string, type: string, help: string) =>
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    family('hairpin_start_time_seconds', 'gauge', 'When this manager process (or Workers isolate) started, Unix time.');
    out.push(`hairpin_start_time_seconds ${this.#startSeconds}`);
    family('hairpin_dns_queries_total', 'counter', 'DNS queries answered, by transport and response code.');
    TRANSPORTS.forEach((transport, t) => {
      for (let r = 0; r < RCODES; r++) {
        const n = queries[t * RCODES + r]!;
        // NOERROR, NXDOMAIN and REFUSED always, so rate() has a series from the first scrape.
        if (n > 0 || r === 0 || r === 3 || r === 5)
          out.push(`hairpin_dns_queries_total{transport="${transport}",rcode="${rcodeName(r)}"} ${n}`);
      }
    });
    family(
      'hairpin_dns_unanswered_total',
      'counter',
      'DNS messages left without an answer (too short, a response, nothing to say).',
    );
    TRANSPORTS.forEach((transport, t) =>
      out.push(`hairpin_dns_unanswered_total{transport="${transport}"} ${unanswered[t]}`),
    );
    family('hairpin_dns_cache_hits_total', 'counter', 'DNS answers served from the response cache.');
    TRANSPORTS.forEach((transport, t) =>
      out.push(`hairpin_dns_cache_hits_total{transport="${transport}"} ${cacheHits[t]}`),
    );
    family('hairpin_dns_answer_seconds', 'histogram', "Time from a query's arrival to its answer being ready.");
    TRANSPORTS.forEach((transport, t) => {
      const base = t * (LATENCY_BUCKETS.length + 1);
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((le, i) => {
        cumulative += latency[base + i]!;
        out.push(`hairpin_dns_answer_seconds_bucket{transport="${transport}",le="${le}"} ${cumulative}`);
      });
      cumulative += latency[base + LATENCY_BUCKETS.length]!;
      out.push(`hairpin_dns_answer_seconds_bucket{transport="${transport}",le="+Inf"} ${cumulative}`);
      out.push(`hairpin_dns_answer_seconds_sum{transport="${transport}"} ${latencySum[t]}`);
      out.push(`hairpin_dns_answer_seconds_count{transport="${transport}"} ${cumulative}`);
    });
    family(
      'hairpin_dns_rrl_actions_total',
      'counter',
      'Response rate limiting: answers replaced by a truncated slip, or dropped.',
    );
    out.push(
      `hairpin_dns_rrl_actions_total{action="slip"} ${rrl[0]}`,
      `hairpin_dns_rrl_actions_total{action="drop"} ${rrl[1]}`,
    );
    for (const counter of Object.values(this.#labelled)) counter.render(out);
    return `${out.join('\n')}\n`;
  }
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
