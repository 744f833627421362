import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type RouteName = 'bet' | 'win' | 'rollback' | 'balance' | 'transactions' | 'refusals' | 'balances' | 'other';

/** What the server reads at scrape time (gauges are not pushed on the hot path). */
export interface MetricsSources {
  readonly queueDepth: () => number;
  readonly logLagMs: () => number;
  readonly logBacklog: () => number;
  readonly ledgerReplays: () => number;
}

/**
 * The server's Prometheus metrics, on a registry of its own so that several servers can live in
 * one process (the tests start many). Labelled children are cached: prom-client hashes the label
 * set on every call otherwise, which shows in the request rate.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'op' | 'result'>;
  private readonly duration: Histogram<'op'>;
  private readonly prevented: Counter;
  private readonly children = new Map<string, { inc(): void }>();
  private readonly timers = new Map<RouteName, { observe(v: number): void }>();

  constructor(sources: MetricsSources) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'walletstorm_requests_total', help: 'Requests answered, by operation and result code', labelNames: ['op', 'result'], registers });
    this.duration = new Histogram({
      name: 'walletstorm_request_duration_seconds',
      help: 'Time from a request arriving to its answer being written, by operation',
      labelNames: ['op'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.prevented = new Counter({
      name: 'walletstorm_duplicates_prevented_total',
      help: 'Attempts answered as replays by idempotency: each one would have been a duplicate without it',
      registers,
    });
    new Gauge({ name: 'walletstorm_queue_depth', help: 'Requests waiting for a worker', registers, collect() { this.set(sources.queueDepth()); } });
    new Gauge({ name: 'walletstorm_log_lag_seconds', help: 'Age of the last record a consumer took from the log', registers, collect() { this.set(sources.logLagMs() / 1000); } });
    new Gauge({ name: 'walletstorm_log_backlog_records', help: 'Records appended to the log and not yet applied', registers, collect() { this.set(sources.logBacklog()); } });
    // A counter (it only grows), read from the ledger at scrape time rather than pushed.
    new Counter({
      name: 'walletstorm_ledger_replays_total',
      help: 'Replays answered from the ledger’s idempotency records (event-driven: redeliveries skipped by the inbox)',
      registers,
      collect() {
        this.reset();
        this.inc(sources.ledgerReplays());
      },
    });
  }

  answered(op: RouteName, result: string, seconds: number, replay: boolean): void {
    const key = `${op}\u0000${result}`;
    let child = this.children.get(key);
    if (child === undefined) {
      child = this.requests.labels(op, result);
      this.children.set(key, child);
    }
    child.inc();
    let timer = this.timers.get(op);
    if (timer === undefined) {
      timer = this.duration.labels(op);
      this.timers.set(op, timer);
    }
    timer.observe(seconds);
    if (replay) this.prevented.inc();
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
