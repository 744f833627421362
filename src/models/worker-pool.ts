import type { Clock } from '../ports/clock.js';
import type { Random } from '../ports/random.js';
import type { Sampler } from '../sim/distributions.js';
import { Fifo } from '../util/fifo.js';

export interface WorkerPoolOptions {
  readonly workers: number;
  /** Requests allowed to wait for a worker; one more is refused (OVERLOADED). */
  readonly queueLimit: number;
  readonly serviceTimeMs: Sampler;
  /**
   * A server-side deadline: a job that waited longer than this is shed (its `shed` callback
   * runs instead of its work) because its client has given up by now. 0: never shed.
   */
  readonly queueTimeoutMs?: number;
  /** Multiplies service time at a given moment (a slow database); 1 when absent. */
  readonly slowdown?: (nowMs: number) => number;
  readonly onQueueDepth?: (depth: number, nowMs: number) => void;
  readonly onIdle?: (nowMs: number) => void;
}

/**
 * A fixed number of workers (database connections, API threads) in front of a bounded queue.
 * A job's work happens when its service time is over, as a transaction commits at its end.
 */
interface Queued {
  readonly run: () => void;
  readonly shed: (() => void) | undefined;
  readonly atMs: number;
}

export class WorkerPool {
  private readonly queue = new Fifo<Queued>();
  private busy = 0;

  constructor(
    private readonly clock: Clock,
    private readonly rng: Random,
    private readonly options: WorkerPoolOptions,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  get inService(): number {
    return this.busy;
  }

  /** False when the queue is full: the caller answers OVERLOADED. */
  submit(job: () => void, shed?: () => void): boolean {
    if (this.busy < this.options.workers) {
      this.start(job);
      return true;
    }
    if (this.queue.length >= this.options.queueLimit) return false;
    this.queue.push({ run: job, shed, atMs: this.clock.now() });
    this.options.onQueueDepth?.(this.queue.length, this.clock.now());
    return true;
  }

  private start(job: () => void): void {
    this.busy++;
    const now = this.clock.now();
    const factor = this.options.slowdown?.(now) ?? 1;
    this.clock.after(this.options.serviceTimeMs(this.rng) * factor, () => this.finish(job));
  }

  private finish(job: () => void): void {
    this.busy--;
    job();
    const next = this.nextLive();
    if (next !== undefined) {
      this.options.onQueueDepth?.(this.queue.length, this.clock.now());
      this.start(next);
    } else if (this.busy === 0) {
      this.options.onIdle?.(this.clock.now());
    }
  }

  /** The next queued job still worth doing; the ones past the deadline are shed on the way. */
  private nextLive(): (() => void) | undefined {
    const deadline = this.options.queueTimeoutMs ?? 0;
    for (let q = this.queue.shift(); q !== undefined; q = this.queue.shift()) {
      if (deadline <= 0 || q.shed === undefined || this.clock.now() - q.atMs <= deadline) return q.run;
      q.shed();
    }
    return undefined;
  }
}
