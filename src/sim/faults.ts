import type { WalletRequest } from '../domain/operations.js';
import { isActive, nextRepeatMs, type FaultPlan } from '../faults/plan.js';
import type { Clock } from '../ports/clock.js';
import type { Random } from '../ports/random.js';
import type { TrafficFaults } from '../provider/provider.js';
import { trafficFaultHooks } from '../faults/traffic.js';
import { hashUnit } from './prng.js';

/** The parts of a log that faults act on (the embedded log implements them). */
export interface FaultableLog {
  readonly consumerCount: number;
  crash(consumerIndex: number): void;
  resume(consumerIndex: number): void;
}

/** How often each fault fired, for the report. */
export interface FaultCounts {
  responsesLost: number;
  betsDelayed: number;
  redeliveries: number;
  consumerCrashes: number;
  rebalances: number;
  hotPlayerRounds: number;
  roundsCancelled: number;
}

/** What the network asks the faults about each message (see WorldFaults.network). */
export interface NetworkFaults {
  requestDelayMs(request: WalletRequest, nowMs: number): number;
  dropResponse(nowMs: number): boolean;
}

/**
 * The fault catalog as the virtual world applies it: hooks that the network, the log, the
 * capacity of the wallet and the provider's traffic (faults/traffic.ts) consult. The models never see a fault.
 *
 * A hook whose fault the plan does not have is absent (undefined), not one that answers "no":
 * the network, the wallet and the provider consult theirs per message, per service and per
 * round, millions of times a run, and skip an absent one. Only an active fault draws from the
 * random stream, so leaving a hook out changes no draw.
 */
export class WorldFaults implements NetworkFaults {
  private readonly delayedBets = new Set<string>();
  readonly counts: FaultCounts = { responsesLost: 0, betsDelayed: 0, redeliveries: 0, consumerCrashes: 0, rebalances: 0, hotPlayerRounds: 0, roundsCancelled: 0 };
  /** Traffic: the hot player and cancelled rounds, as a real run applies them too. */
  readonly traffic: TrafficFaults | undefined;
  /** Network: the reordered bets and the lost answers. */
  readonly network: NetworkFaults | undefined;
  /** Capacity and log: the slow database and the redelivered records. */
  readonly walletHooks: { readonly slowdown?: (nowMs: number) => number; readonly redeliver?: (nowMs: number) => boolean };

  constructor(
    private readonly plan: FaultPlan,
    private readonly rng: Random,
    private readonly seed: number,
  ) {
    this.traffic = trafficFaultHooks(plan, seed, this.counts);
    this.network = plan.reorder !== undefined || plan.responseLoss !== undefined ? this : undefined;
    this.walletHooks = {
      ...(plan.walletSlowdown !== undefined && { slowdown: this.slowdown }),
      ...(plan.duplicateDelivery !== undefined && { redeliver: this.redeliver }),
    };
  }

  /** Capacity: service and apply times multiply by this (a slow database). */
  readonly slowdown = (nowMs: number): number => (isActive(this.plan.walletSlowdown, nowMs) ? this.plan.walletSlowdown!.factor : 1);

  /** Network: the wallet's answer is lost on its way back. */
  dropResponse(nowMs: number): boolean {
    if (!isActive(this.plan.responseLoss, nowMs) || this.rng.next() >= this.plan.responseLoss!.rate) return false;
    this.counts.responsesLost++;
    return true;
  }

  /**
   * Network: extra delay for every attempt of a chosen bet, long enough for the provider to
   * give up and send a rollback that overtakes it. Chosen by txId, so all attempts agree.
   */
  requestDelayMs(request: WalletRequest, nowMs: number): number {
    const r = this.plan.reorder;
    if (r === undefined || request.kind !== 'bet' || !isActive(r, nowMs)) return 0;
    const bet = request.txId.split('.')[0]!;
    if (hashUnit(bet, this.seed) >= r.rate) return 0;
    // Counted once per bet, however many attempts it takes (a Set for membership only, never iterated).
    if (!this.delayedBets.has(bet)) {
      this.delayedBets.add(bet);
      this.counts.betsDelayed++;
    }
    return r.delayMs;
  }

  /** Log: deliver this record once more. */
  readonly redeliver = (nowMs: number): boolean => {
    if (!isActive(this.plan.duplicateDelivery, nowMs) || this.rng.next() >= this.plan.duplicateDelivery!.rate) return false;
    this.counts.redeliveries++;
    return true;
  };

  /**
   * Log: consumer crashes and rebalances at their times, repeating until untilMs. One due at or
   * after deadlineMs is not scheduled: it could never fire, and a pending event past the
   * deadline would end a drained run as 'deadline', work left undone.
   */
  schedule(clock: Clock, log: FaultableLog | undefined, untilMs: number, deadlineMs = Infinity): void {
    if (log === undefined) return;
    const crash = this.plan.consumerCrash;
    if (crash !== undefined) {
      const which = crash.consumers === 'all' ? [...Array(log.consumerCount).keys()] : crash.consumers.filter((c) => c < log.consumerCount);
      repeat(clock, crash.atMs, crash.everyMs, untilMs, deadlineMs, () => {
        this.counts.consumerCrashes += which.length;
        for (const c of which) log.crash(c);
        clock.after(untilDeadline(clock, crash.restartAfterMs, deadlineMs), () => which.forEach((c) => log.resume(c)));
      });
    }
    const rebalance = this.plan.rebalance;
    if (rebalance !== undefined) {
      // A rebalance revokes every partition: uncommitted records go to the next owner again.
      repeat(clock, rebalance.atMs, rebalance.everyMs, untilMs, deadlineMs, () => {
        this.counts.rebalances++;
        for (let c = 0; c < log.consumerCount; c++) log.crash(c);
        clock.after(untilDeadline(clock, rebalance.pauseMs, deadlineMs), () => {
          for (let c = 0; c < log.consumerCount; c++) log.resume(c);
        });
      });
    }
  }
}

/**
 * A restart or the end of a pause due after the deadline comes at the deadline instead: nothing
 * runs after it, so the run ends the same, except that a run whose log had nothing left is
 * drained, not cut at its deadline by the pending restart of idle consumers.
 */
function untilDeadline(clock: Clock, delayMs: number, deadlineMs: number): number {
  return Math.min(delayMs, deadlineMs - clock.now());
}

function repeat(clock: Clock, atMs: number, everyMs: number | undefined, untilMs: number, deadlineMs: number, fn: () => void): void {
  const at = (t: number) => {
    if (t >= deadlineMs) return;
    clock.after(t - clock.now(), () => {
      fn();
      const next = nextRepeatMs(t, everyMs, untilMs);
      if (next !== undefined) at(next);
    });
  };
  at(atMs);
}
