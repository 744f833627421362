import type { PlayerAccount } from '../domain/ledger.js';
import type { Random } from '../ports/random.js';
import type { TrafficFaults } from '../provider/provider.js';
import { hashUnit } from '../sim/prng.js';
import { isActive, type FaultPlan } from './plan.js';

/** How often the traffic faults fired (the report's `faults` has these two among the others). */
export interface TrafficFaultCounts {
  hotPlayerRounds: number;
  roundsCancelled: number;
}

/**
 * The faults that change what the provider sends, not what the network or the wallet does:
 * a hot player and cancelled rounds. Both worlds apply them the same way, since the provider is
 * the same code against a simulated wallet and a real one; the others act inside the simulated
 * world (sim/faults.ts) or in a real transport.
 */
export class TrafficFaultHooks implements TrafficFaults {
  constructor(
    private readonly plan: FaultPlan,
    private readonly seed: number,
    private readonly counts: TrafficFaultCounts,
  ) {}

  /** The round goes to the hot player instead of a drawn one. */
  hotPlayer(nowMs: number, rng: Random, accounts: ReadonlyMap<string, PlayerAccount>): PlayerAccount | undefined {
    const h = this.plan.hotPlayer;
    if (h === undefined || !isActive(h, nowMs) || rng.next() >= h.share) return undefined;
    const hot = accounts.get(h.playerId);
    // Not among these accounts: another load generator's player (--segment), its rounds that one's to send.
    if (hot !== undefined) this.counts.hotPlayerRounds++;
    return hot;
  }

  /**
   * For a chosen round whose bet was acknowledged now, how long until the provider also rolls
   * that bet back: anywhere from at once to twice the play time, so the rollback comes before
   * the win about as often as after it. Chosen and timed by the bet's txId, as reorder's bets,
   * so no draw of a random stream moves.
   */
  cancelAfterMs(betTxId: string, nowMs: number, playMs: number): number | undefined {
    const c = this.plan.roundCancel;
    if (c === undefined || !isActive(c, nowMs) || hashUnit(`cancel/${betTxId}`, this.seed) >= c.rate) return undefined;
    this.counts.roundsCancelled++;
    return hashUnit(`cancel-at/${betTxId}`, this.seed) * 2 * playMs;
  }
}

/**
 * The traffic fault hooks of a plan, or undefined when it has neither fault: the provider asks
 * them per round and skips absent ones (neither draws from a random stream unless active).
 */
export function trafficFaultHooks(plan: FaultPlan, seed: number, counts: TrafficFaultCounts): TrafficFaultHooks | undefined {
  return plan.hotPlayer === undefined && plan.roundCancel === undefined ? undefined : new TrafficFaultHooks(plan, seed, counts);
}
