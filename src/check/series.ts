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

/** What an interval counts, as indexes into its counters (a counter is hit several times per attempt). */
export const COUNTER = { offered: 0, goodput: 1, attempts: 2, retries: 3, timeouts: 4, duplicates: 5 } as const;
type Counter = (typeof COUNTER)[keyof typeof COUNTER];

/**
 * Buckets figures by run time. Time never goes back in a run, so an interval is complete the
 * moment something happens in a later one: it is closed then (its ack percentiles computed,
 * the listener told) and a single histogram is reused for the next.
 */
export class SeriesRecorder {
  private readonly closed: IntervalFigures[] = [];
  private index = 0;
  /**
   * Below this run time nothing can be in a later interval, so `at` needs no division. It lies a
   * hair before the boundary: whether a time belongs to the next interval is still decided by
   * the division itself, exactly as it always was.
   */
  private checkFromMs: number;
  private readonly counts = [0, 0, 0, 0, 0, 0];
  private maxQueueDepth = 0;
  private maxLagMs = 0;
  private readonly ack = new LatencyHistogram();

  constructor(
    readonly intervalMs: number,
    private readonly onInterval?: (figures: IntervalFigures) => void,
  ) {
    this.checkFromMs = this.boundaryBefore(1);
  }

  count(what: Counter, nowMs: number): void {
    this.at(nowMs);
    this.counts[what]!++;
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
    if (nowMs < this.checkFromMs) return;
    const index = Math.floor(nowMs / this.intervalMs);
    while (this.index < index) this.close();
    this.checkFromMs = this.boundaryBefore(this.index + 1);
  }

  private boundaryBefore(index: number): number {
    return index * this.intervalMs * (1 - 1e-9);
  }

  private close(): void {
    const c = this.counts;
    const figures: IntervalFigures = {
      tMs: this.index * this.intervalMs,
      offered: c[COUNTER.offered]!,
      goodput: c[COUNTER.goodput]!,
      attempts: c[COUNTER.attempts]!,
      retries: c[COUNTER.retries]!,
      timeouts: c[COUNTER.timeouts]!,
      duplicates: c[COUNTER.duplicates]!,
      maxQueueDepth: this.maxQueueDepth,
      maxLagMs: Math.round(this.maxLagMs * 1000) / 1000,
      ackP50Ms: this.ack.percentileMs(50),
      ackP99Ms: this.ack.percentileMs(99),
    };
    this.closed.push(figures);
    this.onInterval?.(figures);
    this.index++;
    c.fill(0);
    this.maxQueueDepth = 0;
    this.maxLagMs = 0;
    this.ack.reset();
  }
}
