import { isActive, type FaultPlan } from '../faults/plan.js';

/** Faults that act through the log: a request-driven wallet has none, so they never show for it. */
const LOG_FAULTS = new Set(['consumerCrash', 'rebalance', 'duplicateDelivery']);

/** As the world schedules them: the first at atMs, repeats only while they start before trafficMs. */
function repeating(atMs: number, lengthMs: number, everyMs: number | undefined, trafficMs: number, nowMs: number): boolean {
  if (nowMs < atMs) return false;
  let start = atMs;
  if (everyMs !== undefined && everyMs > 0) {
    const k = Math.min(Math.floor((nowMs - atMs) / everyMs), Math.ceil((trafficMs - atMs) / everyMs) - 1);
    if (k >= 1) start = atMs + k * everyMs;
  }
  return nowMs - start < lengthMs;
}

/** The faults of the plan active at nowMs, as short labels for the dashboard. */
export function activeFaults(plan: FaultPlan, nowMs: number, model: string, trafficMs: number): string[] {
  const on: string[] = [];
  if (isActive(plan.walletSlowdown, nowMs)) on.push(`walletSlowdown x${plan.walletSlowdown!.factor}`);
  if (isActive(plan.responseLoss, nowMs)) on.push(`responseLoss ${pct(plan.responseLoss!.rate)}`);
  if (isActive(plan.duplicateDelivery, nowMs)) on.push(`duplicateDelivery ${pct(plan.duplicateDelivery!.rate)}`);
  if (isActive(plan.reorder, nowMs)) on.push(`reorder ${pct(plan.reorder!.rate)}`);
  if (isActive(plan.hotPlayer, nowMs)) on.push(`hotPlayer ${plan.hotPlayer!.playerId} ${pct(plan.hotPlayer!.share)}`);
  if (isActive(plan.roundCancel, nowMs)) on.push(`roundCancel ${pct(plan.roundCancel!.rate)}`);
  const crash = plan.consumerCrash;
  if (crash && repeating(crash.atMs, crash.restartAfterMs, crash.everyMs, trafficMs, nowMs)) on.push(`consumerCrash (${crash.consumers === 'all' ? 'all' : crash.consumers.join(',')})`);
  const rebalance = plan.rebalance;
  if (rebalance && repeating(rebalance.atMs, rebalance.pauseMs, rebalance.everyMs, trafficMs, nowMs)) on.push('rebalance');
  return model === 'request' ? on.filter((f) => !LOG_FAULTS.has(f.split(' ')[0]!)) : on;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10}%`;
