import { EXIT, type ExitCode } from '../errors.js';
import type { Report } from '../report/model.js';
import { endProblem } from '../report/run-end.js';

/**
 * A run that hit a hard limit could not complete (3); a failed check or threshold is 1, and so
 * is a run cut at its drain deadline (work left undone, which the verdict shows as ✘) even when
 * the wallet itself converged; else 0.
 */
export function exitCodeFor(report: Report): ExitCode {
  if (report.runs.some((r) => r.stopReason === 'event-limit')) return EXIT.unreachable;
  if (report.runs.some((r) => !r.consistency.ok || endProblem(r) !== undefined)) return EXIT.checkFailed;
  if (report.runs.some((r) => r.thresholds?.some((t) => !t.ok))) return EXIT.checkFailed;
  return EXIT.ok;
}
