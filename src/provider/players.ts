import type { PlayerAccount } from '../domain/ledger.js';
import type { Random } from '../ports/random.js';

export interface PopulationSettings {
  readonly count: number;
  readonly initialBalance: number;
  readonly currency: string;
  /** 0: every player equally active; 1: classic Zipf, a few players make most of the traffic. */
  readonly zipfExponent: number;
}

/** Players and their skewed activity. Player i has weight 1 / (i+1)^s. */
export class Population {
  readonly accounts: readonly PlayerAccount[];
  readonly byId: ReadonlyMap<string, PlayerAccount>;
  private readonly cumulative: Float64Array;

  constructor(settings: PopulationSettings) {
    this.accounts = Array.from({ length: settings.count }, (_, i) => ({
      id: `p${i}`,
      currency: settings.currency,
      initialBalance: settings.initialBalance,
    }));
    this.byId = new Map(this.accounts.map((a) => [a.id, a]));
    this.cumulative = new Float64Array(settings.count);
    let total = 0;
    for (let i = 0; i < settings.count; i++) {
      total += 1 / Math.pow(i + 1, settings.zipfExponent);
      this.cumulative[i] = total;
    }
    for (let i = 0; i < settings.count; i++) this.cumulative[i]! /= total;
  }

  pick(rng: Random): PlayerAccount {
    const u = rng.next();
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return this.accounts[lo]!;
  }
}
