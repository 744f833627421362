/**
 * The simulator's event loop: events run in (time, scheduling order), whether they sit in the
 * calendar, the heap or a lane; cancelled timers neither run nor move the clock nor count as
 * events; a ticket names one timer for good, even after its slot is reused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { StopReason } from '../src/sim/event-queue.js';
import { VirtualClock } from '../src/sim/event-queue.js';

/**
 * The event loop's contract as one list sorted by (time, scheduling order), searched whole for
 * every event: what VirtualClock must do, whichever structure holds an event.
 */
class ListClock {
  private readonly queue: { atMs: number; seq: number; fn: ((arg: unknown) => void) | undefined; arg: unknown }[] = [];
  private nowMs = 0;
  private seq = 0;
  eventsRun = 0;

  now(): number {
    return this.nowMs;
  }

  addLane(): void {}

  call<A>(delayMs: number, fn: (arg: A) => void, arg: A): void {
    this.timer(delayMs, fn, arg);
  }

  timer<A>(delayMs: number, fn: (arg: A) => void, arg: A): number {
    const seq = this.seq++;
    this.queue.push({ atMs: this.nowMs + (delayMs > 0 ? delayMs : 0), seq, fn: fn as (arg: unknown) => void, arg });
    return seq;
  }

  timerFrom<A>(startedAtMs: number, delayMs: number, fn: (arg: A) => void, arg: A): number {
    return this.timer(startedAtMs >= this.nowMs ? delayMs : startedAtMs + delayMs - this.nowMs, fn, arg);
  }

  after(delayMs: number, fn: () => void): { cancel(): void } {
    const ticket = this.timer(delayMs, fn, undefined);
    return { cancel: () => this.cancel(ticket) };
  }

  cancel(ticket: number): void {
    const event = this.queue.find((e) => e.seq === ticket);
    if (event !== undefined) event.fn = undefined;
  }

  run(deadlineMs: number, maxEvents: number): StopReason {
    for (;;) {
      if (this.queue.length === 0) return 'drained';
      let first = 0;
      for (let i = 1; i < this.queue.length; i++) {
        const e = this.queue[i]!;
        const f = this.queue[first]!;
        if (e.atMs < f.atMs || (e.atMs === f.atMs && e.seq < f.seq)) first = i;
      }
      const { atMs, fn, arg } = this.queue[first]!;
      if (atMs > deadlineMs && fn !== undefined) return 'deadline';
      this.queue.splice(first, 1);
      if (fn === undefined) continue;
      if (this.eventsRun >= maxEvents) return 'event-limit';
      this.nowMs = atMs;
      this.eventsRun++;
      fn(arg);
    }
  }
}

/** Delays that reach every part of the queue: the same bucket, the next ones, a lane, seconds, minutes, hours. */
const DELAYS = [0, 0, 0.01, 0.125, 0.3, 1, 1, 2.5, 5, 10, 127.99, 128, 128.01, 255.875, 256, 300, 1000, 1000, 1000, 2000, 60_000, 131_000, 131_072, 140_000, 3_600_000, 4e8];

/**
 * A run driven by `seed`: every event may schedule more (up to `limit` in all), cancel a pending
 * timer, and the run goes in slices whose ends fall anywhere, with events scheduled between them
 * as a paced dashboard or a test may. The log of what ran when, and why each slice stopped.
 */
function play(clock: VirtualClock | ListClock, seed: number, limit: number): (string | number)[][] {
  let state = seed >>> 0;
  const rnd = (): number => {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const log: (string | number)[][] = [];
  const cancels: (() => void)[] = [];
  let made = 0;
  const delay = (): number => (rnd() < 0.8 ? DELAYS[Math.floor(rnd() * DELAYS.length)]! : rnd() * 10 ** Math.floor(rnd() * 7));
  const fire = (id: number): void => {
    log.push([id, clock.now()]);
    for (let k = Math.floor(rnd() * 3); k > 0; k--) schedule();
    if (cancels.length > 0 && rnd() < 0.3) cancels[Math.floor(rnd() * cancels.length)]!();
  };
  const schedule = (): void => {
    if (made >= limit) return;
    const id = made++;
    const kind = rnd();
    const d = delay();
    if (kind < 0.4) clock.call(d, fire, id);
    else if (kind < 0.75) {
      const ticket = clock.timer(d, fire, id);
      cancels.push(() => clock.cancel(ticket));
    } else if (kind < 0.9) {
      const ticket = clock.timerFrom(clock.now() - rnd() * 3000, d, fire, id);
      cancels.push(() => clock.cancel(ticket));
    } else cancels.push(clock.after(d, () => fire(id)).cancel);
  };
  // No lane, the usual one, several (one of them on a coarse bucket's edge, as events in the calendar's coarse ring are).
  for (const laneMs of [[], [1000], [1000, 256], [128]][Math.floor(rnd() * 4)]!) clock.addLane(laneMs);
  for (let k = 0; k < 4; k++) schedule();
  let deadlineMs = 0;
  for (let slice = 0; slice < 1000; slice++) {
    const r = rnd();
    deadlineMs = r < 0.1 ? Infinity : deadlineMs + (r < 0.5 ? rnd() * 300 : rnd() * 200_000);
    const maxEvents = rnd() < 0.05 ? clock.eventsRun + Math.floor(rnd() * 5) : Infinity;
    const why = clock.run(deadlineMs, maxEvents);
    log.push([why, clock.now(), clock.eventsRun]);
    if (why === 'drained' && made >= limit) break;
    if (rnd() < 0.5) schedule();
    if (why === 'drained') schedule();
  }
  return log;
}

describe('VirtualClock', () => {
  it('runs any schedule as one sorted list would: delays from none to days, cancellations, timerFrom, slices, event limits', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 1, max: 300 }), (seed, limit) => {
        expect(play(new VirtualClock(), seed, limit)).toEqual(play(new ListClock(), seed, limit));
      }),
      { numRuns: 400 },
    );
  });

  it('runs heap events and lane timers in (time, scheduling order), as one queue would', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ delay: fc.constantFrom(0, 1, 2.5, 5, 10, 10, 10, 40), kind: fc.constantFrom('call', 'timer', 'after') }), { maxLength: 60 }), (plan) => {
        const clock = new VirtualClock();
        clock.addLane(10);
        const ran: { n: number; at: number }[] = [];
        plan.forEach(({ delay, kind }, n) => {
          const fn = () => ran.push({ n, at: clock.now() });
          if (kind === 'call') clock.call(delay, fn, undefined);
          else if (kind === 'timer') clock.timer(delay, fn, undefined);
          else clock.after(delay, fn);
        });
        expect(clock.run(Infinity, 1e6)).toBe('drained');
        const expected = plan.map((p, n) => ({ n, at: p.delay })).sort((a, b) => a.at - b.at || a.n - b.n);
        expect(ran).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });

  it('events due at the same moment run in scheduling order wherever they wait: coarse ring, lane, heap', () => {
    const clock = new VirtualClock();
    clock.addLane(256);
    const ran: string[] = [];
    const push = (what: string) => ran.push(what);
    clock.call(256, push, 'coarse ring'); // two coarse buckets ahead, on the first moment of one
    clock.timer(256, push, 'lane');
    clock.call(200_000, push, 'heap'); // beyond the calendar's reach
    clock.call(100_000, () => clock.call(100_000, push, 'coarse ring, later'), undefined);
    expect(clock.run(Infinity, 1e6)).toBe('drained');
    expect(ran).toEqual(['coarse ring', 'lane', 'heap', 'coarse ring, later']);
  });

  it('a cancelled timer does not run, move the clock or count as an event, in a lane or in the heap', () => {
    const clock = new VirtualClock();
    clock.addLane(10);
    const ran: string[] = [];
    const push = (s: string) => ran.push(s);
    const laneTicket = clock.timer(10, push, 'lane');
    const heapTicket = clock.timer(30, push, 'heap');
    const handle = clock.after(50, () => ran.push('after'));
    clock.call(5, push, 'call');
    clock.cancel(laneTicket);
    clock.cancel(heapTicket);
    handle.cancel();
    expect(clock.run(Infinity, 1e6)).toBe('drained');
    expect(ran).toEqual(['call']);
    expect(clock.now()).toBe(5);
    expect(clock.eventsRun).toBe(1);
  });

  it('a ticket of a timer that ran, or was cancelled, never cancels the timer that reuses its slot', () => {
    const clock = new VirtualClock();
    const ran: number[] = [];
    const push = (n: number) => ran.push(n);
    const first = clock.timer(1, push, 1);
    clock.run(Infinity, 1e6);
    const second = clock.timer(1, push, 2); // the slot of `first`, a new generation
    clock.cancel(first);
    clock.run(Infinity, 1e6);
    const third = clock.timer(1, push, 3);
    clock.cancel(second);
    clock.cancel(third);
    clock.cancel(third);
    clock.timer(1, push, 4);
    clock.cancel(third);
    clock.run(Infinity, 1e6);
    expect(ran).toEqual([1, 2, 4]);
    expect(second).not.toBe(first);
  });

  it('stops at the deadline and at the event limit without running what lies beyond', () => {
    const clock = new VirtualClock();
    clock.addLane(10);
    const ran: number[] = [];
    const push = (n: number) => ran.push(n);
    clock.call(5, push, 1);
    clock.timer(10, push, 2);
    clock.call(20, push, 3);
    expect(clock.run(8, 1e6)).toBe('deadline');
    expect(ran).toEqual([1]);
    expect(clock.run(Infinity, 2)).toBe('event-limit');
    expect(ran).toEqual([1, 2]);
    expect(clock.now()).toBe(10);
  });

  it('a cancelled timer past the deadline is not work left: the run drains (lane and heap alike)', () => {
    const clock = new VirtualClock();
    clock.addLane(5000);
    const ran: number[] = [];
    const push = (n: number) => ran.push(n);
    clock.call(5, push, 1);
    clock.cancel(clock.timer(5000, push, 2)); // a provider's timeout, answered in time
    clock.cancel(clock.timer(7000, push, 3)); // not in a lane: in the heap
    expect(clock.run(2000, 1e6)).toBe('drained');
    expect(ran).toEqual([1]);
    expect(clock.now()).toBe(5);
  });

  it('timerFrom: due at its start plus its delay, at once if that has passed, cancelled by its ticket', () => {
    const clock = new VirtualClock();
    clock.addLane(10);
    const ran: { what: string; at: number }[] = [];
    const push = (what: string) => ran.push({ what, at: clock.now() });
    clock.call(20, () => {
      clock.timerFrom(15, 10, push, 'from'); // due 25
      clock.timerFrom(5, 10, push, 'over'); // due 15: now
      clock.cancel(clock.timerFrom(18, 10, push, 'cancelled'));
      clock.timerFrom(20, 10, push, 'now'); // began now: an ordinary lane timer, due 30
    }, undefined);
    clock.timer(10, push, 'lane'); // due 10
    expect(clock.run(Infinity, 1e6)).toBe('drained');
    expect(ran).toEqual([
      { what: 'lane', at: 10 },
      { what: 'over', at: 20 },
      { what: 'from', at: 25 },
      { what: 'now', at: 30 },
    ]);
  });
});
