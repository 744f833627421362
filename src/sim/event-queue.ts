import type { Clock, Timer } from '../ports/clock.js';
import { Fifo } from '../util/fifo.js';
import { TimerHeap } from './timer-heap.js';

const NOTHING = (): void => {};

/** A function called with its argument when its time comes (see Clock.call). */
type Call = (arg: unknown) => void;

/** A cancellable timer (Clock.after): one object per timer, since the caller holds its handle. */
class ScheduledEvent implements Timer {
  cancelled = false;
  constructor(
    readonly atMs: number,
    readonly seq: number,
    public fn: () => void,
  ) {}
  cancel(): void {
    this.cancelled = true;
    // A cancelled timer stays queued until its time comes (a provider's timeout: a second of
    // virtual time, several young-generation collections). Letting go of its callback now lets
    // what the callback holds (the call, its round, its request) die young instead of being
    // copied and promoted with it.
    this.fn = NOTHING;
  }
}

/** How a timer from `after` runs as a heap call: the heap holds (runTimer, the timer). */
function runTimer(event: ScheduledEvent): void {
  event.fn();
}
const RUN_TIMER = runTimer as Call;

/** Earlier time first; equal times in scheduling order, so runs are reproducible. */
function before(x: ScheduledEvent, atMs: number, seq: number): boolean {
  return x.atMs < atMs || (x.atMs === atMs && x.seq < seq);
}

export type StopReason = 'drained' | 'deadline' | 'event-limit' | 'stopped';

/**
 * The discrete-event loop and its virtual clock.
 *
 * Most events go to a 4-ary heap ordered by (time, sequence). Timers with a delay that is the
 * same every time (a provider's timeout) go to a FIFO lane instead: with a constant delay and a
 * clock that never goes back, their order of scheduling is their order of firing, so the lane
 * keeps the exact (time, sequence) order at O(1). That matters because such timers are the bulk
 * of what is pending (thousands of mostly cancelled timeouts) and would otherwise deepen the
 * heap for every other event. Cancelled timers are dropped when they surface.
 *
 * Events that nobody cancels (a message in flight, a service time running out) are scheduled
 * with `call`: a function and its argument, kept in the heap's arrays without any object of
 * their own.
 */
export class VirtualClock implements Clock {
  private readonly heap = new TimerHeap<Call, unknown>();
  private readonly lanes = new Map<number, Fifo<ScheduledEvent>>();
  private laneList: Fifo<ScheduledEvent>[] = [];
  private nowMs = 0;
  private seq = 0;
  private stopRequested = false;
  eventsRun = 0;

  now(): number {
    return this.nowMs;
  }

  /** A performance hint: timers of exactly this delay will be frequent. Order is unaffected. */
  addLane(delayMs: number): void {
    if (delayMs > 0 && !this.lanes.has(delayMs)) {
      this.lanes.set(delayMs, new Fifo());
      this.laneList = [...this.lanes.values()];
    }
  }

  after(delayMs: number, fn: () => void): Timer {
    const event = new ScheduledEvent(this.nowMs + (delayMs > 0 ? delayMs : 0), this.seq++, fn);
    const lane = this.laneList.length > 0 ? this.lanes.get(delayMs) : undefined;
    if (lane !== undefined) lane.push(event);
    else this.heap.push(event.atMs, event.seq, RUN_TIMER, event);
    return event;
  }

  call<A>(delayMs: number, fn: (arg: A) => void, arg: A): void {
    this.heap.push(this.nowMs + (delayMs > 0 ? delayMs : 0), this.seq++, fn as Call, arg);
  }

  get pending(): number {
    let n = this.heap.size;
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
    const { heap } = this;
    for (;;) {
      if (this.stopRequested) return 'stopped';
      const lane = this.earliestLane();
      const head = lane?.peek();
      if (head !== undefined && (heap.size === 0 || before(head, heap.peekTime(), heap.peekSeq()))) {
        if (head.atMs > deadlineMs) return 'deadline';
        lane!.shift();
        if (head.cancelled) continue;
        if (this.eventsRun >= maxEvents) return 'event-limit';
        this.nowMs = head.atMs;
        this.eventsRun++;
        head.fn();
        continue;
      }
      if (heap.size === 0) return 'drained';
      const atMs = heap.peekTime();
      if (atMs > deadlineMs) return 'deadline';
      const fn = heap.peekFn()!;
      const arg = heap.peekArg();
      heap.pop();
      if (fn === RUN_TIMER && (arg as ScheduledEvent).cancelled) continue;
      if (this.eventsRun >= maxEvents) return 'event-limit';
      this.nowMs = atMs;
      this.eventsRun++;
      fn(arg);
    }
  }

  /** The lane whose head comes first (heads compared including cancelled ones, as the heap does). */
  private earliestLane(): Fifo<ScheduledEvent> | undefined {
    const lanes = this.laneList;
    if (lanes.length === 1) return lanes[0];
    let best: Fifo<ScheduledEvent> | undefined;
    let bestHead: ScheduledEvent | undefined;
    for (const lane of lanes) {
      const head = lane.peek();
      if (head !== undefined && (bestHead === undefined || before(head, bestHead.atMs, bestHead.seq))) {
        best = lane;
        bestHead = head;
      }
    }
    return best;
  }
}
