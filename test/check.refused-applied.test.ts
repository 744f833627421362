/**
 * An operation every attempt of which was answered with a refusal definitely did not happen
 * (DESIGN, "What is measured and checked": the balance lies between what definitely happened and
 * what possibly happened). Its entry in the ledger contradicts that: `refusedButApplied`. Before,
 * only the bounds could see it, and another operation of the player whose fate is unknown widened
 * them enough to hide it: the run passed. An attempt whose answer is unknown (timed out, lost)
 * leaves the operation possible: no alarm.
 */
import { describe, expect, it } from 'vitest';
import { Auditor } from '../src/check/auditor.js';
import { judgeLedger } from '../src/check/consistency.js';
import { entryListOf, type LedgerEntry } from '../src/domain/journal.js';
import type { WalletResponse } from '../src/domain/results.js';

const players = [{ id: 'p0', currency: 'EUR', initialBalance: 10_000 }];

/** A bet of p0 of `amount` sent as txId, answered as `answers` says (undefined: timed out); returns its operation. */
function bet(auditor: Auditor, txId: string, amount: number, answers: readonly (WalletResponse | undefined)[], atMs: number): number {
  const op = auditor.opened({ kind: 'bet', playerId: 'p0', amount, intendedAtMs: atMs, phase: 0 });
  let last: WalletResponse | undefined;
  answers.forEach((answer, i) => {
    auditor.attemptSent(op, txId, i + 1, atMs + i);
    if (answer === undefined) auditor.timedOut(op, atMs + i + 1);
    else auditor.answered(op, answer, atMs + i, atMs + i + 1);
    last = answer;
  });
  const timedOut = answers.includes(undefined);
  const outcome = last?.code === 'OK' ? 'ok' : last === undefined ? 'indeterminate' : timedOut && last.code !== 'INSUFFICIENT_FUNDS' ? 'indeterminate' : 'failed';
  auditor.finished(op, outcome, last, atMs + answers.length);
  return op;
}

const REFUSED: WalletResponse = { code: 'INSUFFICIENT_FUNDS', balance: 0 };

/**
 * p0: a bet of 500 whose every attempt timed out (not applied, but it may have been: the lower
 * bound drops by 500), and a bet of 300 with the answers given, which the wallet applied all the
 * same. The balance, 9,700, lies within [9,500, 10,000]: the bounds alone pass it.
 */
function judged(refusedAnswers: readonly (WalletResponse | undefined)[]) {
  const auditor = new Auditor([], 1000);
  bet(auditor, 'b0', 500, [undefined], 0);
  const refused = bet(auditor, 'b1', 300, refusedAnswers, 10);
  const entries: LedgerEntry[] = [{ seq: 0, txId: 'b1', kind: 'bet', playerId: 'p0', delta: -300, opRef: refused, appliedAtMs: 11 }];
  return judgeLedger(auditor.ops, players, { entries: entryListOf(entries), balances: new Map([['p0', 9_700]]), houseBalance: 300 }, 0);
}

describe('a ledger entry of an operation refused on every attempt', () => {
  it('is counted as refused but applied, with a line naming its txId, player and code, even where the bounds allow the balance', () => {
    const verdict = judged([REFUSED]);
    // Before: consistent (nothing counted it, and the bounds hold the balance).
    expect(verdict.counts.refusedButApplied).toBe(1);
    expect(verdict.consistency).toMatchObject({ ok: false, outOfBounds: 0, balanceMismatches: 0 });
    expect(verdict.consistency.problems).toEqual(['bet b1 of p0 was answered INSUFFICIENT_FUNDS on every attempt, yet the audit lists it applied (delta -300)']);
  });

  it('a refusal after an attempt that timed out leaves the operation possible: no alarm', () => {
    const verdict = judged([undefined, REFUSED]);
    expect(verdict.counts.refusedButApplied).toBe(0);
    expect(verdict.consistency.ok).toBe(true);
  });

  it('retries refused for now (OVERLOADED) then refused for good, all answered, are a refusal too', () => {
    const verdict = judged([{ code: 'OVERLOADED' }, REFUSED]);
    expect(verdict.counts.refusedButApplied).toBe(1);
    expect(verdict.consistency.problems[0]).toBe('bet b1 of p0 was answered INSUFFICIENT_FUNDS on every attempt, yet the audit lists it applied (delta -300)');
  });

  it('an entry whose txId the wallet lists among its refusals is counted, once however both ways say it', () => {
    const auditor = new Auditor([], 1000);
    const accepted = auditor.opened({ kind: 'bet', playerId: 'p0', amount: 300, intendedAtMs: 0, phase: 0 });
    auditor.attemptSent(accepted, 'b0', 1, 0);
    auditor.answered(accepted, { code: 'OK', accepted: true }, 0, 1);
    auditor.finished(accepted, 'ok', { code: 'OK', accepted: true }, 1);
    const refused = bet(auditor, 'b1', 200, [REFUSED], 10);
    const entries: LedgerEntry[] = [
      { seq: 0, txId: 'b0', kind: 'bet', playerId: 'p0', delta: -300, opRef: accepted, appliedAtMs: 5 },
      { seq: 1, txId: 'b1', kind: 'bet', playerId: 'p0', delta: -200, opRef: refused, appliedAtMs: 11 },
    ];
    const refusedEntries = new Map([
      [0, 'INSUFFICIENT_FUNDS' as const],
      [1, 'INSUFFICIENT_FUNDS' as const],
    ]);
    const verdict = judgeLedger(auditor.ops, players, { entries: entryListOf(entries), balances: new Map([['p0', 9_500]]), houseBalance: 500, refusedEntries }, 0);
    expect(verdict.counts.refusedButApplied).toBe(2);
    expect(verdict.consistency.problems.slice(0, 2)).toEqual([
      "bet b0 of p0 is among the wallet's refusals (INSUFFICIENT_FUNDS), yet the audit lists it applied (delta -300)",
      'bet b1 of p0 was answered INSUFFICIENT_FUNDS on every attempt, yet the audit lists it applied (delta -200)',
    ]);
  });

  it('an accepted bet refused when applied (a late rejection) with no entry is no such thing', () => {
    const auditor = new Auditor([], 1000);
    const op = auditor.opened({ kind: 'bet', playerId: 'p0', amount: 300, intendedAtMs: 0, phase: 0 });
    auditor.attemptSent(op, 'b0', 1, 0);
    auditor.finished(op, 'ok', { code: 'OK', accepted: true }, 1);
    auditor.settled({ kind: 'bet', txId: 'b0', playerId: 'p0', roundId: 'r0', amount: 300, currency: 'EUR', opRef: op }, REFUSED, 5);
    const verdict = judgeLedger(auditor.ops, players, { entries: entryListOf([]), balances: new Map([['p0', 10_000]]), houseBalance: 0 }, 0);
    expect(verdict.counts).toMatchObject({ refusedButApplied: 0, lateRejections: 1 });
    expect(verdict.consistency.ok).toBe(true);
  });
});
