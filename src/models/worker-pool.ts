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

/** A job with its argument; the same record waits in the queue and then in service. */
interface Job {
  readonly run: (arg: unknown) => void;
  readonly arg: unknown;
  readonly shed: ((arg: unknown) => void) | undefined;
  readonly atMs: number;
}

const invoke = (job: () => void): void => job();

/**
 * A fixed number of workers (database connections, API threads) in front of a bounded queue.
 * A job's work happens when its service time is over, as a transaction commits at its end.
 */
export class WorkerPool {
  private readonly queue = new Fifo<Job>();
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
    return this.submitCall(invoke, job, shed);
  }

  /**
   * submit() for a job that is a long-lived function and its argument: `run(arg)` at the end of
   * its service time, `shed(arg)` if it waited past the queue deadline. No closure per job.
   */
  submitCall<A>(run: (arg: A) => void, arg: A, shed?: (arg: A) => void): boolean {
    const free = this.busy < this.options.workers;
    if (!free && this.queue.length >= this.options.queueLimit) return false;
    const job: Job = { run: run as (arg: unknown) => void, arg, shed: shed as ((arg: unknown) => void) | undefined, atMs: this.clock.now() };
    if (free) {
      this.start(job);
      return true;
    }
    this.queue.push(job);
    this.options.onQueueDepth?.(this.queue.length, this.clock.now());
    return true;
  }

  private start(job: Job): void {
    this.busy++;
    const now = this.clock.now();
    const factor = this.options.slowdown?.(now) ?? 1;
    this.clock.call(this.options.serviceTimeMs(this.rng) * factor, this.finish, job);
  }

  private readonly finish = (job: Job): void => {
    this.busy--;
    job.run(job.arg);
    const next = this.nextLive();
    if (next !== undefined) {
      this.options.onQueueDepth?.(this.queue.length, this.clock.now());
      this.start(next);
    } else if (this.busy === 0) {
      this.options.onIdle?.(this.clock.now());
    }
  };

  /** The next queued job still worth doing; the ones past the deadline are shed on the way. */
  private nextLive(): Job | undefined {
    const deadline = this.options.queueTimeoutMs ?? 0;
    for (let q = this.queue.shift(); q !== undefined; q = this.queue.shift()) {
      if (deadline <= 0 || q.shed === undefined || this.clock.now() - q.atMs <= deadline) return q;
      q.shed(q.arg);
    }
    return undefined;
  }
}
