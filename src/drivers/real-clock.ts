import { performance } from 'node:perf_hooks';
import type { Clock, Timer } from '../ports/clock.js';

const NOOP: Timer = Object.freeze({ cancel() {} });

/** Due callbacks run per turn of the event loop before it polls for I/O again. */
const MAX_DUE_PER_TURN = 10_000;

/**
 * The Clock port on node's timers: milliseconds since the clock was made, from the monotonic
 * performance clock. Node timers have whole-millisecond resolution (a 0.3 ms timer waits 1 ms,
 * a 4.7 ms one 4), so delays are rounded to the nearest millisecond, which keeps the mean right.
 *
 * A delay that rounds to zero runs without a timer, on one shared setImmediate: a wallet with
 * no artificial service time gets no 1 ms floor, and a chain of due callbacks (arrivals that
 * are already late, a queue of zero-time jobs) runs in one turn instead of one callback per
 * turn of the event loop, which would cap the generator's rate at the loop's turn rate. They
 * still never run inside the caller (the log's consumers rely on that), and a turn is bounded
 * so that I/O is never starved.
 *
 * It keeps the callbacks it still owes, so a runner can tell when everything scheduled through
 * it (the provider's arrivals, timeouts, backoffs, games) is over, and can halt it: an
 * interrupted run stops the provider without a stop method in the core.
 */
export class RealClock implements Clock {
  private originMs: number;
  private readonly live = new Set<RealTimer>();
  private due: RealTimer[] = [];
  private dueScheduled = false;
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
    const roundedMs = Math.round(delayMs);
    const timer = new RealTimer(this.live, fn);
    this.live.add(timer);
    if (roundedMs > 0) {
      timer.handle = setTimeout(() => timer.run(), roundedMs);
    } else {
      this.due.push(timer);
      if (!this.dueScheduled) {
        this.dueScheduled = true;
        setImmediate(this.runDue);
      }
    }
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
    this.due = [];
  }

  private readonly runDue = (): void => {
    // Callbacks scheduled while this turn runs join it, up to the bound.
    let ran = 0;
    let i = 0;
    for (; i < this.due.length && ran < MAX_DUE_PER_TURN; i++) {
      const t = this.due[i]!;
      if (t.run()) ran++;
    }
    this.due = this.due.slice(i);
    if (this.due.length > 0) setImmediate(this.runDue);
    else this.dueScheduled = false;
  };
}

class RealTimer implements Timer {
  handle: NodeJS.Timeout | undefined;

  constructor(
    private readonly live: Set<RealTimer>,
    private readonly fn: () => void,
  ) {}

  /** Runs it unless it was cancelled; true if it ran. */
  run(): boolean {
    if (!this.live.delete(this)) return false;
    this.fn();
    return true;
  }

  cancel(): void {
    if (!this.live.delete(this)) return;
    if (this.handle !== undefined) clearTimeout(this.handle);
  }
}
