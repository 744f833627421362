/**
 * The simulator's event loop: events run in (time, scheduling order), whether they sit in the
 * heap or in a lane; cancelled timers neither run nor move the clock nor count as events; a
 * ticket names one timer for good, even after its slot is reused.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../src/sim/event-queue.js';

describe('VirtualClock', () => {
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
