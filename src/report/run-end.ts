import type { RunReport } from './model.js';

/**
 * What in the way a run ended counts against it, beside its consistency and thresholds: no
 * convergence, its event limit, or its drain deadline with work left undone. One rule for the
 * exit code and every reporter, so that a file never says PASS for a run that exits 1.
 */
export function endProblem(run: Pick<RunReport, 'stopReason' | 'convergenceMs' | 'endMs'>): string | undefined {
  const at = `${run.endMs / 1000} s`;
  if (run.stopReason === 'event-limit') return `the run hit its event limit at ${at}`;
  if (run.convergenceMs === null) return `did not converge: ${run.stopReason} at ${at}`;
  if (run.stopReason === 'deadline') return `cut at its drain deadline at ${at}, with work left undone`;
  return undefined;
}
