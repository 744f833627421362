import type { RunReport } from '../report/model.js';

/** One broken invariant: its name (stable, what a shrink must keep broken) and the figure, in words. */
export interface Violation {
  readonly invariant: string;
  readonly text: string;
}

/**
 * What must hold for any traffic and any faults when idempotency and the inbox are on and the
 * provider reuses txIds: each violation names the figure that broke.
 */
export function violations(run: RunReport): string[] {
  return violatedInvariants(run).map((v) => v.text);
}

/** As violations(), each with the name of its invariant, so that two runs can be told to break the same one. */
export function violatedInvariants(run: RunReport): Violation[] {
  const out: Violation[] = [];
  const zero = (name: string, value: number) => value !== 0 && out.push({ invariant: name, text: `${name} = ${value}` });
  zero('duplicates', run.duplicates);
  zero('lost', run.lost);
  zero('unrefundedRollbacks', run.unrefundedRollbacks);
  zero('unexpected', run.unexpected);
  zero('refusedButApplied', run.refusedButApplied);
  zero('mismatches', run.mismatches);
  zero('negativeBalances', run.negativeBalances);
  zero('consistency.balanceMismatches', run.consistency.balanceMismatches);
  zero('consistency.outOfBounds', run.consistency.outOfBounds);
  if (!run.consistency.conservation.ok) out.push({ invariant: 'conservation', text: 'money not conserved' });
  if (run.convergenceMs === null) out.push({ invariant: 'convergence', text: 'did not converge' });
  if (!run.completed) out.push({ invariant: 'completion', text: `run ended early (${run.stopReason})` });
  return out;
}
