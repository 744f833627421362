/**
 * The checker's verdicts per operation, entry and balance (src/check/verdicts.ts): what it
 * judged wrong, as data, for the players a trace asks for.
 */
import { describe, expect, it } from 'vitest';
import { Auditor, type RunEnd } from '../src/check/auditor.js';
import { VerdictSink, type Verdict } from '../src/check/verdicts.js';
import { entryListOf, type LedgerEntry } from '../src/domain/journal.js';
import type { OpKind } from '../src/domain/operations.js';
import type { WalletResponse } from '../src/domain/results.js';
import type { Outcome, ProviderObserver } from '../src/provider/observer.js';
import type { RunReport } from '../src/report/model.js';

const PLAYERS = ['p1', 'p2', 'p3'].map((id) => ({ id, currency: 'EUR', initialBalance: 1000 }));
const END: RunEnd = {
  model: 'event',
  world: 'virtual',
  stopReason: 'drained',
  completed: true,
  endMs: 10_000,
  busyAtEnd: false,
  replays: 0,
  faults: { responsesLost: 0, betsDelayed: 0, redeliveries: 0, consumerCrashes: 0, rebalances: 0, hotPlayerRounds: 0, roundsCancelled: 0 },
};

/**
 * A run told by hand to the auditor: each operation is opened, sent once and answered; the
 * ledger is what `apply` booked. `traced`: the players whose verdicts are asked for.
 */
class Story {
  readonly auditor = new Auditor([{ name: 'steady', kind: 'steady', startMs: 0, endMs: 10_000, fromPerSec: 1, toPerSec: 1 }], 10_000);
  readonly observer: ProviderObserver = this.auditor;
  readonly verdicts: VerdictSink | undefined;
  private readonly entries: LedgerEntry[] = [];
  private readonly balances = new Map(PLAYERS.map((p) => [p.id, p.initialBalance]));
  private atMs = 0;

  constructor(traced: readonly string[] | undefined) {
    this.verdicts = traced === undefined ? undefined : new VerdictSink(traced);
  }

  /** One operation: opened, sent as `txId`, answered `code` (accepted for later, with `accepted`), ended `outcome`. */
  op(kind: OpKind, playerId: string, txId: string, amount: number, answer: { code?: WalletResponse['code']; accepted?: boolean; outcome?: Outcome; betOp?: number } = {}): number {
    const at = (this.atMs += 10);
    const id = this.observer.opened({ kind, playerId, amount, intendedAtMs: at, phase: 0, ...(answer.betOp !== undefined && { betOp: answer.betOp }) });
    this.observer.attemptSent(id, txId, 1, at);
    const response: WalletResponse = { code: answer.code ?? 'OK', ...(answer.accepted === true && { accepted: true }) };
    this.observer.answered(id, response, at, at + 1);
    this.observer.finished(id, answer.outcome ?? (response.code === 'OK' ? 'ok' : 'failed'), response, at + 1);
    return id;
  }

  /** A ledger entry booked to `playerId` (for operation `opRef`), and the settlement the wallet's probe reports with it. */
  apply(kind: OpKind, playerId: string, txId: string, delta: number, opRef?: number): void {
    this.atMs += 10;
    this.entries.push({ seq: this.entries.length, txId, kind, playerId, delta, opRef, appliedAtMs: this.atMs - 5 });
    this.balances.set(playerId, this.balances.get(playerId)! + delta);
    if (opRef !== undefined) this.auditor.settled({ kind, txId, playerId, opRef } as never, { code: 'OK' }, this.atMs - 5);
  }

  /** An accepted operation refused when the log applied it. */
  refuse(opRef: number, code: WalletResponse['code']): void {
    this.auditor.settled({ opRef } as never, { code }, (this.atMs += 10));
  }

  /** `wallet`: what the wallet says beside its entries (another balance, stakes still held). */
  judge(wallet: { balances?: ReadonlyMap<string, number>; held?: ReadonlyMap<string, number> } = {}): { report: RunReport } {
    const house = -[...this.balances.values()].reduce((a, b) => a + b - 1000, 0);
    const balances = new Map([...this.balances, ...(wallet.balances ?? [])]);
    return { report: this.auditor.report(END, PLAYERS, { entries: entryListOf(this.entries), balances, houseBalance: house, held: wallet.held }, this.verdicts) };
  }
}

/** Every kind of problem an operation or an entry can have, p1's, with p2's bet booked to p1 and p3's lost bet (p3 untraced). */
function everyProblem(traced: readonly string[] | undefined): Story {
  const s = new Story(traced);
  const fine = s.op('bet', 'p1', 'b0', 100);
  s.apply('bet', 'p1', 'b0', -100, fine);
  s.op('bet', 'p1', 'b1', 200); // acknowledged, never booked: lost
  const other = s.op('bet', 'p2', 'b2', 50);
  s.apply('bet', 'p1', 'b2', -50, other); // p2's bet, booked to p1: a mismatch, not an unexpected entry
  const refused = s.op('bet', 'p1', 'b3', 70, { accepted: true });
  s.refuse(refused, 'INSUFFICIENT_FUNDS'); // a late rejection
  s.op('bet', 'p1', 'b4', 80, { accepted: true }); // accepted, never applied nor refused: unsettled
  s.op('bet', 'p1', 'b5', 90, { code: 'DUPLICATE_MISMATCH' });
  s.apply('bet', 'p1', 'x9', -10); // no attempt sent it
  s.op('bet', 'p3', 'b6', 60); // p3's lost bet
  return s;
}

describe("the checker's verdicts, as data", () => {
  it('names each operation and entry it judged wrong, for the players asked for only', () => {
    const s = everyProblem(['p1', 'p2']);
    s.judge();
    const expected: Verdict[] = [
      { kind: 'entry-mismatch', entry: 1, opId: 2, bookedTo: 'p1', sentFor: 'p2', deltaMinorUnits: -50, sentMinorUnits: 50 },
      { kind: 'unexpected', entry: 2 },
      { kind: 'lost', opId: 1, accepted: false },
      { kind: 'rejected-late', opId: 3, code: 'INSUFFICIENT_FUNDS' },
      { kind: 'unsettled', opId: 4 },
      { kind: 'answer-mismatch', opId: 5 },
      { kind: 'out-of-bounds', balance: 840, lower: 620, upper: 700 },
    ];
    expect(s.verdicts!.of('p1')).toEqual(expected);
    // The entry concerns p2 too: its bet was booked to someone else.
    expect(s.verdicts!.of('p2')).toEqual([expected[0], { kind: 'out-of-bounds', balance: 1000, lower: 950, upper: 950 }]);
    expect(s.verdicts!.of('p3')).toEqual([]);
  });

  it('names the entries applied again and the one that took a balance below zero, an unrefunded rollback, and what a balance alone shows', () => {
    const s = new Story(['p1', 'p2']);
    const twice = s.op('bet', 'p1', 'b0', 100);
    s.apply('bet', 'p1', 'b0', -100, twice);
    s.apply('bet', 'p1', 'b0', -100, twice);
    const big = s.op('bet', 'p1', 'b1', 900);
    s.apply('bet', 'p1', 'b1', -900, big);
    const open = s.op('bet', 'p2', 'b2', 50, { code: 'TEMPORARY_ERROR', outcome: 'indeterminate' });
    s.apply('bet', 'p2', 'b2', -50, open);
    const rollback = s.op('rollback', 'p2', 'rb2', 50, { betOp: open });
    s.apply('rollback', 'p2', 'rb2', 0, rollback); // refunds nothing: the stake stays taken
    s.judge({ balances: new Map([['p2', 900]]), held: new Map([['p2', 30]]) });
    expect(s.verdicts!.of('p1')).toEqual([
      { kind: 'duplicate', entry: 1, opId: twice, nth: 2 },
      { kind: 'below-zero', entry: 2, balance: -100 },
      { kind: 'out-of-bounds', balance: -100, lower: 0, upper: 0 },
    ]);
    expect(s.verdicts!.of('p2')).toEqual([
      { kind: 'unrefunded', opId: rollback, betOpId: open, movedMinorUnits: -50 },
      { kind: 'balance-mismatch', balance: 900, entriesSum: 950 },
      { kind: 'held', heldMinorUnits: 30, balance: 900 },
      { kind: 'out-of-bounds', balance: 900, lower: 1000, upper: 1000 },
    ]);
  });

  it('leaves the report as it is: the same figures and problem lines with and without them', () => {
    const plain = everyProblem(undefined).judge().report;
    const traced = everyProblem(['p1', 'p2']).judge().report;
    expect(plain.consistency.ok).toBe(false);
    expect(plain).toMatchObject({ lost: 2, mismatches: 2, unexpected: 1, lateRejections: 1, unsettled: 1 });
    expect(JSON.stringify(traced)).toBe(JSON.stringify(plain));
  });
});

