/**
 * RealClock's lanes: timers of one constant delay share a node timer, and still fire at their
 * delay, in order, unless cancelled; pending counts them; halt forgets them.
 */
import { performance } from 'node:perf_hooks';
import { describe, expect, it, vi } from 'vitest';
import { MAX_TIMER_MS, RealClock } from '../src/drivers/real-clock.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('RealClock lanes', () => {
  it('fires lane timers at their delay, in order, skipping the cancelled ones', async () => {
    const clock = new RealClock();
    clock.addLane(40);
    const fired: { n: number; atMs: number; scheduledAtMs: number }[] = [];
    const timers = [];
    for (let n = 0; n < 6; n++) {
      const scheduledAtMs = clock.now();
      timers.push(clock.after(40, () => fired.push({ n, atMs: clock.now(), scheduledAtMs })));
      // Cancelled as soon as made: on a loaded machine a sleep can outlast the 40 ms delay.
      if (n === 0 || n === 3) {
        timers[n]!.cancel();
        timers[n]!.cancel();
      }
      await sleep(5);
    }
    expect(clock.pending).toBeLessThanOrEqual(4);
    await sleep(120);
    expect(fired.map((f) => f.n)).toEqual([1, 2, 4, 5]);
    // Node timers count whole milliseconds: never more than half of one early.
    for (const f of fired) expect(f.atMs - f.scheduledAtMs).toBeGreaterThanOrEqual(39.5);
    expect(clock.pending).toBe(0);
    timers[1]!.cancel(); // after it ran: nothing
    expect(clock.pending).toBe(0);
  });

  it('schedules from inside a lane callback, and other delays keep their own timers', async () => {
    const clock = new RealClock();
    clock.addLane(20);
    const ran: string[] = [];
    clock.after(20, () => {
      ran.push('a');
      clock.after(20, () => ran.push('c'));
    });
    clock.after(30, () => ran.push('b'));
    // Until all three ran (or 10 s), not a fixed 80 ms: a stall that makes a late puts c, due
    // 20 ms after a ran, past any fixed wait.
    for (const end = Date.now() + 10_000; ran.length < 3 && Date.now() < end; ) await sleep(10);
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(clock.pending).toBe(0);
  });

  it('lets go of its node timer when every lane timer is cancelled, and halt forgets them', async () => {
    const clock = new RealClock();
    clock.addLane(10_000);
    const ran: number[] = [];
    const a = clock.after(10_000, () => ran.push(1));
    const b = clock.after(10_000, () => ran.push(2));
    b.cancel();
    a.cancel();
    expect(clock.pending).toBe(0);
    clock.restart(); // nothing pending: allowed
    const c = clock.after(10_000, () => ran.push(3));
    expect(clock.pending).toBe(1);
    expect(() => clock.restart()).toThrow();
    clock.halt();
    expect(clock.pending).toBe(0);
    c.cancel(); // after halt: nothing, and no negative count
    expect(clock.pending).toBe(0);
    expect(clock.after(10_000, () => ran.push(4))).toBeDefined();
    expect(clock.pending).toBe(0);
    expect(ran).toEqual([]);
  });
});

describe('RealClock call and timer tickets', () => {
  it('runs due calls in a later turn, in order with due timers, and counts them as pending', async () => {
    const clock = new RealClock();
    const ran: string[] = [];
    const push = (what: string) => ran.push(what);
    clock.call(0, push, 'a');
    clock.after(0, () => ran.push('b'));
    clock.call(0.3, push, 'c');
    const t = clock.timer(0, push, 'never');
    clock.cancel(t);
    expect(ran).toEqual([]);
    expect(clock.pending).toBe(3);
    await sleep(5);
    expect(ran).toEqual(['a', 'b', 'c']);
    expect(clock.pending).toBe(0);
    clock.cancel(t); // long over: nothing
    expect(clock.pending).toBe(0);
  });

  it('cancels lane and non-lane timers by ticket, and a ticket of a timer that ran does nothing', async () => {
    const clock = new RealClock();
    clock.addLane(15);
    const ran: number[] = [];
    const push = (n: number) => ran.push(n);
    const onLane = [0, 1, 2].map((n) => clock.timer(15, push, n));
    const offLane = clock.timer(12, push, 9);
    clock.cancel(onLane[1]!);
    expect(clock.pending).toBe(3);
    await sleep(40);
    expect(ran).toEqual([9, 0, 2]);
    for (const ticket of [...onLane, offLane]) clock.cancel(ticket);
    const later = clock.timer(15, push, 3);
    clock.cancel(onLane[0]!); // an old ticket does not cancel the new timer in a reused slot
    await sleep(40);
    expect(ran).toEqual([9, 0, 2, 3]);
    clock.cancel(later);
    expect(clock.pending).toBe(0);
  });

  it('halted inside a due callback: the rest of the turn and anything scheduled later never run', async () => {
    const clock = new RealClock();
    const ran: number[] = [];
    clock.call(0, () => {
      ran.push(1);
      clock.halt();
    }, undefined);
    clock.call(0, (n: number) => ran.push(n), 2);
    await sleep(5);
    clock.call(0, (n: number) => ran.push(n), 3);
    expect(Number.isNaN(clock.timer(0, (n: number) => ran.push(n), 4))).toBe(true);
    await sleep(5);
    expect(ran).toEqual([1]);
    expect(clock.pending).toBe(0);
  });
});

describe('RealClock timerFrom', () => {
  it('fires a timer that began earlier at its start plus its delay: in its own lane, out of order in the general path, at once if over', async () => {
    // Due times 50 ms and more apart: a loaded machine can stall this process for some
    // milliseconds, and with 10 ms between them (as it was) from-early could come due before the
    // turn that runs from-over.
    const clock = new RealClock();
    clock.addLane(300);
    const fired: { what: string; atMs: number }[] = [];
    const push = (what: string) => fired.push({ what, atMs: clock.now() });
    const t0 = clock.now();
    clock.timer(300, push, 'fresh'); // due t0 + 300, in the first lane
    clock.timerFrom(t0 - 150, 300, push, 'from-a'); // due t0 + 150, in the second lane
    clock.timerFrom(t0 - 100, 300, push, 'from-b'); // due t0 + 200: in order behind from-a
    clock.timerFrom(t0 - 250, 300, push, 'from-early'); // due t0 + 50: before from-b, so not in its lane
    const cancelled = clock.timerFrom(t0 - 50, 300, push, 'from-cancelled'); // due t0 + 250
    clock.timerFrom(t0 - 500, 300, push, 'from-over'); // due 200 ms ago: the next turn
    expect(clock.pending).toBe(6);
    clock.cancel(cancelled);
    expect(clock.pending).toBe(5);
    // Until fresh, the last, has fired (or 10 s: it never does); from-cancelled was due before it.
    for (const end = Date.now() + 10_000; fired.length < 5 && Date.now() < end; ) await sleep(20);
    expect(fired.map((f) => f.what)).toEqual(['from-over', 'from-early', 'from-a', 'from-b', 'fresh']);
    const due: Record<string, number> = { 'from-early': 50, 'from-a': 150, 'from-b': 200, fresh: 300 };
    // A lane checks the clock when its node timer fires and waits again if early: never more than
    // half a millisecond early. from-early has a plain node timer, whose delay is rounded to the
    // millisecond and which node counts from the current millisecond truncated: it may fire up to
    // 1.5 ms early by performance.now() (seen under load: 9.39 ms after t0 for 10).
    const slack: Record<string, number> = { 'from-early': 1.5, 'from-a': 0.5, 'from-b': 0.5, fresh: 0.5 };
    for (const f of fired) if (f.what in due) expect(f.atMs - t0, f.what).toBeGreaterThanOrEqual(due[f.what]! - slack[f.what]!);
    expect(clock.pending).toBe(0);
  });
});


describe('RealClock epochMs', () => {
  function expectOnSystemClock() {
    for (let i = 0; i < 20; i++) {
      const clock = new RealClock();
      const before = Date.now();
      const wallMs = clock.epochMs + clock.now();
      const after = Date.now();
      expect(wallMs).toBeGreaterThanOrEqual(before - 0.1);
      expect(wallMs).toBeLessThan(after + 1.1);
    }
  }

  it('puts the clock on the system clock, as Date.now() (and other processes) read it, to the millisecond', () => {
    expectOnSystemClock();
  });

  it('whatever performance.timeOrigin says: it stood 1-3 ms from Date.now() in fresh processes here, 40 ms in a long test run', () => {
    const real = performance.timeOrigin;
    Object.defineProperty(performance, 'timeOrigin', { get: () => real + 40, configurable: true });
    try {
      expect(performance.timeOrigin).toBe(real + 40);
      expectOnSystemClock();
    } finally {
      delete (performance as { timeOrigin?: number }).timeOrigin;
    }
    expect(performance.timeOrigin).toBe(real);
  });
});

describe('RealClock timers longer than a node timer holds (2^31 - 1 ms, about 24.8 days)', () => {
  // node fired such a timer after 1 ms (TimeoutOverflowWarning): a reservation TTL, a drain
  // deadline or a provider timeout of weeks ran out at once in serve and load.
  it('do not fire early, laned or not, and cancel cleanly', async () => {
    const clock = new RealClock();
    clock.addLane(3e9);
    let fired = 0;
    const plain = clock.after(2.5e9, () => fired++);
    const laned = clock.after(3e9, () => fired++);
    await sleep(60);
    expect(fired).toBe(0);
    expect(clock.pending).toBe(2);
    plain.cancel();
    laned.cancel();
    expect(clock.pending).toBe(0);
  });

  it('fire at their time, taken in steps', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const clock = new RealClock();
      let fired = false;
      clock.after(MAX_TIMER_MS + 5000, () => (fired = true));
      vi.advanceTimersByTime(MAX_TIMER_MS);
      vi.advanceTimersByTime(4999);
      expect(fired).toBe(false);
      vi.advanceTimersByTime(1);
      expect(fired).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
