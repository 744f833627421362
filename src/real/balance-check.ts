import type { PlayerAccount } from '../domain/ledger.js';
import { balanceBounds } from '../check/bounds.js';
import { ProblemList } from '../check/problems.js';
import type { OpTable } from '../check/op-table.js';
import type { VerdictSink } from '../check/verdicts.js';
import type { RunReport } from '../report/model.js';

/**
 * The check for a target without an audit endpoint: balances alone. Each player's final balance
 * must lie between what definitely happened and what possibly happened (the same bounds as the
 * ledger audit, after Jepsen's counter checker). Without entries nothing can be attributed to an
 * operation, so duplicates, lost and unexpected entries are not counted, only their effect on
 * balances shows (a double charge pushes a balance under its lower bound), and money
 * conservation cannot be checked (the house account is not visible).
 */
export function judgeBalances(
  ops: OpTable,
  players: readonly PlayerAccount[],
  balances: ReadonlyMap<string, number>,
  verdicts?: VerdictSink,
): { readonly negativeBalances: number; readonly consistency: RunReport['consistency'] } {
  const problems = new ProblemList();
  const note = (text: string, playerId: string) => problems.note(text, playerId);
  const bounds = balanceBounds(ops, players);
  let negative = 0;
  let outOfBounds = 0;
  let initialTotal = 0;
  for (const p of players) {
    initialTotal += p.initialBalance;
    const actual = balances.get(p.id);
    if (actual === undefined) continue;
    if (actual < 0) {
      negative++;
      note(`balance of ${p.id} is ${actual}, below zero`, p.id);
      verdicts?.add({ kind: 'negative', balance: actual }, p.id);
    }
    const b = bounds.get(p.id)!;
    if (actual < b.lower || actual > b.upper) {
      outOfBounds++;
      note(`balance of ${p.id} is ${actual}, outside what the acknowledged operations allow [${b.lower}, ${b.upper}]`, p.id);
      verdicts?.add({ kind: 'out-of-bounds', balance: actual, lower: b.lower, upper: b.upper }, p.id);
    }
  }
  return {
    negativeBalances: negative,
    consistency: {
      ok: outOfBounds === 0 && negative === 0,
      checkedBy: 'balances',
      balanceMismatches: 0,
      outOfBounds,
      conservation: { ok: true, initialMinorUnits: initialTotal, finalMinorUnits: initialTotal },
      problems: problems.list(),
    },
  };
}
