import type { Random } from '../ports/random.js';
import type { ScenarioInput } from '../scenario/schema.js';
import { SeededRandom } from '../sim/prng.js';

/**
 * Draws a whole scenario from one seed (TigerBeetle's VOPR idea): capacity, traffic, retries,
 * the log, and any mix of faults. Small runs, so hundreds of seeds take seconds, but wide
 * ranges, so the corners (no capacity, one partition, commits every record, TTLs shorter than
 * the lag) are reached. Idempotency and the inbox are on: the invariants must hold then.
 */
export function swarmScenario(seed: number): ScenarioInput {
  const r = new Draw(new SeededRandom(seed).derive('swarm'));
  const durationSec = () => r.between(1, 4);
  return {
    name: `swarm-${seed}`,
    description: `Drawn by walletstorm swarm from seed ${seed}.`,
    seed,
    traffic: {
      arrivals: r.pick(['poisson', 'uniform'] as const),
      phases: Array.from({ length: r.int(1, 3) }, (_, i) => ({
        name: `phase-${i + 1}`,
        kind: 'steady' as const,
        durationSec: durationSec(),
        roundsPerSec: r.between(20, 500),
      })),
    },
    players: { count: r.int(5, 400), initialBalance: r.int(200, 50_000), zipfExponent: r.between(0, 1.5) },
    round: { betAmount: { dist: 'uniform', min: 1, max: r.int(10, 2000) }, winProbability: r.between(0, 0.7), playTimeMs: { dist: 'uniform', min: 0, max: r.between(1, 3000) } },
    provider: {
      timeoutMs: r.between(20, 2000),
      retry: { maxAttempts: r.int(1, 5), backoffMs: r.between(0, 500), multiplier: r.between(1, 3), maxBackoffMs: 2000, jitter: r.between(0, 1) },
      settlementRetry: { maxAttempts: r.int(3, 10), backoffMs: r.between(10, 1000), multiplier: 2, maxBackoffMs: 10_000, jitter: r.between(0, 1) },
    },
    network: { latencyMs: { dist: 'lognormal', median: r.between(0.1, 5), p99: r.between(5, 50) } },
    wallet: {
      idempotency: 'on',
      inbox: 'on',
      request: { workers: r.int(1, 32), serviceTimeMs: { dist: 'lognormal', median: r.between(0.2, 10), p99: r.between(10, 100) }, queueLimit: r.int(0, 5000) },
      event: { ...logDraw(r), ingest: { workers: r.int(1, 16), serviceTimeMs: { dist: 'exponential', mean: r.between(0.1, 3) }, queueLimit: r.int(0, 5000) } },
      hybrid: {
        ...logDraw(r),
        api: { workers: r.int(1, 16), serviceTimeMs: { dist: 'exponential', mean: r.between(0.1, 3) }, queueLimit: r.int(0, 5000) },
        reservationTtlSec: r.between(0.05, 30),
      },
    },
    faults: faultsDraw(r),
    run: { drainTimeoutSec: 900 },
  };
}

function logDraw(r: Draw) {
  return { partitions: r.int(1, 16), consumers: r.int(1, 6), commitEvery: r.int(1, 200), applyMs: { dist: 'exponential' as const, mean: r.between(0.05, 3) } };
}

function faultsDraw(r: Draw): ScenarioInput['faults'] {
  const window = () => {
    const fromSec = r.between(0, 4);
    return { fromSec, toSec: fromSec + r.between(0.5, 6) };
  };
  return {
    responseLoss: r.chance(0.4) ? { ...window(), rate: r.between(0, 0.3) } : undefined,
    walletSlowdown: r.chance(0.3) ? { ...window(), factor: r.between(1, 20) } : undefined,
    consumerCrash: r.chance(0.4) ? { atSec: r.between(0, 5), restartAfterSec: r.between(0, 5), everySec: r.chance(0.5) ? r.between(1, 4) : undefined } : undefined,
    duplicateDelivery: r.chance(0.3) ? { ...window(), rate: r.between(0, 0.3) } : undefined,
    rebalance: r.chance(0.3) ? { atSec: r.between(0, 5), pauseSec: r.between(0.1, 3), everySec: r.chance(0.5) ? r.between(1, 4) : undefined } : undefined,
    reorder: r.chance(0.4) ? { ...window(), rate: r.between(0, 0.3), delayMs: r.between(100, 15_000) } : undefined,
    hotPlayer: r.chance(0.3) ? { ...window(), share: r.between(0, 0.8) } : undefined,
  };
}

/** Draws in a fixed order, so a seed always gives the same scenario. */
class Draw {
  constructor(private readonly rng: Random) {}
  between(min: number, max: number): number {
    return Math.round((min + (max - min) * this.rng.next()) * 1000) / 1000;
  }
  int(min: number, max: number): number {
    return min + Math.floor((max - min + 1) * this.rng.next());
  }
  chance(p: number): boolean {
    return this.rng.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(items.length * this.rng.next())]!;
  }
}
