/**
 * The checker's verdicts per operation, entry and balance (src/check/verdicts.ts), and the trace
 * that finds and marks a player's problems with them: whatever the first problem is, not only a
 * duplicate, and in the trace's own words, never parsed from the report's problem lines.
 */
import { describe, expect, it } from 'vitest';
import { Auditor, type RunEnd } from '../src/check/auditor.js';
import type { Verdict } from '../src/check/verdicts.js';
import { entryListOf, type LedgerEntry } from '../src/domain/journal.js';
import type { OpKind } from '../src/domain/operations.js';
import type { WalletResponse } from '../src/domain/results.js';
import type { Outcome, ProviderObserver } from '../src/provider/observer.js';
import type { RunReport } from '../src/report/model.js';
import { entrySourceOf } from '../src/trace/ledger-side.js';
import type { ModelTrace } from '../src/trace/model.js';
import type { WalletProbe } from '../src/models/probe.js';
import { observerFor, probeFor, type TraceRecorder } from '../src/trace/recorder.js';
import { renderTraces } from '../src/trace/render.js';
import { modelTrace } from '../src/trace/timeline.js';

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
 * A run told by hand to the auditor, and to a recorder beside it as a traced run is wired
 * (`traced`: its players): each operation is opened, sent once and answered; the ledger is what
 * `apply` booked.
 */
class Story {
  readonly auditor = new Auditor([{ name: 'steady', kind: 'steady', startMs: 0, endMs: 10_000, fromPerSec: 1, toPerSec: 1 }], 10_000);
  readonly observer: ProviderObserver;
  readonly recorder: TraceRecorder | undefined;
  /** The wallet's probe of a wallet that settles from its log, as a traced run wires it. */
  readonly probe: WalletProbe;
  private readonly entries: LedgerEntry[] = [];
  private readonly balances = new Map(PLAYERS.map((p) => [p.id, p.initialBalance]));
  private atMs = 0;

  constructor(traced: readonly string[] | undefined) {
    ({ observer: this.observer, recorder: this.recorder } = observerFor(this.auditor, traced));
    this.probe = probeFor(this.auditor, this.recorder, true);
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

  /** An accepted operation refused when the log applied it (`txId`: the attempt's, when not the first's). */
  refuse(opRef: number, code: WalletResponse['code'], txId?: string): void {
    this.probe.settled({ opRef, ...(txId !== undefined && { txId }) } as never, { code }, (this.atMs += 10));
  }

  /** `wallet`: what the wallet says beside its entries (another balance, stakes still held, a house account off by some money). */
  judge(wallet: { balances?: ReadonlyMap<string, number>; held?: ReadonlyMap<string, number>; houseDrift?: number } = {}): { report: RunReport; trace?: ModelTrace; firstProblemPlayer?: string } {
    const house = -[...this.balances.values()].reduce((a, b) => a + b - 1000, 0) + (wallet.houseDrift ?? 0);
    const balances = new Map([...this.balances, ...(wallet.balances ?? [])]);
    const { report, firstProblemPlayer } = this.auditor.audit(END, PLAYERS, { entries: entryListOf(this.entries), balances, houseBalance: house, held: wallet.held }, this.recorder?.verdicts);
    if (this.recorder === undefined) return { report, firstProblemPlayer };
    return { report, firstProblemPlayer, trace: modelTrace('event', this.recorder, { entries: entrySourceOf(this.entries) }, () => 1000) };
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

/** p1's bet applied twice, then one that takes its balance below zero; p2's rollback that refunds nothing, and p2's balance off with a stake held. */
function moneyProblems(): { s: Story; trace: ModelTrace } {
  const s = new Story(['p1', 'p2']);
  const twice = s.op('bet', 'p1', 'b0', 100);
  s.apply('bet', 'p1', 'b0', -100, twice);
  s.apply('bet', 'p1', 'b0', -100, twice);
  s.apply('bet', 'p1', 'b1', -900, s.op('bet', 'p1', 'b1', 900));
  const open = s.op('bet', 'p2', 'b2', 50, { code: 'TEMPORARY_ERROR', outcome: 'indeterminate' });
  s.apply('bet', 'p2', 'b2', -50, open);
  const rollback = s.op('rollback', 'p2', 'rb2', 50, { betOp: open });
  s.apply('rollback', 'p2', 'rb2', 0, rollback); // refunds nothing: the stake stays taken
  return { s, trace: s.judge({ balances: new Map([['p2', 900]]), held: new Map([['p2', 30]]) }).trace! };
}

describe("the checker's verdicts, as data", () => {
  it('names each operation and entry it judged wrong, for the players asked for only', () => {
    const s = everyProblem(['p1', 'p2']);
    s.judge();
    const expected: Verdict[] = [
      { kind: 'entry-mismatch', entry: 1, opId: 2, bookedTo: 'p1', sentFor: 'p2', deltaMinorUnits: -50, sentMinorUnits: 50 },
      { kind: 'unexpected', entry: 2 },
      { kind: 'lost', opId: 1, accepted: false },
      { kind: 'rejected-late', opId: 3, code: 'INSUFFICIENT_FUNDS', opKind: 'bet' },
      { kind: 'unsettled', opId: 4 },
      { kind: 'answer-mismatch', opId: 5 },
      { kind: 'out-of-bounds', balance: 840, lower: 620, upper: 700 },
    ];
    expect(s.recorder!.verdicts.of('p1')).toEqual(expected);
    // The entry concerns p2 too: its bet was booked to someone else.
    expect(s.recorder!.verdicts.of('p2')).toEqual([expected[0], { kind: 'out-of-bounds', balance: 1000, lower: 950, upper: 950 }]);
    expect(s.recorder!.verdicts.of('p3')).toEqual([]);
  });

  it('names the entries applied again and the one that took a balance below zero, an unrefunded rollback, and what a balance alone shows', () => {
    const { s } = moneyProblems();
    expect(s.recorder!.verdicts.of('p1')).toEqual([
      { kind: 'duplicate', entry: 1, opId: 0, nth: 2 },
      { kind: 'below-zero', entry: 2, balance: -100 },
      { kind: 'out-of-bounds', balance: -100, lower: 0, upper: 0 },
    ]);
    expect(s.recorder!.verdicts.of('p2')).toEqual([
      { kind: 'unrefunded', opId: 3, betOpId: 2, movedMinorUnits: -50 },
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

describe('the player `trace it:` names: the first problem\'s, as the checker found it (not read back from its words)', () => {
  it('is the player the first problem is about, with or without a trace', () => {
    const { report, firstProblemPlayer } = everyProblem(undefined).judge();
    // The first problem is p2's bet booked to p1: the entry's problem is about the player it was booked to, as its line says.
    // With what was sent beside it (before: '(p1, delta -50)' alone, which left the developer to find the bet's amount and player).
    expect(report.consistency.problems[0]).toBe('entry b2 differs from what was sent (p1, delta -50; sent: bet of 50 for p2)');
    expect(firstProblemPlayer).toBe('p1');
    expect(everyProblem(['p3']).judge().firstProblemPlayer).toBe('p1');
  });

  it('passes over problems about players the scenario does not have, listed or not, to the first about one it has', () => {
    const s = new Story(undefined);
    // Six entries booked to a player the wallet made up: five problem lines and "… and 1 more"…
    for (let n = 0; n < 6; n++) s.apply('bet', 'p99', `x${n}`, -1);
    // …and then p3's bet, acknowledged and never booked, which no listed line names.
    s.op('bet', 'p3', 'b0', 10);
    const { report, firstProblemPlayer } = s.judge();
    expect(report.consistency.problems).toHaveLength(6);
    expect(report.consistency.problems.join('\n')).not.toContain('p3');
    expect(firstProblemPlayer).toBe('p3');
  });

  it('is none when no problem is about a player (money not conserved, alone), or there is no problem', () => {
    const s = new Story(undefined);
    s.apply('bet', 'p1', 'b0', -100, s.op('bet', 'p1', 'b0', 100));
    expect(s.judge().firstProblemPlayer).toBeUndefined();
    const drift = s.judge({ houseDrift: 5 });
    expect(drift.report.consistency.problems).toEqual(['money is not conserved: initial 3000, players 2900, house 105']);
    expect(drift.firstProblemPlayer).toBeUndefined();
  });
});

describe('a trace built before the check', () => {
  it("shows none of the verdicts the check files afterwards (a real run interrupted while reading the wallet, the reading left to finish)", () => {
    const s = new Story(['p1']);
    s.op('bet', 'p1', 'b1', 200); // acknowledged, never booked: lost, and p1's balance out of bounds
    const trace = modelTrace('event', s.recorder!, { unread: "the wallet's ledger was not read" }, () => 1000);
    s.judge();
    const text = renderTraces([trace], { color: false, limit: 0 });
    expect(s.recorder!.verdicts.of('p1').map((v) => v.kind)).toEqual(['lost', 'out-of-bounds']);
    expect(text).not.toContain('◀');
  });
});

describe('the trace marks each verdict on the line it is about', () => {
  const { trace } = everyProblem(['p1', 'p2']).judge();
  const text = renderTraces([trace!], { color: false, limit: 0 });
  const story = (player: string) => text.slice(text.indexOf(`trace ${player} `)).split('\n\n')[0]!;

  it("an operation's on its outcome line, an answer DUPLICATE_MISMATCH on that answer, a balance's under the headline", () => {
    const p1 = story('p1');
    expect(p1).toMatch(/^trace p1 · event · 5 operations, 3 ledger entries, 1 unexpected, 1 lost, 2 mismatched, 1 rejected late, 1 unsettled, balance 1,000 → 840 · times in run ms\n/);
    expect(p1).toContain('\n  ◀ OUT OF BOUNDS: the balance ends at 840, outside what the acknowledged operations allow [620, 700]\n');
    expect(p1).toMatch(/ provider {2}b1 bet ended ok after 1 attempt {2}◀ LOST: acknowledged, but not in the ledger$/m);
    expect(p1).toMatch(/ provider {2}b3 bet ended ok after 1 attempt {2}◀ LATE REJECTION: accepted, then refused INSUFFICIENT_FUNDS when applied$/m);
    expect(p1).toMatch(/ provider {2}b4 bet ended ok after 1 attempt {2}◀ UNSETTLED: accepted, but neither applied nor refused when the run ended$/m);
    expect(p1).toMatch(/ provider {2}b5 attempt 1 answered DUPLICATE_MISMATCH {2}◀ MISMATCH: the wallet knew its txId with other content$/m);
    expect(p1).toMatch(/ wallet {4}x9 bet -10 applied, balance 840 {2}◀ UNEXPECTED: no attempt sent it$/m);
    // Each mark once: on its line, not on every line of the operation.
    expect(p1.match(/◀/g)).toHaveLength(7);
  });

  it("an entry booked to another player's operation is a mismatch, as the report counts it, in both players' stories", () => {
    expect(story('p1')).toMatch(/ wallet {4}b2 bet -50 applied, balance 850 {2}◀ MISMATCH: sent for p2, booked to p1$/m);
    expect(story('p1')).not.toMatch(/b2 .*UNEXPECTED/);
    const p2 = story('p2');
    expect(p2).toMatch(/^trace p2 · event · 1 operation, 0 ledger entries, 1 mismatched, balance 1,000 → 1,000 /);
    expect(p2).toMatch(/ provider {2}b2 bet ended ok after 1 attempt {2}◀ MISMATCH: its entry was booked to p1$/m);
  });
});

describe('the trace marks what moved money wrongly', () => {
  const text = renderTraces([moneyProblems().trace], { color: false, limit: 0 });

  it('the entry applied again, the one that took the balance below zero, the rollback that refunded nothing', () => {
    expect(text).toMatch(/^trace p1 · event · 2 operations, 3 ledger entries, 1 applied more than once, went below zero, balance 1,000 → -100 /m);
    expect(text).toMatch(/ wallet {4}b0 bet -100 applied again, balance 800 {2}◀ DUPLICATE: bet b0 applied a 2nd time$/m);
    expect(text).toMatch(/ wallet {4}b1 bet -900 applied, balance -100 {2}◀ BELOW ZERO: the first entry to take the balance under 0$/m);
    expect(text).toMatch(/^trace p2 · event · 2 operations, 2 ledger entries, 1 rollback unrefunded, balance 1,000 → 950 /m);
    expect(text).toMatch(/ provider {2}rb2 rollback ended ok after 1 attempt {2}◀ UNREFUNDED: bet b2 still took 50$/m);
  });

  it("a balance's verdicts under the player's headline: no line of the story is about them", () => {
    const p2 = text.slice(text.indexOf('trace p2 ')).split('\n');
    expect(p2.slice(1, 4)).toEqual([
      '  ◀ BALANCE: the wallet says 900, its entries add up to 950',
      '  ◀ HELD: 30 still held with nothing left to settle; it can spend 870 of 900',
      '  ◀ OUT OF BOUNDS: the balance ends at 900, outside what the acknowledged operations allow [1,000, 1,000]',
    ]);
  });
});

describe('settlements refused when applied: late rejections and failed events, counted apart', () => {
  it('a bet refused late and a win refused after it: the headline counts each as its mark names it, as the report counts late rejections', () => {
    const s = new Story(['p1']);
    const bet = s.op('bet', 'p1', 'b1', 70, { accepted: true });
    s.refuse(bet, 'INSUFFICIENT_FUNDS');
    s.refuse(s.op('win', 'p1', 'w1', 30, { accepted: true, betOp: bet }), 'BET_NOT_FOUND');
    const { report, trace } = s.judge();
    expect(report).toMatchObject({ lateRejections: 1, failedEvents: 2 });
    const text = renderTraces([trace!], { color: false, limit: 0 });
    expect(text).toMatch(/^trace p1 · event · 2 operations, 0 ledger entries, 1 rejected late, 1 failed event, balance 1,000 → 1,000 /m);
    expect(text).toMatch(/ provider {2}b1 bet ended ok after 1 attempt {2}◀ LATE REJECTION: accepted, then refused INSUFFICIENT_FUNDS when applied$/m);
    expect(text).toMatch(/ provider {2}w1 win ended ok after 1 attempt {2}◀ FAILED EVENT: accepted, then refused BET_NOT_FOUND when applied$/m);
  });

  it("each refusal is the wallet's line, where it happened, with its code and the balance it left as it was (it books nothing)", () => {
    const s = new Story(['p1']);
    s.apply('bet', 'p1', 'b0', -100, s.op('bet', 'p1', 'b0', 100));
    const bet = s.op('bet', 'p1', 'b1', 70, { accepted: true });
    s.refuse(bet, 'INSUFFICIENT_FUNDS');
    s.refuse(s.op('win', 'p1', 'w1', 30, { accepted: true, betOp: bet }), 'BET_NOT_FOUND', 'w1-retry');
    s.apply('bet', 'p1', 'b2', -50, s.op('bet', 'p1', 'b2', 50));
    s.refuse(s.op('rollback', 'p1', 'rb2', 50, { accepted: true, betOp: bet }), 'BET_ROLLED_BACK');
    const text = renderTraces([s.judge().trace!], { color: false, limit: 0 });
    const wallet = text.split('\n').filter((l) => / wallet {4}/.test(l)).map((l) => l.replace(/^ +[\d,.]+ {2}wallet {4}/, ''));
    expect(wallet).toEqual([
      'b0 bet -100 applied, balance 900',
      'b1 bet -70 refused INSUFFICIENT_FUNDS, balance 900',
      'w1-retry (of w1) win +30 refused BET_NOT_FOUND, balance 900',
      'b2 bet -50 applied, balance 850',
      'rb2 rollback +50 refused BET_ROLLED_BACK, balance 850',
    ]);
    // After the provider's lines of its operation, as an entry comes after the send that caused it; the marks stay on the outcome lines.
    const lines = text.split('\n');
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    expect(at(/ wallet {4}b1 bet -70 refused/)).toBe(at(/ provider {2}b1 bet ended ok .*◀ LATE REJECTION/) + 1);
    expect(lines[at(/ wallet {4}b1 bet -70 refused/)]).not.toContain('◀');
  });
});

describe('--trace-limit: the window finds the first problem, whatever it is', () => {
  /** p1: `fine` bets booked as sent (5 lines each), then one acknowledged and never booked, then `fine` more. */
  function lostAfter(fine: number): ModelTrace {
    const s = new Story(['p1']);
    const bet = (n: number) => s.apply('bet', 'p1', `b${n}`, -1, s.op('bet', 'p1', `b${n}`, 1));
    for (let n = 0; n < fine; n++) bet(n);
    s.op('bet', 'p1', 'lost', 1);
    for (let n = fine; n < 2 * fine; n++) bet(n);
    return s.judge().trace!;
  }

  it('a lost operation 250 lines in: the window shows its opening and its marked outcome', () => {
    const text = renderTraces([lostAfter(50)], { color: false, limit: 20 });
    expect(text).toContain('  … 247 earlier lines (--trace-limit 0 shows every line)\n');
    expect(text).toMatch(/ provider {2}bet lost opened: 1$/m);
    expect(text).toMatch(/ provider {2}lost bet ended ok after 1 attempt {2}◀ LOST: acknowledged, but not in the ledger$/m);
  });
});
