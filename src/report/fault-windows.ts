import { nextRepeatMs, type FaultPlan, type FaultWindow } from '../faults/plan.js';
import { neverActs } from '../faults/timed.js';
import type { CompiledScenario } from '../scenario/compile.js';
import type { FaultWindowReport } from './model.js';

/** Enough to shade any plot; a fault repeating more often than this would paint it solid anyway. */
const MAX_REPEATS = 500;

/**
 * The stretches of run time in which each fault of the plan was active, for the report (and so
 * the HTML plots) to shade. Repeating faults (a consumer crash every N s) are unrolled as the
 * simulator repeats them (nextRepeatMs), until trafficEndMs. `lastMs`: the run's deadline (the
 * end of the traffic and the drain); a fault timed beyond it never acted.
 */
export function faultWindows(plan: FaultPlan, trafficEndMs: number, lastMs = Infinity): FaultWindowReport[] {
  const out: FaultWindowReport[] = [];
  // A fault set to do nothing (a rate of 0, a slowdown by 1: how `--set` switches a scenario's
  // fault off) never acted: no window says it did. Nor does one that opens only after the run
  // (the run's note says so: see faultsAfterTraffic).
  const span = (fault: string, w: FaultWindow | undefined, acts: number) => {
    if (w === undefined || !acts || neverActs(fault, w.fromMs, trafficEndMs, lastMs)) return;
    out.push({ fault, fromMs: toTheMicrosecond(w.fromMs), toMs: Number.isFinite(w.toMs) ? toTheMicrosecond(w.toMs) : null });
  };
  span('responseLoss', plan.responseLoss, plan.responseLoss?.rate ?? 0);
  span('walletSlowdown', plan.walletSlowdown, (plan.walletSlowdown?.factor ?? 1) - 1);
  span('duplicateDelivery', plan.duplicateDelivery, plan.duplicateDelivery?.rate ?? 0);
  span('reorder', plan.reorder, plan.reorder?.rate ?? 0);
  span('hotPlayer', plan.hotPlayer, plan.hotPlayer?.share ?? 0);
  span('roundCancel', plan.roundCancel, plan.roundCancel?.rate ?? 0);
  const repeat = (fault: string, atMs: number, lengthMs: number, everyMs: number | undefined) => {
    // As the simulator schedules them: none at or after the deadline.
    for (let i = 0, from: number | undefined = atMs; i < MAX_REPEATS && from !== undefined && !neverActs(fault, from, trafficEndMs, lastMs); i++, from = nextRepeatMs(from, everyMs, trafficEndMs)) {
      out.push({ fault, fromMs: toTheMicrosecond(from), toMs: toTheMicrosecond(from + lengthMs) });
    }
  };
  if (plan.consumerCrash) repeat('consumerCrash', plan.consumerCrash.atMs, plan.consumerCrash.restartAfterMs, plan.consumerCrash.everyMs);
  if (plan.rebalance) repeat('rebalance', plan.rebalance.atMs, plan.rebalance.pauseMs, plan.rebalance.everyMs);
  return out;
}

/**
 * To the microsecond. The plan's times are seconds × 1000 (and --duration scales them), which in
 * binary can land just off the millisecond a person wrote: 2.01 s is 2009.9999999999998 ms, a
 * swarm seed's 5.357 s was 5356.999999999999. The simulator keeps its own times; the report
 * shows the ones the scenario meant.
 */
const toTheMicrosecond = (ms: number) => Math.round(ms * 1000) / 1000;

/**
 * The report's `scenario.faultWindows` field: absent without windows. `applied` keeps only the
 * faults a real target applies (the others never acted, and a shaded window would say they did).
 * `drainMs`: the drain the run really has (a real run caps the scenario's).
 */
export function faultWindowsField(scenario: CompiledScenario, applied?: readonly string[], drainMs = scenario.drainTimeoutMs): { faultWindows?: FaultWindowReport[] } {
  const trafficEndMs = scenario.phases.at(-1)?.endMs ?? 0;
  const windows = faultWindows(scenario.faults, trafficEndMs, trafficEndMs + drainMs).filter((w) => applied === undefined || applied.includes(w.fault));
  return windows.length === 0 ? {} : { faultWindows: windows };
}
