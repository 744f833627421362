import type { EntryList } from '../domain/journal.js';
import type { PlayerAccount } from '../domain/ledger.js';
import type { ResultCode } from '../domain/results.js';
import type { RunReport } from '../report/model.js';
import { opPlayers, PlayerBook, playerBounds } from './bounds.js';
import { conservation } from './conservation.js';
import type { OpTable } from './op-table.js';
import { ProblemList } from './problems.js';
import type { VerdictSink } from './verdicts.js';

/** What the checker reads from the wallet at the end: its audit log and its balances. */
export interface LedgerSnapshot {
  readonly entries: EntryList;
  readonly balances: ReadonlyMap<string, number>;
  /** The house account, when the wallet exposes it (the simulator does). */
  readonly houseBalance?: number;
  /**
   * Stakes still held by reservations, per player (absent: none), when the wallet exposes them
   * and has nothing left to settle (the simulator's idle wallet). Every reservation has been
   * posted, voided or has lapsed by then, so any stake still held (or released twice, below
   * zero) is a balance the player is shown that differs from the settled one.
   */
  readonly held?: ReadonlyMap<string, number>;
  /**
   * A real wallet: `held` is not the wallet's own figure but two reads apart, the settled balance
   * GET /wallet/balances lists less what GET /wallet/balance/:playerId says the player can spend.
   * Its problem names both reads: a request-driven wallet holds no stakes, and a read that is
   * stale (a cache) looks the same.
   */
  readonly heldFromReads?: boolean;
  /**
   * Every settlement is in this snapshot: the wallet applied all it had accepted (it said it had
   * nothing left to do) and lists what it refused as well as what it applied (a real run over
   * HTTP reading GET /wallet/refusals). An accepted operation neither applied nor refused was
   * then dropped: lost, not merely unsettled. Absent: its fate is unknown.
   */
  readonly everySettlementListed?: boolean;
  /**
   * A real wallet's audit: the entries (by index) whose op ref names another operation than the
   * one that sent their txId, and the op ref listed. The entry is judged as its txId's operation;
   * the op ref, which must be the Walletstorm-Op-Ref of the attempt applied, is content that
   * differs from what was sent (a mismatch).
   */
  readonly wrongOpRefs?: ReadonlyMap<number, number>;
  /**
   * A real wallet's audit over HTTP: the entries (by index) whose txId the wallet's refusals
   * (GET /wallet/refusals) list too, and the code listed there. Refused and applied: one of the
   * wallet's two records is wrong.
   */
  readonly refusedEntries?: ReadonlyMap<number, ResultCode>;
}

type Counts = Pick<
  RunReport,
  | 'duplicates'
  | 'duplicateMinorUnits'
  | 'unrefundedRollbacks'
  | 'lost'
  | 'unexpected'
  | 'refusedButApplied'
  | 'mismatches'
  | 'negativeBalances'
  | 'lateRejections'
  | 'failedEvents'
  | 'unsettled'
>;

export interface Verdict {
  readonly counts: Counts;
  readonly consistency: RunReport['consistency'];
  /** The player of the first problem that is about one of the scenario's players (see ProblemList.firstPlayerId). */
  readonly firstProblemPlayer?: string;
}
/**
 * Audits the final ledger against the logical operations the provider sent.
 * - every entry must belong to an attempt of a logical operation (else: unexpected);
 * - an operation with more than one entry that moved money was applied more than once (duplicate);
 * - an operation the provider saw succeed must have an entry (else: lost); one it saw refused
 *   on every attempt, each answered, must have none (else: refused but applied), nor may an
 *   entry's txId be among the wallet's refusals;
 * - per player, the balance must equal initial + entries (and, with nothing left to settle, no
 *   stake may still be held), and lie between what definitely
 *   happened and what possibly happened (indeterminate attempts widen the range, as Jepsen's
 *   counter checker does); money is conserved across players and house.
 * `verdicts`, for a traced run only, receives the same findings as data, for the players it wants.
 * The problems are noted in that order: the report keeps the first few.
 */
export function judgeLedger(ops: OpTable, players: readonly PlayerAccount[], ledger: LedgerSnapshot, mismatchAnswers: number, verdicts?: VerdictSink): Verdict {
  const judge = new LedgerJudge(ops, players, ledger, verdicts);
  judge.replayEntries();
  judge.judgeOperations();
  if (verdicts !== undefined) answerMismatches(ops, verdicts);
  judge.judgeNegatives();
  judge.judgeBalances();
  return judge.verdict(mismatchAnswers);
}

/** One audit of a ledger: the state its passes build up, pass after pass. */
class LedgerJudge {
  private readonly problems = new ProblemList();
  private readonly book: PlayerBook;
  /** Per operation: its player's number in the book. */
  private readonly opPlayer: Int32Array;
  /** Per player number: the initial balance plus the entries replayed so far. */
  private readonly running: number[];
  private readonly negative = new Set<string>();
  /** Per player that went below zero in its entries: the lowest balance, and the entry that made it. */
  private readonly lowest = new Map<string, { balance: number; entry: string }>();
  /** Per operation: ledger entries attributed to it, and their summed effect on the balance. */
  private readonly entryCount: Int32Array;
  private readonly netDelta: Float64Array;
  private readonly movedAgain: Uint8Array;
  /**
   * Per bet operation: what the wins of its round credited, and whether one was applied at all
   * (a win of 0 settles a lost round too, and moves nothing).
   */
  private readonly roundWins: Float64Array;
  private readonly roundWon: Uint8Array;
  private unexpected = 0;
  private refusedButApplied = 0;
  private contentMismatches = 0;
  private duplicateMinorUnits = 0;
  private duplicates = 0;
  private lost = 0;
  private lateRejections = 0;
  private failedEvents = 0;
  private unsettled = 0;
  private unrefundedRollbacks = 0;
  private balanceMismatches = 0;
  private outOfBounds = 0;

  constructor(
    private readonly ops: OpTable,
    private readonly players: readonly PlayerAccount[],
    private readonly ledger: LedgerSnapshot,
    private readonly verdicts: VerdictSink | undefined,
  ) {
    this.book = new PlayerBook(players);
    this.opPlayer = opPlayers(ops, this.book);
    // After the operations' players: an entry's player not numbered yet is appended.
    this.running = this.book.initial.slice();
    this.entryCount = new Int32Array(ops.length);
    this.netDelta = new Float64Array(ops.length);
    this.movedAgain = new Uint8Array(ops.length);
    this.roundWins = new Float64Array(ops.length);
    this.roundWon = new Uint8Array(ops.length);
  }

  /**
   * An entry may be booked to a player the scenario does not have (a real wallet's mistake): its
   * problem is about nobody a trace can follow. Operations are always the scenario's players'.
   */
  private note(text: string, playerId?: string): void {
    this.problems.note(text, playerId !== undefined && this.book.isScenarios(playerId) ? playerId : undefined);
  }

  /**
   * Every entry in ledger order: the running balances, and each entry against the operation it
   * names. An entry's player is numbered in the book by its number in the entries (looked up by
   * id once per player, see bookNumberOf): per entry, no id is read or compared; the id is read
   * for a problem only.
   */
  replayEntries(): void {
    const { ops, opPlayer, running, entryCount, netDelta, verdicts } = this;
    const { entries } = this.ledger;
    const bookNumbers = new Int32Array(entries.playerCount).fill(-1);
    for (let i = 0; i < entries.length; i++) {
      const player = this.bookNumberOf(entries.player(i), bookNumbers);
      const delta = entries.delta(i);
      const op = entries.opRef(i);
      const kind = entries.kind(i);
      const sent = ops.has(op) && ops.kind(op) === kind && ops.hasTxId(op, entries.txId(i));
      const balance = (running[player] ?? 0) + delta;
      running[player] = balance;
      if (balance < 0) this.belowZero(i, entries.playerId(i), balance);
      if (!sent) {
        this.unexpectedEntry(i, entries.playerId(i));
        continue;
      }
      netDelta[op]! += delta;
      if (kind === 'win' && ops.betOp(op) >= 0) {
        this.roundWins[ops.betOp(op)]! += delta;
        this.roundWon[ops.betOp(op)] = 1;
      }
      // Applied again and moved money again: a duplicate. A repeat that moved nothing (a second
      // rollback of a bet already refunded, which the rules let succeed) is not applied twice.
      if (++entryCount[op]! > 1 && delta !== 0) {
        this.duplicateMinorUnits += Math.abs(delta);
        this.movedAgain[op] = 1;
        if (verdicts !== undefined) verdicts.add({ kind: 'duplicate', entry: i, opId: op, nth: entryCount[op]! }, entries.playerId(i), ops.playerId(op));
      }
      // The book numbers each id once: the same number is the same player as the operation's.
      if (!contentMatches(ops, op, player === opPlayer[op], delta)) this.mismatchedEntry(i, op, entries.playerId(i), delta);
      const refused = ops.refusedCode(op) ?? this.ledger.refusedEntries?.get(i);
      if (refused !== undefined) this.refusedEntry(i, op, entries.playerId(i), refused);
    }
    this.judgeOpRefs();
  }

  /**
   * The book's number of the entries' player `listed` (EntryList.player): `bookNumbers` keeps
   * those found so far, -1 for none yet. A player the scenario does not have is numbered at its
   * first entry, as the book numbers them (in the order met).
   */
  private bookNumberOf(listed: number, bookNumbers: Int32Array): number {
    let n = bookNumbers[listed]!;
    if (n < 0) bookNumbers[listed] = n = this.book.numberOf(this.ledger.entries.playerIdOf(listed));
    return n;
  }

  /**
   * An entry of an operation that definitely did not happen: every attempt was answered, each
   * with a refusal, or the wallet lists its txId among its refusals. The ledger contradicts what
   * the wallet said: a player charged for a bet it was told was refused (or the other way round).
   */
  private refusedEntry(entry: number, op: number, playerId: string, code: ResultCode): void {
    const { entries } = this.ledger;
    const { ops } = this;
    this.refusedButApplied++;
    const why = ops.refusedCode(op) !== undefined ? `was answered ${code} on every attempt` : `is among the wallet's refusals (${code})`;
    this.note(`${entries.kind(entry)} ${entries.txId(entry)} of ${ops.playerId(op)} ${why}, yet the audit lists it applied (delta ${entries.delta(entry)})`, playerId);
    this.verdicts?.add({ kind: 'refused-applied', entry, opId: op, code }, playerId, ops.playerId(op));
  }

  /** Entries listed with the op ref of another operation than the one that sent them (see LedgerSnapshot.wrongOpRefs). */
  private judgeOpRefs(): void {
    const { entries, wrongOpRefs } = this.ledger;
    if (wrongOpRefs === undefined) return;
    for (const [i, listed] of wrongOpRefs) {
      const op = entries.opRef(i);
      if (!this.ops.has(op)) continue;
      this.contentMismatches++;
      const playerId = entries.playerId(i);
      this.note(`entry ${entries.txId(i)} of ${playerId} lists opRef ${listed}, but it was sent with Walletstorm-Op-Ref ${op}: the audit must return the op ref of the attempt it applied`, playerId);
    }
  }

  private belowZero(entry: number, playerId: string, balance: number): void {
    const { entries } = this.ledger;
    if (this.verdicts?.wants(playerId) === true && !this.negative.has(playerId)) this.verdicts.add({ kind: 'below-zero', entry, balance }, playerId);
    this.negative.add(playerId);
    if (balance < (this.lowest.get(playerId)?.balance ?? 0)) this.lowest.set(playerId, { balance, entry: `${entries.kind(entry)} ${entries.txId(entry)}` });
  }

  private unexpectedEntry(entry: number, playerId: string): void {
    const { entries } = this.ledger;
    this.unexpected++;
    this.note(`unexpected ledger entry ${entries.kind(entry)} ${entries.txId(entry)} for ${playerId}: no attempt sent it`, playerId);
    if (this.verdicts?.wants(playerId) === true) this.verdicts.add({ kind: 'unexpected', entry }, playerId);
  }

  private mismatchedEntry(entry: number, op: number, playerId: string, delta: number): void {
    this.contentMismatches++;
    // What was sent beside what was booked: a developer sees the rounding, the fee or the wrong account at once.
    const { ops } = this;
    const sent = `${ops.kind(op) === 'rollback' ? 'rollback of a bet of' : `${ops.kind(op)} of`} ${ops.amount(op)} for ${ops.playerId(op)}`;
    this.note(`entry ${this.ledger.entries.txId(entry)} differs from what was sent (${playerId}, delta ${delta}; sent: ${sent})`, playerId);
    if (this.verdicts !== undefined) {
      const sentFor = this.ops.playerId(op);
      this.verdicts.add({ kind: 'entry-mismatch', entry, opId: op, bookedTo: playerId, sentFor, deltaMinorUnits: delta, sentMinorUnits: this.ops.amount(op) }, playerId, sentFor);
    }
  }

  /** Every operation against its entries: unrefunded rollbacks, duplicates, lost, and what the log refused or left unsettled. */
  judgeOperations(): void {
    const { ops, entryCount, movedAgain } = this;
    for (let op = 0; op < ops.length; op++) {
      const kind = ops.kind(op);
      const applied = ops.applied(op);
      const bet = ops.betOp(op);
      if (kind === 'rollback' && applied === 'yes' && bet >= 0) this.judgeRollback(op, bet);
      const entries = entryCount[op]!;
      if (movedAgain[op] === 1) {
        this.duplicates++;
        this.note(`${kind} ${ops.firstTxId(op)} of ${ops.playerId(op)} applied ${entries} times`, ops.playerId(op));
      }
      if (applied === 'yes' && entries === 0) {
        this.lost++;
        this.note(`${kind} ${ops.firstTxId(op)} of ${ops.playerId(op)} was acknowledged but is not in the ledger`, ops.playerId(op));
        this.verdicts?.add({ kind: 'lost', opId: op, accepted: false }, ops.playerId(op));
      }
      if (ops.accepted(op) && !ops.settledOk(op)) this.judgeSettlement(op);
    }
  }

  /**
   * A rollback the provider saw succeed voids its bet: the round must not move money, bet,
   * refunds and wins together (a rolled-back bet refuses its win, a won bet its rollback). A
   * round whose win was applied at all, even a win of 0 (a lost round settled: its refund
   * hands back a stake the player lost), was not rolled back.
   */
  private judgeRollback(op: number, bet: number): void {
    const { ops } = this;
    const won = this.roundWins[bet]!;
    const moved = this.netDelta[bet]! + this.netDelta[op]! + won;
    const settled = this.roundWon[bet] === 1;
    if (moved === 0 && !settled) return;
    this.unrefundedRollbacks++;
    const what = `bet ${ops.firstTxId(bet)} of ${ops.playerId(bet)} was rolled back`;
    this.note(
      settled
        ? `${what}, yet its round was settled too (credited ${won}) and moved ${moved}`
        : moved < 0
          ? `${what} but still took ${-moved}`
          : `${what} and refunded ${moved} more than it took`,
      ops.playerId(bet),
    );
    this.verdicts?.add({ kind: 'unrefunded', opId: op, betOpId: bet, movedMinorUnits: moved, ...(settled && { wonMinorUnits: won }) }, ops.playerId(op));
  }

  /** An operation the wallet accepted, not (yet) applied: refused by the log, or never settled. */
  private judgeSettlement(op: number): void {
    const { ops, ledger } = this;
    const kind = ops.kind(op);
    const code = ops.settledCode(op);
    if (code !== undefined) {
      this.failedEvents++;
      if (kind === 'bet') this.lateRejections++;
      this.verdicts?.add({ kind: 'rejected-late', opId: op, code, opKind: kind }, ops.playerId(op));
      return;
    }
    this.unsettled++;
    if (ledger.everySettlementListed === true) {
      this.lost++;
      this.note(`${kind} ${ops.firstTxId(op)} of ${ops.playerId(op)} was accepted, but the wallet, with nothing left to apply, neither applied nor refused it`, ops.playerId(op));
    }
    this.verdicts?.add(ledger.everySettlementListed === true ? { kind: 'lost', opId: op, accepted: true } : { kind: 'unsettled', opId: op }, ops.playerId(op));
  }

  /**
   * Before the balances that do not reconcile: a player who spent money it did not have may be
   * the only thing wrong (a funds check that let a bet through), and would otherwise go unsaid.
   */
  judgeNegatives(): void {
    const { balances } = this.ledger;
    for (const p of this.players) if ((balances.get(p.id) ?? 0) < 0) this.negative.add(p.id);
    for (const id of this.negative) {
      const actual = balances.get(id) ?? 0;
      const low = this.lowest.get(id);
      const below = low === undefined || low.balance >= actual ? '' : `, down to ${low.balance} after ${low.entry}`;
      this.note(actual < 0 ? `balance of ${id} is ${actual}, below zero${below}` : `balance of ${id} went below zero${below} (it ends at ${actual})`, id);
      // One that went below zero in its entries has the entry that took it there (below-zero).
      if (low === undefined) this.verdicts?.add({ kind: 'negative', balance: actual }, id);
    }
  }

  /** Each player's balance against its entries, the stakes still held, and the bounds of what was acknowledged. */
  judgeBalances(): void {
    const { ledger, book, running, verdicts } = this;
    const bounds = playerBounds(this.ops, book, this.opPlayer);
    for (const p of this.players) {
      const actual = ledger.balances.get(p.id) ?? 0;
      const held = ledger.held?.get(p.id) ?? 0;
      const player = book.numberOf(p.id);
      const sum = running[player]!;
      if (actual !== sum || held !== 0) this.balanceMismatches++;
      if (actual !== sum) {
        this.note(`balance of ${p.id} is ${actual} but its entries add up to ${sum}`, p.id);
        verdicts?.add({ kind: 'balance-mismatch', balance: actual, entriesSum: sum }, p.id);
      }
      if (held !== 0) {
        this.note(ledger.heldFromReads === true ? readsApart(p.id, actual, held) : `${p.id} has ${held} ${held > 0 ? 'still held' : 'held below zero (released twice)'} with nothing left to settle: it can spend ${actual - held} of a balance of ${actual}`, p.id);
        verdicts?.add({ kind: 'held', heldMinorUnits: held, balance: actual }, p.id);
      }
      const lower = bounds.lower[player]!;
      const upper = bounds.upper[player]!;
      if (actual < lower || actual > upper) {
        this.outOfBounds++;
        this.note(`balance of ${p.id} is ${actual}, outside what the acknowledged operations allow [${lower}, ${upper}]`, p.id);
        verdicts?.add({ kind: 'out-of-bounds', balance: actual, lower, upper }, p.id);
      }
    }
  }

  /** Conservation last (a problem about no player), then the counts and the verdict. */
  verdict(mismatchAnswers: number): Verdict {
    const money = conservation(this.players, this.book.initial, this.running, this.ledger);
    const conserved = money.ok;
    if (!conserved) this.note(`money is not conserved: initial ${money.initialMinorUnits}, players ${money.playersMinorUnits}, house ${money.houseMinorUnits}`);
    const { duplicates, duplicateMinorUnits, unrefundedRollbacks, lost, unexpected, refusedButApplied, lateRejections, failedEvents, unsettled, balanceMismatches, outOfBounds, problems } = this;
    const mismatches = mismatchAnswers + this.contentMismatches;
    const negativeBalances = this.negative.size;
    const ok =
      duplicates === 0 &&
      unrefundedRollbacks === 0 &&
      lost === 0 &&
      unexpected === 0 &&
      refusedButApplied === 0 &&
      mismatches === 0 &&
      negativeBalances === 0 &&
      balanceMismatches === 0 &&
      outOfBounds === 0 &&
      conserved;
    return {
      counts: { duplicates, duplicateMinorUnits, unrefundedRollbacks, lost, unexpected, refusedButApplied, mismatches, negativeBalances, lateRejections, failedEvents, unsettled },
      consistency: {
        ok,
        checkedBy: 'ledger-audit',
        balanceMismatches,
        outOfBounds,
        conservation: { ok: conserved, initialMinorUnits: Number(money.initialMinorUnits), finalMinorUnits: Number(money.finalMinorUnits) },
        problems: problems.list(),
      },
      ...(problems.firstPlayerId !== undefined && { firstProblemPlayer: problems.firstPlayerId }),
    };
  }
}

/** The spendable and the settled balance of a real wallet disagreeing with nothing left to settle, both reads named. */
function readsApart(playerId: string, listed: number, held: number): string {
  const why = held > 0 ? 'a stake still held' : 'a stake released twice';
  return `GET /wallet/balance/${playerId} answers ${listed - held} but GET /wallet/balances lists ${listed} for ${playerId}, with nothing left to settle: ${Math.abs(held)} apart (${why}, or one of the two reads is stale)`;
}

/** The operations an attempt of which was answered DUPLICATE_MISMATCH: counted during the run, named only for a trace. */
function answerMismatches(ops: OpTable, verdicts: VerdictSink): void {
  for (let op = 0; op < ops.length; op++) {
    if (ops.mismatchAnswered(op)) verdicts.add({ kind: 'answer-mismatch', opId: op }, ops.playerId(op));
  }
}

function contentMatches(ops: OpTable, op: number, samePlayer: boolean, delta: number): boolean {
  if (!samePlayer) return false;
  const amount = ops.amount(op);
  switch (ops.kind(op)) {
    case 'bet':
      return delta === -amount;
    case 'win':
      return delta === amount;
    case 'rollback':
      return delta === 0 || delta === amount;
  }
}
