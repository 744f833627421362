import { performance } from 'node:perf_hooks';
import type { Clock, Timer } from '../ports/clock.js';
import { Fifo } from '../util/fifo.js';

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
 * Timers of one delay that is the same every time (the provider's per-attempt timeout, armed
 * for every attempt and nearly always cancelled by the answer) can go to a lane (addLane): with
 * a constant delay and a monotonic clock their order of scheduling is their order of firing, so
 * one node timer, armed for the oldest live one, replaces a node timer per attempt, and
 * cancelling one is a flag. The virtual clock has the same lanes (VirtualClock.addLane).
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
  private readonly lanes = new Map<number, Lane>();

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
    let n = this.live.size;
    for (const lane of this.lanes.values()) n += lane.live;
    return n;
  }

  /**
   * A performance hint: timers of exactly this delay will be frequent (and mostly cancelled).
   * When they fire is unaffected: at their delay, to the millisecond as node timers.
   */
  addLane(delayMs: number): void {
    if (delayMs >= 1 && !this.lanes.has(delayMs)) this.lanes.set(delayMs, new Lane(this, delayMs));
  }

  call<A>(delayMs: number, fn: (arg: A) => void, arg: A): void {
    this.after(delayMs, () => fn(arg));
  }

  after(delayMs: number, fn: () => void): Timer {
    if (this.halted) return NOOP;
    if (this.lanes.size > 0) {
      const lane = this.lanes.get(delayMs);
      if (lane !== undefined) return lane.add(fn);
    }
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
    if (this.pending > 0) throw new Error('RealClock.restart with callbacks pending');
    this.originMs = performance.now();
  }

  /** Cancels everything owed and ignores what is scheduled from now on. */
  halt(): void {
    this.halted = true;
    for (const t of [...this.live]) t.cancel();
    this.due = [];
    for (const lane of this.lanes.values()) lane.clear();
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

/** A timer in a lane: its callback until it runs or is cancelled. */
class LaneTimer implements Timer {
  constructor(
    private readonly lane: Lane,
    readonly atMs: number,
    public fn: (() => void) | undefined,
  ) {}

  cancel(): void {
    if (this.fn === undefined) return;
    this.fn = undefined;
    this.lane.cancelled();
  }
}

/**
 * The timers of one constant delay, in the order they were scheduled, which is the order they
 * are due. One node timer is armed for the head; the cancelled ones are dropped when they reach
 * the head, and the node timer goes when nothing live is left, so it never keeps the process
 * alive for nothing.
 */
class Lane {
  private readonly timers = new Fifo<LaneTimer>();
  /** Timers neither run nor cancelled. */
  live = 0;
  private handle: NodeJS.Timeout | undefined;
  private firing = false;

  constructor(
    private readonly clock: RealClock,
    private readonly delayMs: number,
  ) {}

  add(fn: () => void): LaneTimer {
    const timer = new LaneTimer(this, this.clock.now() + this.delayMs, fn);
    this.timers.push(timer);
    this.live++;
    if (this.handle === undefined && !this.firing) this.arm(this.delayMs);
    return timer;
  }

  cancelled(): void {
    this.live--;
    if (this.live === 0) {
      this.clear();
      return;
    }
    // Answers come back roughly in the order they were sent: keep the list short.
    const timers = this.timers;
    while (timers.peek()?.fn === undefined) timers.shift();
  }

  /** Forgets every timer (the clock halted, or none is live): cancelling one later does nothing. */
  clear(): void {
    for (let t = this.timers.shift(); t !== undefined; t = this.timers.shift()) t.fn = undefined;
    this.live = 0;
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }

  private arm(delayMs: number): void {
    this.handle = setTimeout(this.fire, Math.max(1, Math.round(delayMs)));
  }

  /** Runs every timer that is due (node timers count whole milliseconds), then waits for the next. */
  private readonly fire = (): void => {
    this.handle = undefined;
    this.firing = true;
    const timers = this.timers;
    const clock = this.clock;
    try {
      for (;;) {
        const head = timers.peek();
        if (head === undefined) break;
        const fn = head.fn;
        if (fn !== undefined) {
          if (head.atMs - clock.now() >= 0.5) break;
          head.fn = undefined;
          this.live--;
        }
        timers.shift();
        if (fn !== undefined) fn();
      }
    } finally {
      this.firing = false;
      const head = timers.peek();
      if (head !== undefined && this.handle === undefined) this.arm(head.atMs - clock.now());
    }
  };
}
