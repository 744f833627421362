import { performance } from 'node:perf_hooks';
import type { Clock, Timer } from '../ports/clock.js';

/**
 * The Clock port on node's timers: milliseconds since the clock was made, from the monotonic
 * performance clock. Node timers have whole-millisecond resolution (a 0.3 ms timer waits 1 ms,
 * a 4.7 ms one 4), so delays are rounded to the nearest millisecond, which keeps the mean right,
 * and a delay that rounds to zero runs on setImmediate instead of a timer: a wallet with no
 * artificial service time gets no 1 ms floor. setImmediate still never runs the callback inside
 * the caller (the log's consumers rely on that).
 *
 * It also counts the callbacks it still owes, so a runner can tell when everything that was
 * scheduled through it (the provider's arrivals, timeouts, backoffs, games) is over.
 */
export class RealClock implements Clock {
  private readonly originMs: number;
  private owed = 0;

  constructor(originMs: number = performance.now()) {
    this.originMs = originMs;
  }

  /** performance.timeOrigin + origin: the wall time of the clock's zero, for logs and the audit. */
  get epochMs(): number {
    return performance.timeOrigin + this.originMs;
  }

  now(): number {
    return performance.now() - this.originMs;
  }

  /** Callbacks scheduled and neither run nor cancelled. */
  get pending(): number {
    return this.owed;
  }

  after(delayMs: number, fn: () => void): Timer {
    this.owed++;
    let live = true;
    const run = (): void => {
      live = false;
      this.owed--;
      fn();
    };
    const roundedMs = Math.round(delayMs);
    if (!(roundedMs > 0)) {
      const immediate = setImmediate(run);
      return {
        cancel: () => {
          if (!live) return;
          live = false;
          this.owed--;
          clearImmediate(immediate);
        },
      };
    }
    const timeout = setTimeout(run, roundedMs);
    return {
      cancel: () => {
        if (!live) return;
        live = false;
        this.owed--;
        clearTimeout(timeout);
      },
    };
  }
}
