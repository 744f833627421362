import type { RunReport } from '../report/model.js';
import type { ScenarioInput } from '../scenario/schema.js';
import { violatedInvariants, type Violation } from './invariants.js';
import { simplerCandidates, withPhaseNames, type Change } from './simplify.js';

/** A scenario and what its run gave. */
export interface Tried {
  readonly scenario: ScenarioInput;
  readonly run: RunReport;
  readonly violations: readonly Violation[];
}

/** A simplification the shrink kept, with the logical operations before and after it. */
export interface ShrinkStep extends Change {
  readonly logicalBefore: number;
  readonly logicalAfter: number;
}

export interface ShrinkLimits {
  /** Runs at most, the first (the scenario as given) included. */
  readonly maxRuns: number;
  /**
   * Asked before each run after the first; false stops the shrink where it is. The caller's time
   * bound: the core reads no clock, so a shrink cut by it is the one result that may differ
   * from one machine to another.
   */
  readonly keepGoing?: () => boolean;
  /**
   * Asked before each run after the first, before keepGoing; true stops the shrink where it is:
   * the caller was interrupted (Ctrl-C, SIGTERM). What was kept until then is the result.
   */
  readonly interrupted?: () => boolean;
}

/**
 * Why the shrink stopped: no simpler candidate kept the failure (a local minimum), a bound, or
 * the caller's interruption.
 */
export type ShrinkStop = 'minimal' | 'max-runs' | 'time' | 'interrupted';

export interface ShrinkResult {
  readonly original: Tried;
  readonly shrunk: Tried;
  readonly steps: readonly ShrinkStep[];
  readonly runs: number;
  readonly stoppedBy: ShrinkStop;
}

/**
 * Greedy shrinking, as QuickCheck and fast-check do for a failing case: try the scenario's
 * simpler candidates in order and keep the first whose run still breaks one of the invariants
 * the original broke, without more logical operations than the case it replaces (so each kept
 * step is no larger, and the failure is the same kind, not another one found on the way). After
 * a kept step the pass goes on from the same place in the new list of candidates (the next
 * fault, the same halving again), and passes repeat until one keeps nothing. `run` must be
 * deterministic; then so is the shrink, as long as `keepGoing` or `interrupted` does not cut it.
 */
export function shrink(start: ScenarioInput, run: (s: ScenarioInput) => RunReport, limits: ShrinkLimits): ShrinkResult {
  const runs = shrinking(start, run, limits);
  for (;;) {
    const next = runs.next();
    if (next.done === true) return next.value;
  }
}

/**
 * The shrink, one run at a time: yields the number of runs made after each run, and returns the
 * result. Runs are synchronous; a caller that waits for a turn of its event loop at each yield
 * lets a signal in between two runs (and answers it through `interrupted`). Driven to its end
 * without waiting, it is `shrink`: the same runs in the same order.
 */
export function* shrinking(start: ScenarioInput, run: (s: ScenarioInput) => RunReport, limits: ShrinkLimits): Generator<number, ShrinkResult, void> {
  const tried = (scenario: ScenarioInput): Tried => {
    const report = run(scenario);
    return { scenario, run: report, violations: violatedInvariants(report) };
  };
  const original = tried(withPhaseNames(start));
  yield 1;
  const targets = new Set(original.violations.map((v) => v.invariant));
  let current = original;
  const steps: ShrinkStep[] = [];
  let runs = 1;
  // Nothing broken is nothing to shrink: the original is its own minimum.
  let stoppedBy: ShrinkStop | undefined = targets.size === 0 ? 'minimal' : undefined;
  while (stoppedBy === undefined) {
    let kept = false;
    let candidates = simplerCandidates(current.scenario);
    for (let i = 0; i < candidates.length; i++) {
      stoppedBy = runs >= limits.maxRuns ? 'max-runs' : limits.interrupted?.() === true ? 'interrupted' : limits.keepGoing?.() === false ? 'time' : undefined;
      if (stoppedBy !== undefined) break;
      runs++;
      const candidate = candidates[i]!;
      const next = tried(candidate.scenario);
      yield runs;
      if (!keeps(next, current, targets)) continue;
      steps.push({ subject: candidate.subject, from: candidate.from, to: candidate.to, logicalBefore: logical(current), logicalAfter: logical(next) });
      current = next;
      kept = true;
      // Index i of the new list holds what comes next of the same kind: the next fault, or the
      // same halving again; so the pass goes on from here instead of trying every earlier one again.
      candidates = simplerCandidates(current.scenario);
      i--;
    }
    if (stoppedBy === undefined && !kept) stoppedBy = 'minimal';
  }
  return { original, shrunk: current, steps, runs, stoppedBy };
}

function keeps(next: Tried, current: Tried, targets: ReadonlySet<string>): boolean {
  return logical(next) <= logical(current) && next.violations.some((v) => targets.has(v.invariant));
}

function logical(t: Tried): number {
  return t.run.operations.logical;
}

/** Successive steps on one subject as one (282 → 1 in eight halvings), for an account people read. */
export interface StepSummary extends Change {
  readonly steps: number;
  readonly logicalBefore: number;
  readonly logicalAfter: number;
}

export function summarizeSteps(steps: readonly ShrinkStep[]): StepSummary[] {
  const out: StepSummary[] = [];
  for (const step of steps) {
    const last = out.at(-1);
    if (last !== undefined && last.subject === step.subject && step.to !== undefined) {
      out[out.length - 1] = { ...last, to: step.to, steps: last.steps + 1, logicalAfter: step.logicalAfter };
    } else {
      out.push({ ...step, steps: 1 });
    }
  }
  return out;
}
