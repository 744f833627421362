import type { PlayerAccount } from '../domain/ledger.js';
import type { Random } from '../ports/random.js';

export interface PopulationSettings {
  readonly count: number;
  readonly initialBalance: number;
  readonly currency: string;
  /** 0: every player equally active; 1: classic Zipf, a few players make most of the traffic. */
  readonly zipfExponent: number;
}

/**
 * A load generator's share of the players when several drive one wallet at once: generator
 * `index` (from 1) of `count` takes the players p(i) with i % count === index - 1. Each then
 * audits only its own players' entries and balances, which no other generator touches.
 */
export interface Segment {
  readonly index: number;
  readonly count: number;
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

  constructor(settings: PopulationSettings, segment?: Segment) {
    // Without a segment: every player, in order (the simulator's population, unchanged).
    const ranks = Array.from({ length: settings.count }, (_, i) => i).filter((i) => segment === undefined || i % segment.count === segment.index - 1);
    this.accounts = ranks.map((i) => ({
      id: `p${i}`,
      currency: settings.currency,
      initialBalance: settings.initialBalance,
    }));
    this.byId = new Map(this.accounts.map((a) => [a.id, a]));
    this.ids = this.accounts.map((a) => a.id);
    this.cumulative = new Float64Array(ranks.length);
    let total = 0;
    // A player keeps its weight in the whole population: the segments together make its skew.
    for (let k = 0; k < ranks.length; k++) {
      total += 1 / Math.pow(ranks[k]! + 1, settings.zipfExponent);
      this.cumulative[k] = total;
    }
    for (let k = 0; k < ranks.length; k++) this.cumulative[k]! /= total;
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

/**
 * Whether `playerId` is a player of the population that another segment drives: its entries and
 * balance are that load generator's to audit, not this one's. An id outside the population (a
 * wallet's own player, or a mistake) is nobody's segment.
 */
export function ofOtherSegment(playerId: string, count: number, segment: Segment | undefined): boolean {
  if (segment === undefined) return false;
  const rank = playerRank(playerId);
  if (rank === undefined || rank >= count) return false;
  return rank % segment.count !== segment.index - 1;
}

/** The i of a player id as the population names them, p(i): p0, p1, … (no sign, no leading zero); else undefined. */
export function playerRank(playerId: string): number | undefined {
  const digits = /^p(0|[1-9]\d*)$/.exec(playerId)?.[1];
  return digits === undefined ? undefined : Number(digits);
}
