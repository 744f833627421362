import { LatencyHistogram } from '../report/histogram.js';

/** Figures of one interval of run time, as the dashboard and the HTML plots show them. */
export interface IntervalFigures {
  readonly tMs: number;
  /** Logical operations the provider started in the interval. */
  readonly offered: number;
  /** Logical operations that ended OK in the interval. */
  readonly goodput: number;
  readonly attempts: number;
  readonly retries: number;
  readonly timeouts: number;
  /** Operations applied more than once, seen as they happen. */
  readonly duplicates: number;
  readonly maxQueueDepth: number;
  readonly maxLagMs: number;
  readonly ackP50Ms: number;
  readonly ackP99Ms: number;
}

export interface Series {
  readonly intervalMs: number;
  readonly intervals: readonly IntervalFigures[];
}

type Counter = 'offered' | 'goodput' | 'attempts' | 'retries' | 'timeouts' | 'duplicates';

/**
 * Buckets figures by run time. Time never goes back in a run, so an interval is complete the
 * moment something happens in a later one: it is closed then (its ack percentiles computed,
 * the listener told) and a single histogram is reused for the next.
 */
export class SeriesRecorder {
  private readonly closed: IntervalFigures[] = [];
  private index = 0;
  private counts = { offered: 0, goodput: 0, attempts: 0, retries: 0, timeouts: 0, duplicates: 0 };
  private maxQueueDepth = 0;
  private maxLagMs = 0;
  private readonly ack = new LatencyHistogram();

  constructor(
    readonly intervalMs: number,
    private readonly onInterval?: (figures: IntervalFigures) => void,
  ) {}

  count(what: Counter, nowMs: number): void {
    this.at(nowMs);
    this.counts[what]++;
  }

  ackLatency(latencyMs: number, nowMs: number): void {
    this.at(nowMs);
    this.ack.recordMs(latencyMs);
  }

  queueDepth(depth: number, nowMs: number): void {
    this.at(nowMs);
    if (depth > this.maxQueueDepth) this.maxQueueDepth = depth;
  }

  lag(lagMs: number, nowMs: number): void {
    this.at(nowMs);
    if (lagMs > this.maxLagMs) this.maxLagMs = lagMs;
  }

  /** Closes every interval up to endMs and returns the whole series. */
  finish(endMs: number): Series {
    this.at(endMs);
    this.close();
    return { intervalMs: this.intervalMs, intervals: this.closed };
  }

  private at(nowMs: number): void {
    const index = Math.floor(nowMs / this.intervalMs);
    while (this.index < index) this.close();
  }

  private close(): void {
    const figures: IntervalFigures = {
      tMs: this.index * this.intervalMs,
      ...this.counts,
      maxQueueDepth: this.maxQueueDepth,
      maxLagMs: Math.round(this.maxLagMs * 1000) / 1000,
      ackP50Ms: this.ack.percentileMs(50),
      ackP99Ms: this.ack.percentileMs(99),
    };
    this.closed.push(figures);
    this.onInterval?.(figures);
    this.index++;
    this.counts = { offered: 0, goodput: 0, attempts: 0, retries: 0, timeouts: 0, duplicates: 0 };
    this.maxQueueDepth = 0;
    this.maxLagMs = 0;
    this.ack.hdr.reset();
  }
}
