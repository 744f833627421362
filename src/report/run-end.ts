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
  if (run.convergenceMs === null) return `did not converge: ${run.stopReason} at ${at}`;
  if (run.stopReason === 'deadline') return `cut at its drain deadline at ${at}, with work left undone`;
  return undefined;
}

/** When a run ended, for a message: seconds of run time, to the millisecond. */
export function endTime(run: Pick<RunReport, 'endMs'>): string {
  return `${Math.round(run.endMs) / 1000} s`;
}
