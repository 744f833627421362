import { performance } from 'node:perf_hooks';
import type { Clock, Timer } from '../ports/clock.js';

type Call = (arg: unknown) => void;

const NOOP: Timer = Object.freeze({ cancel() {} });
const runThunk = (fn: () => void): void => fn();

/** Due callbacks run per turn of the event loop before it polls for I/O again. */
const MAX_DUE_PER_TURN = 10_000;

/** Lane tickets are negative: -(position * LANES + lane index) - 1; other tickets are >= 0. */
const LANES = 16;
/** What a halted clock hands out: cancel() finds nothing under it. */
const NO_TICKET = Number.NaN;
/**
 * The longest wait a node timer holds: asked for more (a reservation TTL or a drain deadline of
 * weeks), it warns and fires after 1 ms. Longer waits are taken in steps of at most this.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Date.now() at performance.now() = 0. Not performance.timeOrigin: that one is fixed when the
 * process starts and stands apart from the system clock by 1-3 ms in a fresh process here, and
 * by 40 ms in a long-lived one (a test run), so two processes' audit times disagreed by that
 * much. Date.now() counts whole ms, so the anchor is taken where it ticks over, bracketed on the
 * monotonic clock by the reads either side of the tick; a bracket widened by the process being
 * descheduled is passed over for the next tick (a few ms at most, once per clock).
 */
function wallClockAnchorMs(): number {
  let best = { widthMs: Infinity, anchorMs: Date.now() - performance.now() };
  for (let ticks = 0; ticks < 5 && best.widthMs > 0.05; ticks++) {
    const tick = nextWallTick();
    if (tick.widthMs < best.widthMs) best = tick;
  }
  return best.anchorMs;
}

/** The next tick of Date.now(): its anchor, and how wide (in monotonic ms) the bracket around it was. */
function nextWallTick(): { widthMs: number; anchorMs: number } {
  let lastBeforeMs = performance.now();
  const start = Date.now();
  // Bounded (about 20 ms of spinning) for a system clock that ticks coarsely or not at all.
  for (let spins = 0; spins < 200_000; spins++) {
    const beforeMs = performance.now();
    const wallMs = Date.now();
    const afterMs = performance.now();
    // The tick came after the previous read of the wall clock and before this one.
    if (wallMs !== start) return { widthMs: afterMs - lastBeforeMs, anchorMs: wallMs - (lastBeforeMs + afterMs) / 2 };
    lastBeforeMs = beforeMs;
  }
  return { widthMs: Infinity, anchorMs: start - performance.now() };
}

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
 * cancelling one is emptying a slot. The virtual clock has the same lanes (VirtualClock.addLane).
 * Each lane delay has a second lane for timerFrom (timeouts of the attempts that the provider held
 * back for a connection, counted from when they were meant to go out).
 *
 * It keeps the callbacks it still owes, so a runner can tell when everything scheduled through
 * it (the provider's arrivals, timeouts, backoffs, games) is over, and can halt it: an
 * interrupted run stops the provider without a stop method in the core.
 */
export class RealClock implements Clock {
  private originMs: number;
  /** Date.now() at performance.now() = 0, measured when the clock was made (see wallClockAnchorMs). */
  private readonly epochAnchorMs = wallClockAnchorMs();
  /** Timers outside lanes, by ticket, until they run or are cancelled. */
  private readonly live = new Map<number, RealTimer>();
  private nextTicket = 0;
  /**
   * Callbacks due now, in order, for the next turn: fn(arg) pairs. A `call` is queued as itself
   * (no timer object: the generator's arrivals come faster than a millisecond apart and are
   * nearly all due at once); a cancellable timer as (runTimer, its RealTimer).
   */
  private dueFns: Call[] = [];
  private dueArgs: unknown[] = [];
  /** The `call`s among them (the timers are counted in `live`). */
  private dueCalls = 0;
  private dueScheduled = false;
  private halted = false;
  private readonly lanes = new Map<number, Lane>();
  /**
   * Per lane delay, a second lane for timerFrom: timers of that delay that began earlier (the
   * provider's held-back attempts). They begin in order, so they are due in order among
   * themselves, though not among the first lane's.
   */
  private readonly fromLanes = new Map<number, Lane>();
  private readonly laneList: Lane[] = [];

  constructor(originMs: number = performance.now()) {
    this.originMs = originMs;
  }

  /**
   * The wall time of the clock's zero, in ms since the Unix epoch, on the system clock that
   * Date.now() reads (as do other processes, and the Kafka broker's timestamps): the audit's
   * times are compared across processes.
   */
  get epochMs(): number {
    return this.epochAnchorMs + this.originMs;
  }

  now(): number {
    return performance.now() - this.originMs;
  }

  /** Callbacks scheduled and neither run nor cancelled. */
  get pending(): number {
    let n = this.live.size + this.dueCalls;
    for (const lane of this.laneList) n += lane.live;
    return n;
  }

  /**
   * A performance hint: timers of exactly this delay will be frequent (and mostly cancelled).
   * When they fire is unaffected: at their delay, to the millisecond as node timers. Each delay
   * takes two of the LANES (one for timerFrom), so eight delays at most have lanes.
   */
  addLane(delayMs: number): void {
    if (delayMs >= 1 && !this.lanes.has(delayMs) && this.laneList.length + 2 <= LANES) {
      this.lanes.set(delayMs, this.newLane());
      this.fromLanes.set(delayMs, this.newLane());
    }
  }

  private newLane(): Lane {
    const lane = new Lane(this, this.laneList.length);
    this.laneList.push(lane);
    return lane;
  }

  after(delayMs: number, fn: () => void): Timer {
    if (this.halted) return NOOP;
    const ticket = this.timer(delayMs, runThunk, fn);
    return { cancel: () => this.cancel(ticket) };
  }

  call<A>(delayMs: number, fn: (arg: A) => void, arg: A): void {
    if (this.halted) return;
    if (Math.round(delayMs) > 0 || (this.laneList.length > 0 && this.lanes.has(delayMs))) {
      this.timer(delayMs, fn, arg);
      return;
    }
    this.dueCalls++;
    this.queueDue(fn as Call, arg);
  }

  timer<A>(delayMs: number, fn: (arg: A) => void, arg: A): number {
    if (this.halted) return NO_TICKET;
    if (this.laneList.length > 0) {
      const lane = this.lanes.get(delayMs);
      if (lane !== undefined) return laneTicket(lane, lane.add(fn as Call, arg, this.now() + delayMs));
    }
    const roundedMs = Math.round(delayMs);
    const ticket = this.nextTicket++;
    const timer = new RealTimer(this.live, ticket, fn as Call, arg);
    this.live.set(ticket, timer);
    if (roundedMs > 0) {
      timer.arm(roundedMs);
    } else {
      this.queueDue(RUN_TIMER, timer);
    }
    return ticket;
  }

  timerFrom<A>(startedAtMs: number, delayMs: number, fn: (arg: A) => void, arg: A): number {
    if (this.halted) return NO_TICKET;
    const dueAtMs = startedAtMs + delayMs;
    const dueInMs = dueAtMs - this.now();
    const lane = this.fromLanes.size > 0 ? this.fromLanes.get(delayMs) : undefined;
    if (lane !== undefined && dueInMs >= 0.5 && lane.takes(dueAtMs)) return laneTicket(lane, lane.add(fn as Call, arg, dueAtMs));
    return this.timer(Math.max(0, dueInMs), fn, arg);
  }

  private queueDue(fn: Call, arg: unknown): void {
    this.dueFns.push(fn);
    this.dueArgs.push(arg);
    if (!this.dueScheduled) {
      this.dueScheduled = true;
      setImmediate(this.runDue);
    }
  }

  cancel(ticket: number): void {
    if (ticket >= 0) {
      this.live.get(ticket)?.cancel();
      return;
    }
    const t = -ticket - 1;
    const lane = this.laneList[t % LANES];
    lane?.cancel((t - lane.index) / LANES);
  }

  /** Moves the clock's zero to now; only before anything is scheduled (the run starts here). */
  restart(): void {
    if (this.pending > 0) throw new Error('RealClock.restart with callbacks pending');
    this.originMs = performance.now();
  }

  /** Cancels everything owed and ignores what is scheduled from now on. */
  halt(): void {
    this.halted = true;
    for (const t of [...this.live.values()]) t.cancel();
    this.dueFns = [];
    this.dueArgs = [];
    this.dueCalls = 0;
    for (const lane of this.laneList) lane.clear();
  }

  private readonly runDue = (): void => {
    // Callbacks scheduled while this turn runs join it, up to the bound.
    const fns = this.dueFns;
    const args = this.dueArgs;
    let ran = 0;
    let i = 0;
    for (; i < fns.length && ran < MAX_DUE_PER_TURN && fns === this.dueFns; i++) {
      const fn = fns[i]!;
      const arg = args[i];
      if (fn === RUN_TIMER) {
        if ((arg as RealTimer).run()) ran++;
      } else {
        ran++;
        this.dueCalls--;
        fn(arg);
      }
    }
    if (fns !== this.dueFns) {
      // Halted meanwhile: nothing is owed any more.
      this.dueScheduled = false;
      return;
    }
    this.dueFns = fns.slice(i);
    this.dueArgs = args.slice(i);
    if (this.dueFns.length > 0) setImmediate(this.runDue);
    else this.dueScheduled = false;
  };
}

const laneTicket = (lane: Lane, position: number): number => -(position * LANES + lane.index) - 1;

/** Marks a due entry whose argument is a RealTimer (never called). */
const RUN_TIMER: Call = () => {
  throw new Error('RUN_TIMER is a marker');
};

class RealTimer {
  handle: NodeJS.Timeout | undefined;

  constructor(
    private readonly live: Map<number, RealTimer>,
    private readonly ticket: number,
    private readonly fn: Call,
    private readonly arg: unknown,
  ) {}

  readonly fire = (): void => {
    this.run();
  };

  /** Fires after delayMs, past what one node timer holds too (see MAX_TIMER_MS). */
  arm(delayMs: number): void {
    if (delayMs <= MAX_TIMER_MS) {
      this.handle = setTimeout(this.fire, delayMs);
      return;
    }
    this.handle = setTimeout(() => this.arm(delayMs - MAX_TIMER_MS), MAX_TIMER_MS);
  }

  /** Runs it unless it was cancelled; true if it ran. */
  run(): boolean {
    if (!this.live.delete(this.ticket)) return false;
    this.fn(this.arg);
    return true;
  }

  cancel(): void {
    if (!this.live.delete(this.ticket)) return;
    if (this.handle !== undefined) clearTimeout(this.handle);
  }
}

/**
 * Timers in the order they are due, which is the order they were scheduled (one constant delay
 * counted from now, or from moments that come in order): a ring of parallel arrays (no object per timer), with positions that count from the
 * lane's start and never repeat, so a ticket names one timer for good. One node timer is armed
 * for the head; the cancelled ones (empty slots) are dropped when they reach the head, and the
 * node timer goes when nothing live is left, so it never keeps the process alive for nothing.
 */
class Lane {
  private times = new Float64Array(256);
  private fns: (Call | undefined)[] = new Array<Call | undefined>(256).fill(undefined);
  private args: unknown[] = new Array<unknown>(256).fill(undefined);
  private mask = 255;
  private head = 0;
  private tail = 0;
  /** Timers neither run nor cancelled. */
  live = 0;
  private handle: NodeJS.Timeout | undefined;
  private firing = false;

  /** When the last timer added is due: none may be added before it. */
  private lastDueAtMs = -Infinity;

  constructor(
    private readonly clock: RealClock,
    readonly index: number,
  ) {}

  /** Whether a timer due at dueAtMs keeps the lane in order. */
  takes(dueAtMs: number): boolean {
    return this.head === this.tail || dueAtMs >= this.lastDueAtMs;
  }

  /** Queues fn(arg) for dueAtMs (see takes); returns its position. */
  add(fn: Call, arg: unknown, dueAtMs: number): number {
    if (this.tail - this.head > this.mask) this.grow();
    const i = this.tail & this.mask;
    this.times[i] = dueAtMs;
    this.lastDueAtMs = dueAtMs;
    this.fns[i] = fn;
    this.args[i] = arg;
    this.live++;
    if (this.handle === undefined && !this.firing) this.arm(dueAtMs - this.clock.now());
    return this.tail++;
  }

  cancel(position: number): void {
    if (position < this.head || position >= this.tail) return;
    const i = position & this.mask;
    if (this.fns[i] === undefined) return;
    this.fns[i] = undefined;
    this.args[i] = undefined;
    this.live--;
    if (this.live === 0) {
      this.clear();
      return;
    }
    // Answers come back roughly in the order they were sent: keep the ring short.
    this.dropCancelledHead();
  }

  /** Forgets every timer (the clock halted, or none is live): cancelling one later does nothing. */
  clear(): void {
    for (let p = this.head; p < this.tail; p++) {
      this.fns[p & this.mask] = undefined;
      this.args[p & this.mask] = undefined;
    }
    this.head = this.tail;
    this.live = 0;
    if (this.handle !== undefined) clearTimeout(this.handle);
    this.handle = undefined;
  }

  private dropCancelledHead(): void {
    while (this.head < this.tail && this.fns[this.head & this.mask] === undefined) this.head++;
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const times = new Float64Array(cap);
    const fns = new Array<Call | undefined>(cap).fill(undefined);
    const args = new Array<unknown>(cap).fill(undefined);
    for (let p = this.head; p < this.tail; p++) {
      times[p & (cap - 1)] = this.times[p & this.mask]!;
      fns[p & (cap - 1)] = this.fns[p & this.mask];
      args[p & (cap - 1)] = this.args[p & this.mask];
    }
    this.times = times;
    this.fns = fns;
    this.args = args;
    this.mask = cap - 1;
  }

  private arm(delayMs: number): void {
    // Past MAX_TIMER_MS it wakes early, finds its head not due, and waits again.
    this.handle = setTimeout(this.fire, Math.min(MAX_TIMER_MS, Math.max(1, Math.round(delayMs))));
  }

  /** Runs every timer that is due (node timers count whole milliseconds), then waits for the next. */
  private readonly fire = (): void => {
    this.handle = undefined;
    this.firing = true;
    const clock = this.clock;
    try {
      while (this.head < this.tail) {
        const i = this.head & this.mask;
        const fn = this.fns[i];
        if (fn !== undefined && this.times[i]! - clock.now() >= 0.5) break;
        const arg = this.args[i];
        this.fns[i] = undefined;
        this.args[i] = undefined;
        this.head++;
        if (fn !== undefined) {
          this.live--;
          fn(arg);
        }
      }
    } finally {
      this.firing = false;
      if (this.head < this.tail && this.handle === undefined) this.arm(this.times[this.head & this.mask]! - clock.now());
    }
  };
}
