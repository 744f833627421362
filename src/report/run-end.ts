import type { RunReport } from './model.js';

/**
 * What in the way a run ended counts against it, beside its consistency and thresholds: no
 * convergence, its event limit, or its drain deadline with work left undone. One rule for the
 * exit code and every reporter, so that a file never says PASS for a run that exits 1 (nor
 * FAIL for one that exits 0).
 */
export function endProblem(run: Pick<RunReport, 'stopReason' | 'convergenceMs' | 'endMs'>): string | undefined {
  const at = endTime(run);
  if (run.stopReason === 'event-limit') return `the run hit its event limit at ${at}`;
  // Stopped on purpose (q): a normal end, which need not have drained or converged.
  if (run.stopReason === 'stopped') return undefined;
  // Interrupted (Ctrl-C, SIGTERM): its end is the problem, not its convergence, which it was not
  // given the time to reach (see convergenceNotMeasured); converged or not, it did not complete.
  if (run.stopReason === 'interrupted') return `interrupted at ${at}, before the run completed`;
  if (run.convergenceMs === null) return `did not converge: ${run.stopReason} at ${at}`;
  if (run.stopReason === 'deadline') return `cut at its drain deadline at ${at}, with work left undone`;
  return undefined;
}

/**
 * A run stopped early from outside (q, Ctrl-C, SIGTERM) before it converged: its convergence
 * was not measured, which is not a failure to converge. Every output shows it as such ('-', a
 * skipped case); only a run that went its own way to its end and did not converge failed to.
 */
export function convergenceNotMeasured(run: Pick<RunReport, 'stopReason' | 'convergenceMs'>): boolean {
  return run.convergenceMs === null && (run.stopReason === 'stopped' || run.stopReason === 'interrupted');
}

/** The run went its own way to its end and did not converge: a failure (see convergenceNotMeasured). */
export function neverConverged(run: Pick<RunReport, 'stopReason' | 'convergenceMs'>): boolean {
  return run.convergenceMs === null && !convergenceNotMeasured(run);
}

/** When a run ended, for a message: seconds of run time, to the millisecond. */
export function endTime(run: Pick<RunReport, 'endMs'>): string {
  return `${Math.round(run.endMs) / 1000} s`;
}
