import type { Clock, Timer } from '../ports/clock.js';
import { Fifo } from '../util/fifo.js';
import { TimerHeap } from './timer-heap.js';

const NOTHING = (): void => {};

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

/** Earlier time first; equal times in scheduling order, so runs are reproducible. */
function before(x: ScheduledEvent, y: ScheduledEvent): boolean {
  return x.atMs < y.atMs || (x.atMs === y.atMs && x.seq < y.seq);
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
 */
export class VirtualClock implements Clock {
  private readonly heap = new TimerHeap<ScheduledEvent>();
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
    else this.heap.push(event.atMs, event.seq, event);
    return event;
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
    for (;;) {
      if (this.stopRequested) return 'stopped';
      const next = this.takeNext(deadlineMs);
      if (next === null) return 'drained';
      if (next === undefined) return 'deadline';
      if (this.eventsRun >= maxEvents) return 'event-limit';
      this.nowMs = next.atMs;
      this.eventsRun++;
      next.fn();
    }
  }

  /** The next live event, removed; null when nothing is left; undefined past the deadline. */
  private takeNext(deadlineMs: number): ScheduledEvent | null | undefined {
    for (;;) {
      let best: ScheduledEvent | undefined = this.heap.peek();
      let from: Fifo<ScheduledEvent> | undefined;
      for (const lane of this.laneList) {
        const head = lane.peek();
        if (head !== undefined && (best === undefined || before(head, best))) {
          best = head;
          from = lane;
        }
      }
      if (best === undefined) return null;
      if (best.atMs > deadlineMs) return undefined;
      if (from !== undefined) from.shift();
      else this.heap.pop();
      if (!best.cancelled) return best;
    }
  }
}
