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

  inc(...values: string[]): void {
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
  readonly #queries = new Float64Array(TRANSPORTS.length * RCODES);
  readonly #unanswered = new Float64Array(TRANSPORTS.length);
  readonly #cacheHits = new Float64Array(TRANSPORTS.length);
  /** Per transport: one cumulative count per bucket, then +Inf. */
  readonly #latency = new Float64Array(TRANSPORTS.length * (LATENCY_BUCKETS.length + 1));
  readonly #latencySum = new Float64Array(TRANSPORTS.length);
  readonly #rrl = new Float64Array(2);
  readonly #labelled = Object.fromEntries(
    Object.entries(LABELLED).map(([name, [labels, help]]) => [name, new LabelledCounter(name, help, labels)]),
  ) as Record<keyof typeof LABELLED, LabelledCounter>;

  constructor(now: () => number) {
    this.#startSeconds = Math.floor(now() / 1000);
  }

  /** One DNS query answered (rcode from the header) or left unanswered (rcode undefined). */
  dnsAnswer(transport: DnsTransport, rcode: number | undefined, seconds: number, cacheHit: boolean): void {
    const t = TRANSPORT_INDEX[transport];
    if (rcode === undefined) {
      this.#unanswered[t]!++;
      return;
    }
    this.#queries[t * RCODES + (rcode & 0x0f)]!++;
    if (cacheHit) this.#cacheHits[t]!++;
    this.#latencySum[t]! += seconds;
    const base = t * (LATENCY_BUCKETS.length + 1);
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    this.#latency[base + i]!++;
  }

  /** Response rate limiting answered with a truncated slip, or dropped the answer. */
  rrl(action: RrlAction): void {
    this.#rrl[action === 'slip' ? 0 : 1]!++;
  }

  report(via: 'api' | 'dyndns2', changed: boolean): void {
    this.#labelled.hairpin_reports_total.inc(via, changed ? 'changed' : 'unchanged');
  }

  dyndns(answer: string): void {
    this.#labelled.hairpin_dyndns_answers_total.inc(answer);
  }

  transfer(type: 'axfr' | 'ixfr', outcome: 'served' | 'refused'): void {
    this.#labelled.hairpin_zone_transfers_total.inc(type, outcome);
  }

  notify(outcome: string): void {
    this.#labelled.hairpin_notify_total.inc(outcome);
  }

  http(route: string, method: string, status: number): void {
    this.#labelled.hairpin_http_requests_total.inc(route, method, String(status));
  }

  render(): string {
    const out: string[] = [];
    const family = (name: string, type: string, help: string) =>
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    family('hairpin_start_time_seconds', 'gauge', 'When this manager process (or Workers isolate) started, Unix time.');
    out.push(`hairpin_start_time_seconds ${this.#startSeconds}`);
    family('hairpin_dns_queries_total', 'counter', 'DNS queries answered, by transport and response code.');
    TRANSPORTS.forEach((transport, t) => {
      for (let r = 0; r < RCODES; r++) {
        const n = this.#queries[t * RCODES + r]!;
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
      out.push(`hairpin_dns_unanswered_total{transport="${transport}"} ${this.#unanswered[t]}`),
    );
    family('hairpin_dns_cache_hits_total', 'counter', 'DNS answers served from the response cache.');
    TRANSPORTS.forEach((transport, t) =>
      out.push(`hairpin_dns_cache_hits_total{transport="${transport}"} ${this.#cacheHits[t]}`),
    );
    family('hairpin_dns_answer_seconds', 'histogram', "Time from a query's arrival to its answer being ready.");
    TRANSPORTS.forEach((transport, t) => {
      const base = t * (LATENCY_BUCKETS.length + 1);
      let cumulative = 0;
      LATENCY_BUCKETS.forEach((le, i) => {
        cumulative += this.#latency[base + i]!;
        out.push(`hairpin_dns_answer_seconds_bucket{transport="${transport}",le="${le}"} ${cumulative}`);
      });
      cumulative += this.#latency[base + LATENCY_BUCKETS.length]!;
      out.push(`hairpin_dns_answer_seconds_bucket{transport="${transport}",le="+Inf"} ${cumulative}`);
      out.push(`hairpin_dns_answer_seconds_sum{transport="${transport}"} ${this.#latencySum[t]}`);
      out.push(`hairpin_dns_answer_seconds_count{transport="${transport}"} ${cumulative}`);
    });
    family(
      'hairpin_dns_rrl_actions_total',
      'counter',
      'Response rate limiting: answers replaced by a truncated slip, or dropped.',
    );
    out.push(
      `hairpin_dns_rrl_actions_total{action="slip"} ${this.#rrl[0]}`,
      `hairpin_dns_rrl_actions_total{action="drop"} ${this.#rrl[1]}`,
    );
    for (const counter of Object.values(this.#labelled)) counter.render(out);
    return `${out.join('\n')}\n`;
  }
}

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
