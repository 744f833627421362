import type { EntryList } from '../domain/journal.js';
import type { PlayerAccount } from '../domain/ledger.js';
import type { OpKind } from '../domain/operations.js';
import type { RunReport } from '../report/model.js';
import type { Applied, OpTable } from './op-table.js';
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
   * Every settlement is in this snapshot: the wallet applied all it had accepted (it said it had
   * nothing left to do) and lists what it refused as well as what it applied (a real run over
   * HTTP reading GET /wallet/refusals). An accepted operation neither applied nor refused was
   * then dropped: lost, not merely unsettled. Absent: its fate is unknown.
   */
  readonly everySettlementListed?: boolean;
}

type Counts = Pick<
  RunReport,
  'duplicates' | 'duplicateMinorUnits' | 'unrefundedRollbacks' | 'lost' | 'unexpected' | 'mismatches' | 'negativeBalances' | 'lateRejections' | 'failedEvents' | 'unsettled'
>;

export interface Verdict {
  readonly counts: Counts;
  readonly consistency: RunReport['consistency'];
  /** The player of the first problem that is about one of the scenario's players (see ProblemList.firstPlayerId). */
  readonly firstProblemPlayer?: string;
}

const MAX_EXAMPLES = 5;

/**
 * The first few problems in words, and how many more there were (a count, not a silent cut);
 * and, as data, the player of the first problem that is about one, so that nobody has to read
 * the player back out of the words (the `trace it:` hint names it).
 */
export class ProblemList {
  private readonly first: string[] = [];
  private more = 0;
  private firstPlayer: string | undefined;

  /** `playerId`: the player the problem is about, when it is one of the scenario's (one a trace can follow). */
  note(text: string, playerId?: string): void {
    if (this.first.length < MAX_EXAMPLES) this.first.push(text);
    else this.more++;
    this.firstPlayer ??= playerId;
  }

  /** The player of the first problem about one, counted ones too; undefined when none is (money not conserved alone). */
  get firstPlayerId(): string | undefined {
    return this.firstPlayer;
  }

  list(): string[] {
    return this.more === 0 ? [...this.first] : [...this.first, `… and ${this.more.toLocaleString('en-US')} more`];
  }
}

/**
 * Audits the final ledger against the logical operations the provider sent.
 * - every entry must belong to an attempt of a logical operation (else: unexpected);
 * - an operation with more than one entry that moved money was applied more than once (duplicate);
 * - an operation the provider saw succeed must have an entry (else: lost);
 * - per player, the balance must equal initial + entries (and, with nothing left to settle, no
 *   stake may still be held), and lie between what definitely
 *   happened and what possibly happened (indeterminate attempts widen the range, as Jepsen's
 *   counter checker does); money is conserved across players and house.
 * `verdicts`, for a traced run only, receives the same findings as data, for the players it wants.
 */
export function judgeLedger(ops: OpTable, players: readonly PlayerAccount[], ledger: LedgerSnapshot, mismatchAnswers: number, verdicts?: VerdictSink): Verdict {
  const problems = new ProblemList();
  const initial = new Map(players.map((p) => [p.id, p.initialBalance] as const));
  // An entry may be booked to a player the scenario does not have (a real wallet's mistake):
  // its problem is about nobody a trace can follow. Operations are always the scenario's players'.
  const note = (text: string, playerId?: string) => problems.note(text, playerId !== undefined && initial.has(playerId) ? playerId : undefined);
  const running = new Map(initial);
  const negative = new Set<string>();
  // Per player that went below zero in its entries: the lowest balance, and the entry that made it.
  const lowest = new Map<string, { balance: number; entry: string }>();
  let unexpected = 0;
  let contentMismatches = 0;
  let duplicateMinorUnits = 0;
  // Per operation: ledger entries attributed to it, and their summed effect on the balance.
  const entryCount = new Int32Array(ops.length);
  const netDelta = new Float64Array(ops.length);
  const movedAgain = new Uint8Array(ops.length);
  // Per bet operation: what the wins of its round credited, and whether one was applied at all
  // (a win of 0 settles a lost round too, and moves nothing).
  const roundWins = new Float64Array(ops.length);
  const roundWon = new Uint8Array(ops.length);

  const { entries } = ledger;
  for (let i = 0; i < entries.length; i++) {
    const playerId = entries.playerId(i);
    const delta = entries.delta(i);
    const balance = (running.get(playerId) ?? 0) + delta;
    running.set(playerId, balance);
    const op = entries.opRef(i);
    const kind = entries.kind(i);
    if (balance < 0) {
      if (verdicts?.wants(playerId) === true && !negative.has(playerId)) verdicts.add({ kind: 'below-zero', entry: i, balance }, playerId);
      negative.add(playerId);
      if (balance < (lowest.get(playerId)?.balance ?? 0)) lowest.set(playerId, { balance, entry: `${kind} ${entries.txId(i)}` });
    }
    if (!ops.has(op) || ops.kind(op) !== kind || !ops.hasTxId(op, entries.txId(i))) {
      unexpected++;
      note(`unexpected ledger entry ${kind} ${entries.txId(i)} for ${playerId}: no attempt sent it`, playerId);
      if (verdicts?.wants(playerId) === true) verdicts.add({ kind: 'unexpected', entry: i }, playerId);
      continue;
    }
    netDelta[op]! += delta;
    if (kind === 'win' && ops.betOp(op) >= 0) {
      roundWins[ops.betOp(op)]! += delta;
      roundWon[ops.betOp(op)] = 1;
    }
    // Applied again and moved money again: a duplicate. A repeat that moved nothing (a second
    // rollback of a bet already refunded, which the rules let succeed) is not applied twice.
    if (++entryCount[op]! > 1 && delta !== 0) {
      duplicateMinorUnits += Math.abs(delta);
      movedAgain[op] = 1;
      if (verdicts !== undefined) verdicts.add({ kind: 'duplicate', entry: i, opId: op, nth: entryCount[op]! }, playerId, ops.playerId(op));
    }
    if (!contentMatches(ops, op, playerId, delta)) {
      contentMismatches++;
      note(`entry ${entries.txId(i)} differs from what was sent (${playerId}, delta ${delta})`, playerId);
      if (verdicts !== undefined) {
        const sentFor = ops.playerId(op);
        verdicts.add({ kind: 'entry-mismatch', entry: i, opId: op, bookedTo: playerId, sentFor, deltaMinorUnits: delta, sentMinorUnits: ops.amount(op) }, playerId, sentFor);
      }
    }
  }

  const bounds = balanceBounds(ops, players);
  let duplicates = 0;
  let lost = 0;
  let lateRejections = 0;
  let failedEvents = 0;
  let unsettled = 0;
  let unrefundedRollbacks = 0;
  for (let op = 0; op < ops.length; op++) {
    const kind = ops.kind(op);
    const applied = ops.applied(op);
    // A rollback the provider saw succeed voids its bet: the round must not move money, bet,
    // refunds and wins together (a rolled-back bet refuses its win, a won bet its rollback). A
    // round whose win was applied at all, even a win of 0 (a lost round settled: its refund
    // hands back a stake the player lost), was not rolled back.
    const bet = ops.betOp(op);
    if (kind === 'rollback' && applied === 'yes' && bet >= 0) {
      const won = roundWins[bet]!;
      const moved = netDelta[bet]! + netDelta[op]! + won;
      if (moved !== 0 || roundWon[bet] === 1) {
        unrefundedRollbacks++;
        note(
        roundWon[bet] === 1
          ? `bet ${ops.firstTxId(bet)} of ${ops.playerId(bet)} was rolled back, yet its round was settled too (credited ${won}) and moved ${moved}`
          : moved < 0
          ? `bet ${ops.firstTxId(bet)} of ${ops.playerId(bet)} was rolled back but still took ${-moved}`
          : `bet ${ops.firstTxId(bet)} of ${ops.playerId(bet)} was rolled back and refunded ${moved} more than it took`,
        ops.playerId(bet),
      );
        verdicts?.add({ kind: 'unrefunded', opId: op, betOpId: bet, movedMinorUnits: moved, ...(roundWon[bet] === 1 && { wonMinorUnits: won }) }, ops.playerId(op));
      }
    }
    const entries = entryCount[op]!;
    if (movedAgain[op] === 1) {
      duplicates++;
      note(`${kind} ${ops.firstTxId(op)} of ${ops.playerId(op)} applied ${entries} times`, ops.playerId(op));
    }
    if (applied === 'yes' && entries === 0) {
      lost++;
      note(`${kind} ${ops.firstTxId(op)} of ${ops.playerId(op)} was acknowledged but is not in the ledger`, ops.playerId(op));
      verdicts?.add({ kind: 'lost', opId: op, accepted: false }, ops.playerId(op));
    }
    if (ops.accepted(op) && !ops.settledOk(op)) {
      if (ops.settledCode(op) === undefined) {
        unsettled++;
        if (ledger.everySettlementListed === true) {
          lost++;
          note(`${kind} ${ops.firstTxId(op)} of ${ops.playerId(op)} was accepted, but the wallet, with nothing left to apply, neither applied nor refused it`, ops.playerId(op));
        }
        verdicts?.add(ledger.everySettlementListed === true ? { kind: 'lost', opId: op, accepted: true } : { kind: 'unsettled', opId: op }, ops.playerId(op));
      } else {
        failedEvents++;
        if (kind === 'bet') lateRejections++;
        verdicts?.add({ kind: 'rejected-late', opId: op, code: ops.settledCode(op)!, opKind: kind }, ops.playerId(op));
      }
    }
  }
  if (verdicts !== undefined) answerMismatches(ops, verdicts);

  // Before the balances that do not reconcile: a player who spent money it did not have may be
  // the only thing wrong (a funds check that let a bet through), and would otherwise go unsaid.
  for (const p of players) if ((ledger.balances.get(p.id) ?? 0) < 0) negative.add(p.id);
  for (const id of negative) {
    const actual = ledger.balances.get(id) ?? 0;
    const low = lowest.get(id);
    const below = low === undefined || low.balance >= actual ? '' : `, down to ${low.balance} after ${low.entry}`;
    note(actual < 0 ? `balance of ${id} is ${actual}, below zero${below}` : `balance of ${id} went below zero${below} (it ends at ${actual})`, id);
    // One that went below zero in its entries has the entry that took it there (below-zero).
    if (low === undefined) verdicts?.add({ kind: 'negative', balance: actual }, id);
  }

  let balanceMismatches = 0;
  let outOfBounds = 0;
  for (const p of players) {
    const actual = ledger.balances.get(p.id) ?? 0;
    const held = ledger.held?.get(p.id) ?? 0;
    if (actual !== running.get(p.id) || held !== 0) {
      balanceMismatches++;
      if (actual !== running.get(p.id)) {
        note(`balance of ${p.id} is ${actual} but its entries add up to ${running.get(p.id)}`, p.id);
        verdicts?.add({ kind: 'balance-mismatch', balance: actual, entriesSum: running.get(p.id) ?? 0 }, p.id);
      }
      if (held !== 0) {
        note(`${p.id} has ${held} ${held > 0 ? 'still held' : 'held below zero (released twice)'} with nothing left to settle: it can spend ${actual - held} of a balance of ${actual}`, p.id);
        verdicts?.add({ kind: 'held', heldMinorUnits: held, balance: actual }, p.id);
      }
    }
    const b = bounds.get(p.id)!;
    if (actual < b.lower || actual > b.upper) {
      outOfBounds++;
      note(`balance of ${p.id} is ${actual}, outside what the acknowledged operations allow [${b.lower}, ${b.upper}]`, p.id);
      verdicts?.add({ kind: 'out-of-bounds', balance: actual, lower: b.lower, upper: b.upper }, p.id);
    }
  }

  const money = conservation(players, initial, running, ledger);
  const conserved = money.ok;
  if (!conserved) note(`money is not conserved: initial ${money.initialMinorUnits}, players ${money.playersMinorUnits}, house ${money.houseMinorUnits}`);

  const mismatches = mismatchAnswers + contentMismatches;
  const ok =
    duplicates === 0 && unrefundedRollbacks === 0 && lost === 0 && unexpected === 0 && mismatches === 0 && negative.size === 0 && balanceMismatches === 0 && outOfBounds === 0 && conserved;
  return {
    counts: { duplicates, duplicateMinorUnits, unrefundedRollbacks, lost, unexpected, mismatches, negativeBalances: negative.size, lateRejections, failedEvents, unsettled },
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

/**
 * Money is conserved: initial + entries = players' final balances, and players + house = initial.
 * Added up as BigInt: each balance is a safe integer, but their sum over many players need not be
 * (10,000 players holding 10^12 minor units each pass 2^53), and a float sum would report drift
 * that is only rounding. A balance that is not an integer (a broken target) is drift in itself.
 */
function conservation(players: readonly PlayerAccount[], initial: ReadonlyMap<string, number>, running: ReadonlyMap<string, number>, ledger: LedgerSnapshot) {
  let integral = true;
  const big = (x: number): bigint => {
    if (Number.isInteger(x)) return BigInt(x);
    integral = false;
    return 0n;
  };
  // Floats too, for the report when some balance is not an integer (its BigInt sum left it out).
  let initialFloat = 0;
  let finalFloat = 0;
  let initialTotal = 0n;
  let finalTotal = 0n;
  for (const p of players) {
    initialTotal += big(p.initialBalance);
    finalTotal += big(ledger.balances.get(p.id) ?? 0);
    initialFloat += p.initialBalance;
    finalFloat += ledger.balances.get(p.id) ?? 0;
  }
  // The entries' sum, per player: each running balance is exact where a sum of them may not be.
  let entries = 0n;
  for (const [id, balance] of running) entries += big(balance) - big(initial.get(id) ?? 0);
  const house = ledger.houseBalance === undefined ? -entries : big(ledger.houseBalance);
  if (!integral) {
    const houseFloat = ledger.houseBalance ?? initialFloat - finalFloat;
    return { ok: false, initialMinorUnits: initialFloat, playersMinorUnits: finalFloat, houseMinorUnits: houseFloat, finalMinorUnits: finalFloat + houseFloat };
  }
  const ok = initialTotal + entries === finalTotal && finalTotal + house === initialTotal;
  return { ok, initialMinorUnits: initialTotal, playersMinorUnits: finalTotal, houseMinorUnits: house, finalMinorUnits: finalTotal + house };
}

/** The operations an attempt of which was answered DUPLICATE_MISMATCH: counted during the run, named only for a trace. */
function answerMismatches(ops: OpTable, verdicts: VerdictSink): void {
  for (let op = 0; op < ops.length; op++) {
    if (ops.mismatchAnswered(op)) verdicts.add({ kind: 'answer-mismatch', opId: op }, ops.playerId(op));
  }
}

function contentMatches(ops: OpTable, op: number, playerId: string, delta: number): boolean {
  if (playerId !== ops.playerId(op)) return false;
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

export interface Bounds {
  lower: number;
  upper: number;
}

/**
 * Per player, the balance range the operations allow: from what definitely happened to what
 * possibly happened (Jepsen's counter checker). Used by the ledger audit and by the
 * balances-only check of a target without an audit endpoint.
 */
export function balanceBounds(ops: OpTable, players: readonly PlayerAccount[]): Map<string, Bounds> {
  const bounds = new Map<string, Bounds>();
  for (const p of players) bounds.set(p.id, { lower: p.initialBalance, upper: p.initialBalance });
  // A rollback acknowledged as successful voids its bet, whatever the bet's own fate: together
  // they moved nothing (refunded if it was debited, refused for good if it was not). Taken apart,
  // an open bet and its rollback would allow anything from -amount to +amount.
  const voided = new Uint8Array(ops.length);
  for (let op = 0; op < ops.length; op++) {
    const bet = ops.betOp(op);
    if (ops.kind(op) === 'rollback' && bet >= 0 && ops.applied(op) === 'yes') voided[bet] = voided[op] = 1;
  }
  for (let op = 0; op < ops.length; op++) {
    if (voided[op] === 0) widen(bounds.get(ops.playerId(op)), ops.kind(op), ops.amount(op), ops.applied(op));
  }
  return bounds;
}

/** Definite effects move both bounds; possible ones move only the bound they could reach. */
function widen(b: Bounds | undefined, kind: OpKind, amount: number, applied: Applied): void {
  if (b === undefined || applied === 'no') return;
  if (kind === 'bet') {
    b.lower -= amount;
    if (applied === 'yes') b.upper -= amount;
  } else if (kind === 'win') {
    b.upper += amount;
    if (applied === 'yes') b.lower += amount;
  } else {
    // A rollback refunds its bet only if the bet was applied: anywhere from 0 to the amount.
    b.upper += amount;
  }
}
