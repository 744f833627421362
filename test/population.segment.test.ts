import { describe, expect, it } from 'vitest';
import { ofOtherSegment, Population } from '../src/provider/players.js';
import { SeededRandom } from '../src/sim/prng.js';

const SETTINGS = { count: 10, initialBalance: 100, currency: 'EUR', zipfExponent: 1 };

describe('Population segments (load --segment K/N)', () => {
  it('segment K of N holds the players p(i) with i mod N = K - 1, with their ids and balances', () => {
    expect(new Population(SETTINGS, { index: 1, count: 3 }).accounts.map((a) => a.id)).toEqual(['p0', 'p3', 'p6', 'p9']);
    expect(new Population(SETTINGS, { index: 3, count: 3 }).accounts.map((a) => a.id)).toEqual(['p2', 'p5', 'p8']);
    expect(new Population(SETTINGS, { index: 1, count: 1 }).accounts).toEqual(new Population(SETTINGS).accounts);
  });

  it('the segments together are the whole population, each player once', () => {
    const ids = [1, 2, 3, 4].flatMap((index) => new Population(SETTINGS, { index, count: 4 }).accounts.map((a) => a.id));
    expect(ids.sort()).toEqual(new Population(SETTINGS).accounts.map((a) => a.id).sort());
  });

  it('draws only its own players, each as often as its weight in the whole population says (Zipf rank kept)', () => {
    const population = new Population(SETTINGS, { index: 2, count: 2 });
    const rng = new SeededRandom(1);
    const seen = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const id = population.pickId(rng);
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    expect([...seen.keys()].sort()).toEqual(['p1', 'p3', 'p5', 'p7', 'p9']);
    // Weights 1/2 : 1/4 within the slice: p1 about twice as often as p3.
    expect(seen.get('p1')! / seen.get('p3')!).toBeGreaterThan(1.8);
    expect(seen.get('p1')! / seen.get('p3')!).toBeLessThan(2.2);
  });

  it("tells another segment's players from its own and from ids outside the population", () => {
    const segment = { index: 1, count: 2 };
    expect(ofOtherSegment('p1', 10, segment)).toBe(true);
    expect(ofOtherSegment('p2', 10, segment)).toBe(false);
    // Not the scenario's players: nobody's segment (a wallet's own, or its mistake, for the audit to judge).
    expect(['p10', 'p01', 'x1', 'p-1', ''].map((id) => ofOtherSegment(id, 10, segment))).toEqual([false, false, false, false, false]);
    expect(ofOtherSegment('p1', 10, undefined)).toBe(false);
  });
});
