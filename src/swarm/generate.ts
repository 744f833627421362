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
  const scenario = {
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
        // Spread over three orders of magnitude: most often shorter than the log's lag, so
        // reservations lapse before their post and the expiry's release is exercised.
        reservationTtlSec: r.logBetween(0.02, 30),
      },
    },
    faults: faultsDraw(r),
    run: { drainTimeoutSec: 900 },
  } satisfies ScenarioInput;
  // Drawn after all the rest, so that every other setting of a seed is what it drew before these
  // were added. Rollbacks retried under a new txId reach the ledger as second rollbacks of one
  // bet (which must not refund again); cancelled rounds send a rollback racing the win (only
  // one of the two may apply).
  const settlementTxId = r.chance(0.3) ? 'new' : 'reuse';
  const roundCancel = r.chance(0.4) ? { ...faultWindow(r), rate: r.between(0.01, 0.3) } : undefined;
  return {
    ...scenario,
    provider: { ...scenario.provider, settlementRetry: { ...scenario.provider.settlementRetry, txId: settlementTxId } },
    faults: { ...scenario.faults, roundCancel },
  };
}

function logDraw(r: Draw) {
  return { partitions: r.int(1, 16), consumers: r.int(1, 6), commitEvery: r.int(1, 200), applyMs: { dist: 'exponential' as const, mean: r.between(0.05, 3) } };
}

function faultWindow(r: Draw) {
  const fromSec = r.between(0, 4);
  // The sum of two draws of whole milliseconds is rounded again: in binary it can fall just off
  // (3.828 + 1.529 = 5.356999999999999), and --emit-scenario prints the scenario as it runs.
  return { fromSec, toSec: wholeMs(fromSec + r.between(0.5, 6)) };
}

const wholeMs = (sec: number) => Math.round(sec * 1000) / 1000;

function faultsDraw(r: Draw) {
  const window = () => faultWindow(r);
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
    return wholeMs(min + (max - min) * this.rng.next());
  }
  /** Uniform in log scale: each tenfold range as likely as any other. */
  logBetween(min: number, max: number): number {
    return wholeMs(min * Math.pow(max / min, this.rng.next()));
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
