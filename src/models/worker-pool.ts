import type { Clock } from '../ports/clock.js';
import type { Random } from '../ports/random.js';
import type { Sampler } from '../sim/distributions.js';

export interface WorkerPoolOptions {
  readonly workers: number;
  /** Requests allowed to wait for a worker; one more is refused (OVERLOADED). */
  readonly queueLimit: number;
  readonly serviceTimeMs: Sampler;
  /**
   * A server-side deadline: a job that waited longer than this is shed (the pool's `shed` runs
   * instead of its work) because its client has given up by now. 0: never shed.
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
 *
 * Every job of a pool runs the same function (`work`) on its own argument, so a job is just
 * that argument: the queue is a ring of arguments and arrival times, and a job in service is a
 * clock call with the argument. No object or closure per job.
 */
export class WorkerPool<J> {
  private jobs: (J | undefined)[] = new Array<J | undefined>(64).fill(undefined);
  private arrivedAtMs = new Float64Array(64);
  private mask = 63;
  private head = 0;
  private tail = 0;
  private busy = 0;

  constructor(
    private readonly clock: Clock,
    private readonly rng: Random,
    private readonly options: WorkerPoolOptions,
    /** A job's work, at the end of its service time. */
    private readonly work: (job: J) => void,
    /** Instead of the work, for a job that waited past the queue deadline; never shed without it. */
    private readonly shed?: (job: J) => void,
  ) {}

  get queued(): number {
    return this.tail - this.head;
  }

  get inService(): number {
    return this.busy;
  }

  /** False when the queue is full: the caller answers OVERLOADED. */
  submit(job: J): boolean {
    if (this.busy < this.options.workers) {
      this.start(job);
      return true;
    }
    if (this.tail - this.head >= this.options.queueLimit) return false;
    this.enqueue(job);
    this.options.onQueueDepth?.(this.tail - this.head, this.clock.now());
    return true;
  }

  private start(job: J): void {
    this.busy++;
    const now = this.clock.now();
    const factor = this.options.slowdown?.(now) ?? 1;
    this.clock.call(this.options.serviceTimeMs(this.rng) * factor, this.finish, job);
  }

  private readonly finish = (job: J): void => {
    this.busy--;
    this.work(job);
    const next = this.nextLive();
    if (next !== undefined) {
      this.options.onQueueDepth?.(this.tail - this.head, this.clock.now());
      this.start(next);
    } else if (this.busy === 0) {
      this.options.onIdle?.(this.clock.now());
    }
  };

  /** The next queued job still worth doing; the ones past the deadline are shed on the way. */
  private nextLive(): J | undefined {
    const deadline = this.options.queueTimeoutMs ?? 0;
    while (this.head < this.tail) {
      const i = this.head & this.mask;
      const job = this.jobs[i]!;
      const atMs = this.arrivedAtMs[i]!;
      this.jobs[i] = undefined;
      this.head++;
      if (deadline <= 0 || this.shed === undefined || this.clock.now() - atMs <= deadline) return job;
      this.shed(job);
    }
    return undefined;
  }

  private enqueue(job: J): void {
    if (this.tail - this.head > this.mask) this.grow();
    const i = this.tail & this.mask;
    this.jobs[i] = job;
    this.arrivedAtMs[i] = this.clock.now();
    this.tail++;
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const jobs = new Array<J | undefined>(cap).fill(undefined);
    const arrivedAtMs = new Float64Array(cap);
    for (let p = this.head; p < this.tail; p++) {
      jobs[p & (cap - 1)] = this.jobs[p & this.mask];
      arrivedAtMs[p & (cap - 1)] = this.arrivedAtMs[p & this.mask]!;
    }
    this.jobs = jobs;
    this.arrivedAtMs = arrivedAtMs;
    this.mask = cap - 1;
  }
}
