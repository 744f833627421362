import { performance } from 'node:perf_hooks';
import type { Clock, Timer } from '../ports/clock.js';

const NOOP: Timer = Object.freeze({ cancel() {} });

/**
 * The Clock port on node's timers: milliseconds since the clock was made, from the monotonic
 * performance clock. Node timers have whole-millisecond resolution (a 0.3 ms timer waits 1 ms,
 * a 4.7 ms one 4), so delays are rounded to the nearest millisecond, which keeps the mean right,
 * and a delay that rounds to zero runs on setImmediate instead of a timer: a wallet with no
 * artificial service time gets no 1 ms floor. setImmediate still never runs the callback inside
 * the caller (the log's consumers rely on that).
 *
 * It keeps the callbacks it still owes, so a runner can tell when everything scheduled through
 * it (the provider's arrivals, timeouts, backoffs, games) is over, and can halt it: an
 * interrupted run stops the provider without a stop method in the core.
 */
export class RealClock implements Clock {
  private originMs: number;
  private readonly live = new Set<RealTimer>();
  private halted = false;

  constructor(originMs: number = performance.now()) {
    this.originMs = originMs;
  }

  /** The wall time of the clock's zero, in ms since the Unix epoch. */
  get epochMs(): number {
    return performance.timeOrigin + this.originMs;
  }

  now(): number {
    return performance.now() - this.originMs;
  }

  /** Callbacks scheduled and neither run nor cancelled. */
  get pending(): number {
    return this.live.size;
  }

  after(delayMs: number, fn: () => void): Timer {
    if (this.halted) return NOOP;
    const timer = new RealTimer(this.live, fn, Math.round(delayMs));
    this.live.add(timer);
    return timer;
  }

  /** Moves the clock's zero to now; only before anything is scheduled (the run starts here). */
  restart(): void {
    if (this.live.size > 0) throw new Error('RealClock.restart with callbacks pending');
    this.originMs = performance.now();
  }

  /** Cancels everything owed and ignores what is scheduled from now on. */
  halt(): void {
    this.halted = true;
    for (const t of [...this.live]) t.cancel();
  }
}

class RealTimer implements Timer {
  private readonly handle: NodeJS.Timeout | NodeJS.Immediate;
  private readonly immediate: boolean;

  constructor(
    private readonly live: Set<RealTimer>,
    private readonly fn: () => void,
    delayMs: number,
  ) {
    this.immediate = !(delayMs > 0);
    this.handle = this.immediate ? setImmediate(() => this.run()) : setTimeout(() => this.run(), delayMs);
  }

  private run(): void {
    this.live.delete(this);
    this.fn();
  }

  cancel(): void {
    if (!this.live.delete(this)) return;
    if (this.immediate) clearImmediate(this.handle as NodeJS.Immediate);
    else clearTimeout(this.handle as NodeJS.Timeout);
  }
}
