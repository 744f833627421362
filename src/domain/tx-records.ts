import type { BetRequest, MoneyRequest } from './operations.js';
import { RESULT_CODES, type ResultCode, type WalletResponse } from './results.js';
import { ensureRowsTo, NumberRows, RefRows } from '../util/columns.js';
import { REQUEST_NUMBERS, REQUEST_REFS, RequestFields } from './request-fields.js';
import { StringTable } from '../util/string-table.js';

/**
 * The state of the bet opened under a txId. HELD/EXPIRED exist only for reservations (hybrid);
 * a plain bet starts OPEN.
 */
export const BetState = { NONE: 0, HELD: 1, EXPIRED: 2, OPEN: 3, WON: 4, ROLLED_BACK: 5 } as const;
export type BetState = (typeof BetState)[keyof typeof BetState];

/**
 * How an answer is stored. Every answer the ledger builds lists its keys in the order code,
 * balance, accepted, message; the two shapes without a message are rebuilt from the code alone,
 * any other answer (a rare refusal with a message) is kept whole.
 */
const PLAIN = 0; // { code, balance }
const ACCEPTED = 1; // { code, balance, accepted: true }
const KEPT = 2; // anything else: in keptAnswers

const CODE_INDEX = new Map<ResultCode, number>(RESULT_CODES.map((code, i) => [code, i]));

/**
 * The numbers of a record (NumberRows fields): the request remembered (RequestFields: its kind,
 * currency and amount) and the flags, in the low FLAG_BITS bits of the request's first field
 * (RequestFields' owner bits): a field fewer in every row. The flags pack the bet's state (bits
 * 0-2), the answer's code (3-6), the answer's shape (7-8), whether a win or a rollback was
 * applied under this txId (9-10: APPLIED_WIN, APPLIED_ROLLBACK), whether it has a tombstone (11)
 * and whether its bet is kept apart (12: BET_APART).
 */
const NUMBERS = REQUEST_NUMBERS;
const FLAG_BITS = 13;
const STATE_SHIFT = 0;
const CODE_SHIFT = 3;
const SHAPE_SHIFT = 7;
const APPLIED_SHIFT = 9;
const APPLIED_WIN = 1;
const APPLIED_ROLLBACK = 2;
const TOMBSTONE = 1 << 11;
const BET_APART = 1 << 12;
/** The flags that outlive a new answer: what the txId is, not what it was last answered. */
const KEPT_FLAGS = (7 << STATE_SHIFT) | (3 << APPLIED_SHIFT) | TOMBSTONE | BET_APART;

/** The references of a record (RefRows fields): the request remembered (RequestFields). */
const REFS = REQUEST_REFS;

/** A bet whose player, round or amount differ from those of the request remembered under its txId. */
interface BetApart {
  readonly playerId: string;
  readonly roundId: string;
  readonly amount: number;
}

/**
 * Everything the ledger knows under one txId, kept in rows indexed by the txId's id: its
 * idempotency record (what was asked and answered), the bet it opened, or a tombstone left by a
 * rollback that came first. One StringTable lookup reaches all three, and no txId costs an object
 * (millions of long-lived objects were what the scavenger spent its time copying). A record's
 * fields lie side by side (NumberRows, RefRows), because an operation reads and writes most of
 * them at once.
 *
 * A bet is kept in the fields of the request remembered under its txId (RequestFields.storeBet):
 * it is that request's bet but when a wallet applies without idempotency (nothing remembered)
 * or a test's LedgerSafety switch lets two bets differ; only then is it kept apart (BET_APART,
 * in `betsApart`). Three fields fewer in every row of millions: the rows are most of the memory
 * a long simulation touches for the first time, at a page fault each 4 KiB.
 */
export class TxRecords {
  private readonly numbers = new NumberRows(NUMBERS);
  private readonly refs = new RefRows<string>(REFS);
  private readonly requests = new RequestFields(this.numbers, this.refs, 0, 0, FLAG_BITS);
  private readonly keptAnswers = new Map<number, WalletResponse>();
  /**
   * Tombstones by id: a rollback named the txId before any bet had it, so such a bet must never
   * debit. Each holds the player the rollback named, so another player's bet with that txId is
   * not silently refused. Few txIds have one (a rollback must overtake its bet): a Map and a
   * flag (TOMBSTONE) rather than a field in every row.
   */
  private readonly tombstones = new Map<number, string>();
  /** Bets kept apart from the request remembered under their txId (see the class comment). */
  private readonly betsApart = new Map<number, BetApart>();
  /** Ids below this have rows. */
  private rowLimit = 0;

  /**
   * `txIds` numbers the txIds. Another store may number its txIds by the same table (see
   * Ledger.txIdTable), so an id may name a txId this store never added: its record is empty.
   */
  constructor(readonly txIds = new StringTable()) {}

  /** The id of a txId, or -1 if it was never added. An id with an empty record is as good as -1. */
  find(txId: string): number {
    const id = this.txIds.find(txId);
    if (id >= this.rowLimit) this.rowLimit = ensureRowsTo(id, this.numbers, this.refs);
    return id;
  }

  /** The id of a txId, adding an empty record for it if it is new. */
  findOrAdd(txId: string): number {
    const id = this.txIds.findOrInsert(txId);
    if (id >= this.rowLimit) this.rowLimit = ensureRowsTo(id, this.numbers, this.refs);
    return id;
  }

  /** Empties the record of `id`: as if the txId had just been added. */
  reset(id: number): void {
    for (let field = 0; field < NUMBERS; field++) this.numbers.set(id, field, 0);
    for (let field = 0; field < REFS; field++) this.refs.set(id, field, undefined);
    this.keptAnswers.delete(id);
    this.tombstones.delete(id);
    this.betsApart.delete(id);
  }

  // ---- idempotency record --------------------------------------------------------------

  hasRequest(id: number): boolean {
    return this.requests.has(id);
  }

  /** Remembers what was asked under `id` and what was answered. */
  remember(id: number, req: MoneyRequest, answer: WalletResponse): void {
    const { requests } = this;
    let flags = requests.owned(id);
    // An open bet in the fields the request is about to change moves apart first.
    if (((flags >>> STATE_SHIFT) & 7) !== BetState.NONE && (flags & BET_APART) === 0 && !requests.keepsBet(id, req)) {
      this.betsApart.set(id, { playerId: requests.betPlayer(id)!, roundId: requests.betRound(id)!, amount: requests.betAmount(id) });
      flags |= BET_APART;
    }
    requests.store(id, req);
    const shape = shapeOf(answer);
    // A kept answer is forgotten only if there was one (a Map lookup per remember otherwise).
    if (shape === KEPT) this.keptAnswers.set(id, answer);
    else if (((flags >>> SHAPE_SHIFT) & 3) === KEPT) this.keptAnswers.delete(id);
    // Most answers are OK (index 0): skip the lookup for them.
    const code = answer.code === 'OK' ? 0 : CODE_INDEX.get(answer.code)!;
    requests.setOwned(id, (flags & KEPT_FLAGS) | (code << CODE_SHIFT) | (shape << SHAPE_SHIFT));
  }

  /** `sameContent(the request remembered, req)`. */
  sameRequest(id: number, req: MoneyRequest): boolean {
    return this.requests.matches(id, req);
  }

  /**
   * The remembered answer replayed: `{ ...answer, balance, replay: true }`, with the keys in
   * that order (the HTTP server serialises it as it is).
   */
  replay(id: number, balance: number): WalletResponse {
    const flags = this.requests.owned(id);
    const code = RESULT_CODES[(flags >>> CODE_SHIFT) & 15]!;
    switch ((flags >>> SHAPE_SHIFT) & 3) {
      case PLAIN:
        return { code, balance, replay: true };
      case ACCEPTED:
        return { code, balance, accepted: true, replay: true };
      default:
        return { ...this.keptAnswers.get(id)!, balance, replay: true };
    }
  }

  /**
   * What the txId names, as far as the ledger knows: the kind of the request remembered under it
   * (any answer: idempotency on), else a win or a rollback applied under it (kept whatever
   * idempotency says, as the bets are), else nothing.
   */
  knownAs(id: number): MoneyRequest['kind'] | undefined {
    const remembered = this.requests.kind(id);
    if (remembered !== undefined) return remembered;
    const applied = (this.requests.owned(id) >>> APPLIED_SHIFT) & 3;
    return applied === APPLIED_WIN ? 'win' : applied === APPLIED_ROLLBACK ? 'rollback' : undefined;
  }

  /** Marks `id` as the txId of a win or a rollback the ledger applied. */
  markApplied(id: number, kind: 'win' | 'rollback'): void {
    const flags = this.requests.owned(id) & ~(3 << APPLIED_SHIFT);
    this.requests.setOwned(id, flags | ((kind === 'win' ? APPLIED_WIN : APPLIED_ROLLBACK) << APPLIED_SHIFT));
  }

  // ---- bet -----------------------------------------------------------------------------

  betState(id: number): BetState {
    return ((this.requests.owned(id) >>> STATE_SHIFT) & 7) as BetState;
  }

  /** Opens (or replaces) the bet under `id` with `req`'s player, round and amount. */
  openBet(id: number, req: BetRequest, state: BetState): void {
    this.setBetState(id, state);
    const { playerId, roundId, amount } = req;
    const { requests } = this;
    if (!requests.has(id) || requests.holdsBet(id, playerId, roundId, amount)) {
      requests.storeBet(id, playerId, roundId, amount);
      this.keepTogether(id);
    } else {
      this.betsApart.set(id, { playerId, roundId, amount });
      this.requests.setOwned(id, this.requests.owned(id) | BET_APART);
    }
  }

  setBetState(id: number, state: BetState): void {
    const flags = this.requests.owned(id);
    this.requests.setOwned(id, (flags & ~(7 << STATE_SHIFT)) | (state << STATE_SHIFT));
  }

  /** Forgets the bet under `id` (its fields, shared with the request, are read no more). */
  dropBet(id: number): void {
    this.setBetState(id, BetState.NONE);
    this.keepTogether(id);
  }

  /** The bet's fields: valid while its state is not NONE. */
  betAmount(id: number): number {
    return this.isApart(id) ? this.betsApart.get(id)!.amount : this.requests.betAmount(id);
  }

  betPlayerId(id: number): string {
    return this.isApart(id) ? this.betsApart.get(id)!.playerId : this.requests.betPlayer(id)!;
  }

  betRoundId(id: number): string {
    return this.isApart(id) ? this.betsApart.get(id)!.roundId : this.requests.betRound(id)!;
  }

  private isApart(id: number): boolean {
    return (this.requests.owned(id) & BET_APART) !== 0;
  }

  /** The bet under `id`, if any, is in the request's fields (again). */
  private keepTogether(id: number): void {
    const flags = this.requests.owned(id);
    if ((flags & BET_APART) === 0) return;
    this.betsApart.delete(id);
    this.requests.setOwned(id, flags & ~BET_APART);
  }

  // ---- tombstone -----------------------------------------------------------------------

  tombstone(id: number): string | undefined {
    return (this.requests.owned(id) & TOMBSTONE) === 0 ? undefined : this.tombstones.get(id);
  }

  /** Marks `id` rolled back by `playerId`, unless a rollback marked it already. */
  leaveTombstone(id: number, playerId: string): void {
    const flags = this.requests.owned(id);
    if ((flags & TOMBSTONE) !== 0) return;
    this.requests.setOwned(id, flags | TOMBSTONE);
    this.tombstones.set(id, playerId);
  }

}

/** Which stored shape rebuilds `answer` exactly (see PLAIN, ACCEPTED, KEPT). */
function shapeOf(answer: WalletResponse): number {
  if (answer.balance === undefined || answer.message !== undefined || answer.replay !== undefined) return KEPT;
  if (answer.accepted === undefined) return PLAIN;
  return answer.accepted === true ? ACCEPTED : KEPT;
}
