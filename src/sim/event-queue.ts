import type { Clock, Timer } from '../ports/clock.js';
import { TimerCalendar, TimerHeap } from './timer-heap.js';

/** A function called with its argument when its time comes (see Clock.call). */
type Call = (arg: unknown) => void;

/**
 * The payloads of the calendar's and the heap's events: each event holds a slot here with its
 * function and argument while it is queued, and they hold only the slot's number. A slot is reused once
 * its event ran or surfaced cancelled; its generation goes up each time, so a ticket (slot and
 * generation) of a timer that is over is recognised and ignored. No object per event.
 */
class EventSlots {
  fns: (Call | undefined)[] = [];
  args: unknown[] = [];
  generations: number[] = [];
  private readonly free: number[] = [];

  /** Takes a slot for fn(arg); returns the slot. */
  take(fn: Call, arg: unknown): number {
    const slot = this.free.length > 0 ? this.free.pop()! : this.grow();
    this.fns[slot] = fn;
    this.args[slot] = arg;
    return slot;
  }

  ticketOf(slot: number): number {
    return this.generations[slot]! * SLOT_SPAN + slot;
  }

  /** Empties the slot of a pending timer; its heap entry surfaces later and releases it. */
  cancel(ticket: number): void {
    const slot = ticket % SLOT_SPAN;
    if (slot >= this.generations.length || this.generations[slot]! * SLOT_SPAN + slot !== ticket) return;
    this.fns[slot] = undefined;
    this.args[slot] = undefined;
  }

  /** The slot's event is over (ran or surfaced cancelled): the slot can be reused. */
  release(slot: number): void {
    this.fns[slot] = undefined;
    this.args[slot] = undefined;
    // Wraps long before 2^53; a ticket kept through 2^27 reuses of one slot is not a real case.
    this.generations[slot] = (this.generations[slot]! + 1) % GENERATIONS;
    this.free.push(slot);
  }

  private grow(): number {
    this.fns.push(undefined);
    this.args.push(undefined);
    this.generations.push(0);
    return this.generations.length - 1;
  }
}

/** Heap tickets: generation * SLOT_SPAN + slot (>= 0). */
const SLOT_SPAN = 2 ** 26;
const GENERATIONS = 2 ** 27;
const runThunk = (fn: () => void): void => fn();

/**
 * The timers of one constant delay in a ring, in the order they were scheduled, which is the
 * order they fire (see VirtualClock). Parallel arrays, no object per timer; a cancelled timer is
 * an empty slot until it reaches the head. Positions count from the lane's start and never
 * repeat, so a ticket names one timer for good.
 */
class Lane {
  times = new Float64Array(1024);
  seqs = new Float64Array(1024);
  fns: (Call | undefined)[] = new Array<Call | undefined>(1024).fill(undefined);
  args: unknown[] = new Array<unknown>(1024).fill(undefined);
  mask = 1023;
  /** Position of the oldest timer still queued. */
  head = 0;
  /** Position the next timer gets. */
  tail = 0;

  constructor(
    readonly index: number,
    readonly delayMs: number,
  ) {}

  get length(): number {
    return this.tail - this.head;
  }

  push(atMs: number, seq: number, fn: Call, arg: unknown): number {
    if (this.tail - this.head > this.mask) this.grow();
    const i = this.tail & this.mask;
    this.times[i] = atMs;
    this.seqs[i] = seq;
    this.fns[i] = fn;
    this.args[i] = arg;
    return this.tail++;
  }

  /** Empties the slot of the timer at `position` if it is still queued. */
  cancel(position: number): void {
    if (position < this.head || position >= this.tail) return;
    const i = position & this.mask;
    this.fns[i] = undefined;
    this.args[i] = undefined;
  }

  private grow(): void {
    const cap = (this.mask + 1) * 2;
    const times = new Float64Array(cap);
    const seqs = new Float64Array(cap);
    const fns = new Array<Call | undefined>(cap).fill(undefined);
    const args = new Array<unknown>(cap).fill(undefined);
    for (let p = this.head; p < this.tail; p++) {
      const from = p & this.mask;
      const to = p & (cap - 1);
      times[to] = this.times[from]!;
      seqs[to] = this.seqs[from]!;
      fns[to] = this.fns[from];
      args[to] = this.args[from];
    }
    Object.assign(this, { times, seqs, fns, args, mask: cap - 1 });
  }
}

/** Lane tickets are negative: -(position * LANES + lane index) - 1; the others (calendar and heap) are >= 0. */
const LANES = 16;

export type StopReason = 'drained' | 'deadline' | 'event-limit' | 'stopped';

/**
 * The discrete-event loop and its virtual clock.
 *
 * Events wait in one of three structures, each keeping the exact (time, sequence) order, and
 * the loop runs whichever of their first events comes first. Most go to a calendar (see
 * TimerCalendar): time buckets for the next two minutes, where an event costs a link or two
 * instead of a climb through a heap of thousands. What lies beyond goes to a 4-ary heap. Timers
 * with a delay that is the same every time (a provider's timeout) go to a FIFO lane: with a
 * constant delay and a clock that never goes back, their order of scheduling is their order of
 * firing, so the lane keeps the exact order at O(1). Such timers are the bulk of what is
 * pending (thousands of mostly cancelled timeouts). Cancelled timers are dropped when they surface.
 *
 * Events that nobody cancels (a message in flight, a service time running out) are scheduled
 * with `call`: a function and its argument, kept in a slot of reusable arrays without any
 * object of their own. Timeouts are `timer`s in a lane: a slot in its arrays, cancelled by ticket.
 */
export class VirtualClock implements Clock {
  private readonly heap = new TimerHeap();
  private readonly calendar = new TimerCalendar();
  private readonly lanes = new Map<number, Lane>();
  private laneList: Lane[] = [];
  /** The lane when there is exactly one (the usual case: the provider's timeout), spared the scan of earliestLane. */
  private soleLane: Lane | undefined;
  private readonly slots = new EventSlots();
  private nowMs = 0;
  private seq = 0;
  private stopRequested = false;
  eventsRun = 0;

  now(): number {
    return this.nowMs;
  }

  /** A performance hint: timers of exactly this delay will be frequent. Order is unaffected. */
  addLane(delayMs: number): void {
    if (delayMs > 0 && !this.lanes.has(delayMs) && this.laneList.length < LANES) {
      const lane = new Lane(this.laneList.length, delayMs);
      this.lanes.set(delayMs, lane);
      this.laneList = [...this.lanes.values()];
      this.soleLane = this.laneList.length === 1 ? lane : undefined;
    }
  }

  after(delayMs: number, fn: () => void): Timer {
    const ticket = this.timer(delayMs, runThunk, fn);
    return { cancel: () => this.cancel(ticket) };
  }

  call<A>(delayMs: number, fn: (arg: A) => void, arg: A): void {
    this.schedule(this.at(delayMs), this.slots.take(fn as Call, arg));
  }

  /** Queues the event of `slot`: in the calendar if it is due within its reach, else in the heap. */
  private schedule(atMs: number, slot: number): void {
    const seq = this.seq++;
    if (!this.calendar.push(atMs, seq, slot)) this.heap.push(atMs, seq, slot);
  }

  timer<A>(delayMs: number, fn: (arg: A) => void, arg: A): number {
    const sole = this.soleLane;
    const lane = sole !== undefined ? (sole.delayMs === delayMs ? sole : undefined) : this.laneList.length > 0 ? this.lanes.get(delayMs) : undefined;
    if (lane !== undefined) return -(lane.push(this.at(delayMs), this.seq++, fn as Call, arg) * LANES + lane.index) - 1;
    const slot = this.slots.take(fn as Call, arg);
    this.schedule(this.at(delayMs), slot);
    return this.slots.ticketOf(slot);
  }

  timerFrom<A>(startedAtMs: number, delayMs: number, fn: (arg: A) => void, arg: A): number {
    if (startedAtMs >= this.nowMs) return this.timer(delayMs, fn, arg);
    // Not in a lane: a lane's order of scheduling must be its order of firing.
    const slot = this.slots.take(fn as Call, arg);
    this.schedule(this.at(startedAtMs + delayMs - this.nowMs), slot);
    return this.slots.ticketOf(slot);
  }

  cancel(ticket: number): void {
    if (ticket >= 0) {
      this.slots.cancel(ticket);
      return;
    }
    const t = -ticket - 1;
    const lane = this.laneList[t % LANES];
    lane?.cancel((t - lane.index) / LANES);
  }

  get pending(): number {
    let n = this.heap.size + this.calendar.size;
    for (const lane of this.laneList) n += lane.length;
    return n;
  }

  /** Ends the run after the current event (used by limits that the models detect). */
  stop(): void {
    this.stopRequested = true;
  }

  /**
   * Runs events until none is left, the next one lies beyond deadlineMs, or maxEvents ran.
   * The clock never moves past the last event that ran.
   */
  run(deadlineMs: number, maxEvents: number): StopReason {
    const { heap, calendar, slots } = this;
    for (;;) {
      if (this.stopRequested) return 'stopped';
      // The calendar gives out the events of its fine ring; its coarse ring's first bucket comes
      // into the fine ring when it is empty and nothing else comes before that bucket.
      if (calendar.fineSize === 0 && calendar.size > 0 && calendar.coarseFromMs() <= this.otherFromMs()) {
        calendar.takeNextCoarse();
        continue;
      }
      // The earliest of the fine ring's first event, the heap's and the lanes'.
      let inHeap = false;
      let slot = -1;
      let atMs = Infinity;
      if (calendar.fineSize > 0) {
        slot = calendar.peekSlot();
        atMs = calendar.times[slot]!;
      }
      if (heap.size > 0) {
        const t = heap.peekTime();
        if (slot === -1 || t < atMs || (t === atMs && heap.peekSeq() < calendar.seqs[slot]!)) {
          inHeap = true;
          slot = heap.peekSlot();
          atMs = t;
        }
      }
      let lane = this.soleLane;
      if (lane === undefined) lane = this.earliestLane();
      else if (lane.head === lane.tail) lane = undefined;
      if (lane !== undefined) {
        const i = lane.head & lane.mask;
        const laneAtMs = lane.times[i]!;
        if (slot === -1 || laneAtMs < atMs || (laneAtMs === atMs && lane.seqs[i]! < (inHeap ? heap.peekSeq() : calendar.seqs[slot]!))) {
          const fn = lane.fns[i];
          // A cancelled timer past the deadline is dropped, not taken for work left undone.
          if (laneAtMs > deadlineMs && fn !== undefined) return 'deadline';
          const arg = lane.args[i];
          lane.fns[i] = undefined;
          lane.args[i] = undefined;
          lane.head++;
          if (fn === undefined) continue;
          if (this.eventsRun >= maxEvents) return 'event-limit';
          this.nowMs = laneAtMs;
          if (laneAtMs >= calendar.nextSpanAtMs) calendar.reach(laneAtMs);
          this.eventsRun++;
          fn(arg);
          continue;
        }
      }
      if (slot === -1) return 'drained';
      const fn = slots.fns[slot];
      if (atMs > deadlineMs && fn !== undefined) return 'deadline';
      if (inHeap) heap.pop();
      else calendar.pop();
      const arg = slots.args[slot];
      slots.release(slot);
      if (fn === undefined) continue;
      if (this.eventsRun >= maxEvents) return 'event-limit';
      this.nowMs = atMs;
      if (atMs >= calendar.nextSpanAtMs) calendar.reach(atMs);
      this.eventsRun++;
      fn(arg);
    }
  }

  /** When the first event of the heap or of a lane is due (cancelled or not); Infinity if none. */
  private otherFromMs(): number {
    let atMs = this.heap.size > 0 ? this.heap.peekTime() : Infinity;
    const lane = this.earliestLane();
    if (lane !== undefined) atMs = Math.min(atMs, lane.times[lane.head & lane.mask]!);
    return atMs;
  }

  private at(delayMs: number): number {
    return this.nowMs + (delayMs > 0 ? delayMs : 0);
  }

  /** The non-empty lane whose head comes first (cancelled heads compared too, as the heap does). */
  private earliestLane(): Lane | undefined {
    const lanes = this.laneList;
    let best: Lane | undefined;
    let bestAt = 0;
    let bestSeq = 0;
    for (let l = 0; l < lanes.length; l++) {
      const lane = lanes[l]!;
      if (lane.head === lane.tail) continue;
      const i = lane.head & lane.mask;
      const atMs = lane.times[i]!;
      const seq = lane.seqs[i]!;
      if (best === undefined || atMs < bestAt || (atMs === bestAt && seq < bestSeq)) {
        best = lane;
        bestAt = atMs;
        bestSeq = seq;
      }
    }
    return best;
  }
}

