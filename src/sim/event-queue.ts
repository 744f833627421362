import type { Clock, Timer } from '../ports/clock.js';

class ScheduledEvent implements Timer {
  cancelled = false;
  constructor(
    readonly atMs: number,
    readonly seq: number,
    readonly fn: () => void,
  ) {}
  cancel(): void {
    this.cancelled = true;
  }
}

/** Earlier time first; equal times in scheduling order, so runs are reproducible. */
function before(x: ScheduledEvent, y: ScheduledEvent): boolean {
  return x.atMs < y.atMs || (x.atMs === y.atMs && x.seq < y.seq);
}

export type StopReason = 'drained' | 'deadline' | 'event-limit' | 'stopped';

/**
 * The discrete-event loop and its virtual clock. A binary heap of plain objects; cancelled
 * timers are dropped when they surface (cheaper than removing them from the middle).
 */
export class VirtualClock implements Clock {
  private heap: ScheduledEvent[] = [];
  private nowMs = 0;
  private seq = 0;
  private stopRequested = false;
  eventsRun = 0;

  now(): number {
    return this.nowMs;
  }

  after(delayMs: number, fn: () => void): Timer {
    const event = new ScheduledEvent(this.nowMs + (delayMs > 0 ? delayMs : 0), this.seq++, fn);
    this.push(event);
    return event;
  }

  get pending(): number {
    return this.heap.length;
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
    const heap = this.heap;
    while (heap.length > 0) {
      if (this.stopRequested) return 'stopped';
      const top = heap[0]!;
      if (top.atMs > deadlineMs) return 'deadline';
      this.pop();
      if (top.cancelled) continue;
      if (this.eventsRun >= maxEvents) return 'event-limit';
      this.nowMs = top.atMs;
      this.eventsRun++;
      top.fn();
    }
    return this.stopRequested ? 'stopped' : 'drained';
  }

  private push(event: ScheduledEvent): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(event);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!before(event, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
  }

  private pop(): void {
    const heap = this.heap;
    const last = heap.pop()!;
    const n = heap.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(heap[r]!, heap[l]!) ? r : l;
      const c = heap[child]!;
      if (!before(c, last)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = last;
  }
}
