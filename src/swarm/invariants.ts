import type { RunReport } from '../report/model.js';

/**
 * What must hold for any traffic and any faults when idempotency and the inbox are on and the
 * provider reuses txIds: each violation names the figure that broke.
 */
export function violations(run: RunReport): string[] {
  const out: string[] = [];
  const zero = (name: string, value: number) => value !== 0 && out.push(`${name} = ${value}`);
  zero('duplicates', run.duplicates);
  zero('lost', run.lost);
  zero('unrefundedRollbacks', run.unrefundedRollbacks);
  zero('unexpected', run.unexpected);
  zero('mismatches', run.mismatches);
  zero('negativeBalances', run.negativeBalances);
  zero('consistency.balanceMismatches', run.consistency.balanceMismatches);
  zero('consistency.outOfBounds', run.consistency.outOfBounds);
  if (!run.consistency.conservation.ok) out.push('money not conserved');
  if (run.convergenceMs === null) out.push('did not converge');
  if (!run.completed) out.push(`run ended early (${run.stopReason})`);
  return out;
}
