import { describe, expect, it } from 'vitest';
import { ArrivalSchedule, type Phase } from '../src/provider/arrivals.js';
import { SeededRandom } from '../src/sim/prng.js';

/** Phases back to back from 0, as the scenario compiler lays them out. */
function phases(...specs: { kind: Phase['kind']; sec: number; from: number; to?: number }[]): Phase[] {
  let startMs = 0;
  return specs.map((s, i) => {
    const phase: Phase = { name: `p${i}`, kind: s.kind, startMs, endMs: startMs + s.sec * 1000, fromPerSec: s.from, toPerSec: s.to ?? s.from };
    startMs = phase.endMs;
    return phase;
  });
}

/** Arrivals of one run of the schedule, counted per interval [from, to) in ms. */
function arrivals(schedule: ArrivalSchedule, seed: number): number[] {
  const rng = new SeededRandom(seed);
  const times: number[] = [];
  for (let t = schedule.next(0, rng); t !== null; t = schedule.next(t, rng)) times.push(t);
  return times;
}

const between = (times: number[], fromMs: number, toMs: number) => times.filter((t) => t >= fromMs && t < toMs).length;

function meanOver(seeds: number, run: (seed: number) => number): number {
  let sum = 0;
  for (let seed = 1; seed <= seeds; seed++) sum += run(seed);
  return sum / seeds;
}

describe('arrival schedule (open model)', () => {
  it('a quiet first phase does not skip the busy one after it (Poisson)', () => {
    // 0.1/s for 2 s, then 100/s for 5 s: 500.2 rounds on average. A gap drawn at 0.1/s (10 s on
    // average) used to jump past the end of the run: no traffic at all.
    const schedule = () => new ArrivalSchedule(phases({ kind: 'steady', sec: 2, from: 0.1 }, { kind: 'steady', sec: 5, from: 100 }), 'poisson');
    const mean = meanOver(40, (seed) => arrivals(schedule(), seed).length);
    expect(mean).toBeGreaterThan(480);
    expect(mean).toBeLessThan(520);
  });

  it('a ramp from 0 starts rounds from its first second, in proportion to its rate', () => {
    // 0 -> 100/s over 10 s: 500 rounds, a quarter of them in the first half (the rate is linear).
    const schedule = () => new ArrivalSchedule(phases({ kind: 'ramp', sec: 10, from: 0, to: 100 }), 'poisson');
    const firstHalf = meanOver(40, (seed) => between(arrivals(schedule(), seed), 0, 5000));
    const all = meanOver(40, (seed) => arrivals(schedule(), seed).length);
    expect(all).toBeGreaterThan(480);
    expect(all).toBeLessThan(520);
    expect(firstHalf).toBeGreaterThan(110);
    expect(firstHalf).toBeLessThan(140);
  });

  it('uniform arrivals follow the cumulative rate exactly, over ramps and boundaries', () => {
    // Ramp down 99.7 -> 0 over 4 s (199.4 rounds), then 0.5/s for 4 s, then 10/s for 1 s: the
    // 0.6 of a round left at the ramp's end is made up 1.2 s into the next phase, and so on.
    const schedule = new ArrivalSchedule(
      phases({ kind: 'ramp', sec: 4, from: 99.7, to: 0 }, { kind: 'steady', sec: 4, from: 0.5 }, { kind: 'steady', sec: 1, from: 10 }),
      'uniform',
    );
    const times = arrivals(schedule, 1);
    expect(between(times, 0, 4000)).toBe(199);
    expect(times.slice(199, 202).map((t) => Math.round(t * 1e6) / 1e6)).toEqual([5200, 7200, 8060]);
    expect(times.length).toBe(211);
    // The n-th arrival of the ramp is where 99.7u - 12.4625u^2 = n (u in seconds).
    expect(times[49]! / 1000).toBeCloseTo((99.7 - Math.sqrt(99.7 ** 2 - 4 * 12.4625 * 50)) / (2 * 12.4625), 9);
  });

  it('an arrival due exactly at a phase end goes to the next phase, for ramps as for steady phases', () => {
    const times = (first: Parameters<typeof phases>[0]) =>
      arrivals(new ArrivalSchedule(phases(first, { kind: 'steady', sec: 1, from: 5 }), 'uniform'), 1).map((t) => Math.round(t * 1e6) / 1e6);
    for (const first of [{ kind: 'steady', sec: 1, from: 5 }, { kind: 'ramp', sec: 1, from: 10, to: 0 }, { kind: 'ramp', sec: 1, from: 0, to: 10 }] as const) {
      const t = times(first);
      expect(t.filter((x) => x < 1000), JSON.stringify(first)).toHaveLength(4);
      expect(t[4], JSON.stringify(first)).toBe(1000);
    }
  });

  it('a steady phase keeps the gaps it always had (1000 / rate, or an exponential draw of that mean)', () => {
    const uniform = arrivals(new ArrivalSchedule(phases({ kind: 'steady', sec: 1, from: 8 }), 'uniform'), 1);
    expect(uniform).toEqual([125, 250, 375, 500, 625, 750, 875]);
    const rng = new SeededRandom(7);
    const first = new ArrivalSchedule(phases({ kind: 'steady', sec: 60, from: 20 }), 'poisson').next(0, rng);
    const draw = new SeededRandom(7).next();
    expect(first).toBe((-Math.log(1 - draw) * 1000) / 20);
  });
});
