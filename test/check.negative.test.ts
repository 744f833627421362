/**
 * A balance below zero fails the check, and the check says whose and how far, as it does for
 * every other failure: without a line a run failing only through it (a wallet that let a bet
 * through beyond the funds) was FAILED with nothing under it, in simulate and in the swarm.
 */
import { describe, expect, it } from 'vitest';
import { failureText } from '../src/cli/swarm-failure.js';
import { judgeLedger } from '../src/check/consistency.js';
import { OpTable } from '../src/check/op-table.js';
import { entryListOf, type LedgerEntry } from '../src/domain/journal.js';
import type { OpKind } from '../src/domain/operations.js';
import { judgeBalances } from '../src/real/balance-check.js';
import { runSeed } from '../src/swarm/swarm.js';

const account = (id: string) => ({ id, currency: 'EUR', initialBalance: 1000 });

/** A wallet without a funds check: each operation acknowledged and applied as sent. */
function wallet(playerIds: readonly string[], sent: readonly [kind: OpKind, player: string, amount: number][]) {
  const players = playerIds.map(account);
  const ops = new OpTable();
  const entries: LedgerEntry[] = [];
  const balances = new Map(players.map((p) => [p.id, p.initialBalance]));
  let house = 0;
  let lastBet = -1;
  sent.forEach(([kind, playerId, amount], seq) => {
    const op = ops.open({ kind, playerId, amount, intendedAtMs: seq, phase: 0, betOp: kind === 'bet' ? undefined : lastBet });
    if (kind === 'bet') lastBet = op;
    const txId = `${kind[0]}${seq}`;
    ops.attemptSent(op, txId);
    ops.finish(op, 'ok', false);
    const delta = kind === 'bet' ? -amount : amount;
    entries.push({ seq, txId, kind, playerId, delta, opRef: op, appliedAtMs: seq });
    balances.set(playerId, balances.get(playerId)! + delta);
    house -= delta;
  });
  return judgeLedger(ops, players, { entries: entryListOf(entries), balances, houseBalance: house }, 0);
}

describe('negative balances have a problem line', () => {
  it('a run failing only through a negative balance says whose and how much', () => {
    const verdict = wallet(['p1', 'p2'], [['bet', 'p1', 1500], ['bet', 'p2', 300]]);
    expect(verdict.counts).toMatchObject({ negativeBalances: 1, duplicates: 0, lost: 0, unexpected: 0, mismatches: 0, unrefundedRollbacks: 0 });
    expect(verdict.consistency).toMatchObject({ ok: false, balanceMismatches: 0, outOfBounds: 0, conservation: { ok: true } });
    expect(verdict.consistency.problems).toEqual(['balance of p1 is -500, below zero']);
  });

  it('a balance that went below zero and came back names how low it went and the entry that took it there', () => {
    const verdict = wallet(['p1'], [['bet', 'p1', 1500], ['win', 'p1', 700]]);
    expect(verdict.counts.negativeBalances).toBe(1);
    expect(verdict.consistency.problems).toEqual(['balance of p1 went below zero, down to -500 after bet b0 (it ends at 200)']);
    const lower = wallet(['p1'], [['bet', 'p1', 1500], ['bet', 'p1', 100], ['win', 'p1', 200]]);
    expect(lower.consistency.problems).toEqual(['balance of p1 is -400, below zero, down to -600 after bet b1']);
  });

  it("respects the list's cap", () => {
    const ids = Array.from({ length: 8 }, (_, i) => `p${i}`);
    const verdict = wallet(ids, ids.map((id) => ['bet', id, 1001] as const));
    expect(verdict.counts.negativeBalances).toBe(8);
    expect(verdict.consistency.problems).toEqual([...ids.slice(0, 5).map((id) => `balance of ${id} is -1, below zero`), '… and 3 more']);
  });

  it('the balances-only check of a real target says it too', () => {
    const players = [account('p1'), account('p2')];
    const judged = judgeBalances(new OpTable(), players, new Map([['p1', 1000], ['p2', -5]]));
    expect(judged.negativeBalances).toBe(1);
    expect(judged.consistency.problems).toContain('balance of p2 is -5, below zero');
  });

  it('the swarm prints it under a failing seed: a stake released twice (planted) drives a balance below zero', () => {
    // Hybrid seed 5 with releaseOnce off: 11 stakes held below zero, and one player who spent
    // what was released twice went below zero on the way (its line comes before the 11).
    const found = runSeed(5, 'hybrid', { safety: { releaseOnce: false } });
    expect(found.violations).toContain('negativeBalances = 1');
    const printed = failureText(found).split('\n');
    expect(printed[0]).toBe(`✘ seed 5 hybrid: ${found.violations.join('; ')}`);
    expect(printed[1]).toMatch(/^ {4}balance of p\d+ went below zero, down to -\d+ after bet b\d+ \(it ends at \d+\)$/);
    // The 11 held-stake lines and the rest are not printed, and the text says so.
    // 12 problems, of which the check lists 5 and counts 7 ("… and 7 more"): it said "3 more problem lines", the count line among them.
    expect(found.run.consistency.problems).toHaveLength(6);
    expect(found.run.consistency.problems.at(-1)).toBe('… and 7 more');
    expect(printed[4]).toBe('    (9 more problems: the replay lists the first 5 of the 12)');
    expect(printed[5]).toBe('    replay: walletstorm swarm --replay 5 --model hybrid');
  });
});
