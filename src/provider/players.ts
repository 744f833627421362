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
  /**
   * The accounts' ids, in the same order: a round needs only its player's id, and reading it off
   * the drawn account object was a cache miss per round (thousands of accounts, drawn at random).
   */
  private readonly ids: readonly string[];
  private readonly cumulative: Float64Array;
  /**
   * guide[s] is the first player whose cumulative share exceeds s / GUIDE_SLICES (the last
   * player if none does): a draw u in slice s picks a player in guide[s]..guide[s + 1].
   */
  private readonly guide: Int32Array;

  constructor(settings: PopulationSettings) {
    this.accounts = Array.from({ length: settings.count }, (_, i) => ({
      id: `p${i}`,
      currency: settings.currency,
      initialBalance: settings.initialBalance,
    }));
    this.byId = new Map(this.accounts.map((a) => [a.id, a]));
    this.ids = this.accounts.map((a) => a.id);
    this.cumulative = new Float64Array(settings.count);
    let total = 0;
    for (let i = 0; i < settings.count; i++) {
      total += 1 / Math.pow(i + 1, settings.zipfExponent);
      this.cumulative[i] = total;
    }
    for (let i = 0; i < settings.count; i++) this.cumulative[i]! /= total;
    this.guide = buildGuide(this.cumulative);
  }

  /** The id of a player drawn by activity. */
  pickId(rng: Random): string {
    const u = rng.next();
    // The guide narrows the binary search to the players whose share spans u's slice of [0, 1).
    const g = Math.floor(u * GUIDE_SLICES);
    let lo = this.guide[g]!;
    let hi = this.guide[g + 1]!;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulative[mid]! > u) hi = mid;
      else lo = mid + 1;
    }
    return this.ids[lo]!;
  }
}

const GUIDE_SLICES = 4096;

/** See Population.guide. The binary search in pick() then finds exactly what a full one would. */
function buildGuide(cumulative: Float64Array): Int32Array {
  const guide = new Int32Array(GUIDE_SLICES + 1);
  const last = Math.max(0, cumulative.length - 1);
  let i = 0;
  for (let s = 0; s <= GUIDE_SLICES; s++) {
    const threshold = s / GUIDE_SLICES;
    while (i < last && cumulative[i]! <= threshold) i++;
    guide[s] = i;
  }
  return guide;
}
