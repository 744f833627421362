import type { Scenario } from '../scenario/schema.js';

/** A fault's active window in run milliseconds; toMs is Infinity when the fault lasts the run. */
export interface FaultWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

export interface FaultPlan {
  readonly responseLoss?: FaultWindow & { readonly rate: number };
  readonly walletSlowdown?: FaultWindow & { readonly factor: number };
  readonly consumerCrash?: {
    readonly atMs: number;
    readonly restartAfterMs: number;
    readonly consumers: 'all' | readonly number[];
    readonly everyMs?: number;
    readonly afterRecords?: number;
  };
  readonly duplicateDelivery?: FaultWindow & { readonly rate: number };
  readonly rebalance?: { readonly atMs: number; readonly pauseMs: number; readonly everyMs?: number };
  readonly reorder?: FaultWindow & { readonly rate: number; readonly delayMs: number };
  readonly hotPlayer?: FaultWindow & { readonly share: number; readonly playerId: string };
  readonly roundCancel?: FaultWindow & { readonly rate: number };
}

export function isActive(window: FaultWindow | undefined, nowMs: number): boolean {
  return window !== undefined && nowMs >= window.fromMs && nowMs < window.toMs;
}

const win = (w: { fromSec: number; toSec?: number | undefined }): FaultWindow => ({
  fromMs: w.fromSec * 1000,
  toMs: w.toSec === undefined ? Infinity : w.toSec * 1000,
});

/** Seconds to milliseconds, and absent faults left absent. */
/**
 * When a repeating fault (a crash or a rebalance every N s) strikes again after striking at
 * atMs, or undefined: repeats stop with the traffic (untilMs), so that a run can drain. The
 * simulator schedules by this rule and the report's fault windows are unrolled by it.
 */
export function nextRepeatMs(atMs: number, everyMs: number | undefined, untilMs: number): number | undefined {
  if (everyMs === undefined || everyMs <= 0) return undefined;
  return atMs + everyMs < untilMs ? atMs + everyMs : undefined;
}

export function compileFaults(f: Scenario['faults']): FaultPlan {
  return {
    responseLoss: f.responseLoss && { ...win(f.responseLoss), rate: f.responseLoss.rate },
    walletSlowdown: f.walletSlowdown && { ...win(f.walletSlowdown), factor: f.walletSlowdown.factor },
    consumerCrash: f.consumerCrash && {
      atMs: f.consumerCrash.atSec * 1000,
      restartAfterMs: f.consumerCrash.restartAfterSec * 1000,
      consumers: f.consumerCrash.consumers,
      everyMs: f.consumerCrash.everySec === undefined ? undefined : f.consumerCrash.everySec * 1000,
      afterRecords: f.consumerCrash.afterRecords,
    },
    duplicateDelivery: f.duplicateDelivery && { ...win(f.duplicateDelivery), rate: f.duplicateDelivery.rate },
    rebalance: f.rebalance && {
      atMs: f.rebalance.atSec * 1000,
      pauseMs: f.rebalance.pauseSec * 1000,
      everyMs: f.rebalance.everySec === undefined ? undefined : f.rebalance.everySec * 1000,
    },
    reorder: f.reorder && { ...win(f.reorder), rate: f.reorder.rate, delayMs: f.reorder.delayMs },
    hotPlayer: f.hotPlayer && { ...win(f.hotPlayer), share: f.hotPlayer.share, playerId: f.hotPlayer.playerId },
    roundCancel: f.roundCancel && { ...win(f.roundCancel), rate: f.roundCancel.rate },
  };
}
