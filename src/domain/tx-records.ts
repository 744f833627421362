import type { BetRequest, MoneyRequest } from './operations.js';
import { RESULT_CODES, type ResultCode, type WalletResponse } from './results.js';
import { NumberRows, PAGE_MASK, RefRows } from '../util/columns.js';
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

/** A request's kind in its record; 0 means no request stored under that id. */
const KIND_NONE = 0;
const KIND_CODE: Readonly<Record<MoneyRequest['kind'], number>> = { bet: 1, win: 2, rollback: 3 };

/**
 * The numbers of a record (NumberRows fields): the flags, the amount of the request remembered,
 * the amount of the bet opened. The flags pack the request's kind (bits 0-1), the bet's state
 * (2-4), the answer's code (5-8) and the answer's shape (9-10).
 */
const FLAGS = 0;
const REQ_AMOUNT = 1;
const BET_AMOUNT = 2;
const NUMBERS = 3;
const KIND_SHIFT = 0;
const STATE_SHIFT = 2;
const CODE_SHIFT = 5;
const SHAPE_SHIFT = 9;

/**
 * The references of a record (RefRows fields): the request remembered (player, round, currency,
 * and a win's betTxId or a rollback's refTxId), the bet opened (player, round), and a tombstone:
 * a rollback named this txId before any bet had it, so such a bet must never debit; it holds the
 * player the rollback named, so another player's bet with that txId is not silently refused.
 */
const REQ_PLAYER = 0;
const REQ_ROUND = 1;
const REQ_CURRENCY = 2;
const REQ_REF = 3;
const BET_PLAYER = 4;
const BET_ROUND = 5;
const TOMBSTONE = 6;
const REFS = 7;

/**
 * Everything the ledger knows under one txId, kept in rows indexed by the txId's id: its
 * idempotency record (what was asked and answered), the bet it opened, or a tombstone left by a
 * rollback that came first. One StringTable lookup reaches all three, and no txId costs an object
 * (millions of long-lived objects were what the scavenger spent its time copying). A record's
 * fields lie side by side (NumberRows, RefRows), because an operation reads and writes most of
 * them at once.
 */
export class TxRecords {
  private readonly txIds = new StringTable();
  private readonly numbers = new NumberRows(NUMBERS);
  private readonly refs = new RefRows<string>(REFS);
  private readonly keptAnswers = new Map<number, WalletResponse>();

  /** The id of a txId, or -1 if the ledger has never seen it. */
  find(txId: string): number {
    return this.txIds.find(txId);
  }

  /** The id of a txId, adding an empty record for it if it is new. */
  findOrAdd(txId: string): number {
    const sizeBefore = this.txIds.size;
    const id = this.txIds.findOrInsert(txId);
    // Ids come in order from the StringTable, so only the first id of a page has work to do.
    if (id === sizeBefore && (id & PAGE_MASK) === 0) {
      this.numbers.ensure(id);
      this.refs.ensure(id);
    }
    return id;
  }

  /** Empties the record of `id`: as if the txId had just been added. */
  reset(id: number): void {
    this.numbers.set(id, FLAGS, 0);
    this.numbers.set(id, REQ_AMOUNT, 0);
    this.numbers.set(id, BET_AMOUNT, 0);
    for (let field = 0; field < REFS; field++) this.refs.set(id, field, undefined);
    this.keptAnswers.delete(id);
  }

  // ---- idempotency record --------------------------------------------------------------

  hasRequest(id: number): boolean {
    return ((this.numbers.get(id, FLAGS) >>> KIND_SHIFT) & 3) !== KIND_NONE;
  }

  /** Remembers what was asked under `id` and what was answered. */
  remember(id: number, req: MoneyRequest, answer: WalletResponse): void {
    const { numbers, refs } = this;
    refs.set(id, REQ_PLAYER, req.playerId);
    switch (req.kind) {
      case 'bet':
        this.setMoney(id, req.roundId, req.amount, req.currency);
        refs.set(id, REQ_REF, undefined);
        break;
      case 'win':
        this.setMoney(id, req.roundId, req.amount, req.currency);
        refs.set(id, REQ_REF, req.betTxId);
        break;
      case 'rollback':
        this.setMoney(id, undefined, 0, undefined);
        refs.set(id, REQ_REF, req.refTxId);
        break;
    }
    const shape = shapeOf(answer);
    const flags = numbers.get(id, FLAGS);
    // A kept answer is forgotten only if there was one (a Map lookup per remember otherwise).
    if (shape === KEPT) this.keptAnswers.set(id, answer);
    else if (((flags >>> SHAPE_SHIFT) & 3) === KEPT) this.keptAnswers.delete(id);
    // Most answers are OK (index 0): skip the lookup for them.
    const code = answer.code === 'OK' ? 0 : CODE_INDEX.get(answer.code)!;
    const state = (flags >>> STATE_SHIFT) & 7;
    numbers.set(id, FLAGS, (KIND_CODE[req.kind] << KIND_SHIFT) | (state << STATE_SHIFT) | (code << CODE_SHIFT) | (shape << SHAPE_SHIFT));
  }

  /** `sameContent(the request remembered, req)`, field for field. */
  sameRequest(id: number, req: MoneyRequest): boolean {
    const { numbers, refs } = this;
    if (((numbers.get(id, FLAGS) >>> KIND_SHIFT) & 3) !== KIND_CODE[req.kind] || refs.get(id, REQ_PLAYER) !== req.playerId) return false;
    switch (req.kind) {
      case 'bet':
        return refs.get(id, REQ_ROUND) === req.roundId && numbers.get(id, REQ_AMOUNT) === req.amount && refs.get(id, REQ_CURRENCY) === req.currency;
      case 'win':
        return (
          refs.get(id, REQ_ROUND) === req.roundId &&
          refs.get(id, REQ_REF) === req.betTxId &&
          numbers.get(id, REQ_AMOUNT) === req.amount &&
          refs.get(id, REQ_CURRENCY) === req.currency
        );
      case 'rollback':
        return refs.get(id, REQ_REF) === req.refTxId;
    }
  }

  /**
   * The remembered answer replayed: `{ ...answer, balance, replay: true }`, with the keys in
   * that order (the HTTP server serialises it as it is).
   */
  replay(id: number, balance: number): WalletResponse {
    const flags = this.numbers.get(id, FLAGS);
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

  // ---- bet -----------------------------------------------------------------------------

  betState(id: number): BetState {
    return ((this.numbers.get(id, FLAGS) >>> STATE_SHIFT) & 7) as BetState;
  }

  /** Opens (or replaces) the bet under `id` with `req`'s player, round and amount. */
  openBet(id: number, req: BetRequest, state: BetState): void {
    this.setBetState(id, state);
    this.numbers.set(id, BET_AMOUNT, req.amount);
    this.refs.set(id, BET_PLAYER, req.playerId);
    this.refs.set(id, BET_ROUND, req.roundId);
  }

  setBetState(id: number, state: BetState): void {
    const flags = this.numbers.get(id, FLAGS);
    this.numbers.set(id, FLAGS, (flags & ~(7 << STATE_SHIFT)) | (state << STATE_SHIFT));
  }

  dropBet(id: number): void {
    this.setBetState(id, BetState.NONE);
    this.numbers.set(id, BET_AMOUNT, 0);
    this.refs.set(id, BET_PLAYER, undefined);
    this.refs.set(id, BET_ROUND, undefined);
  }

  betAmount(id: number): number {
    return this.numbers.get(id, BET_AMOUNT);
  }

  betPlayerId(id: number): string {
    return this.refs.get(id, BET_PLAYER)!;
  }

  betRoundId(id: number): string {
    return this.refs.get(id, BET_ROUND)!;
  }

  // ---- tombstone -----------------------------------------------------------------------

  tombstone(id: number): string | undefined {
    return this.refs.get(id, TOMBSTONE);
  }

  /** Marks `id` rolled back by `playerId`, unless a rollback marked it already. */
  leaveTombstone(id: number, playerId: string): void {
    if (this.refs.get(id, TOMBSTONE) === undefined) this.refs.set(id, TOMBSTONE, playerId);
  }

  private setMoney(id: number, roundId: string | undefined, amount: number, currency: string | undefined): void {
    this.refs.set(id, REQ_ROUND, roundId);
    this.numbers.set(id, REQ_AMOUNT, amount);
    this.refs.set(id, REQ_CURRENCY, currency);
  }
}

/** Which stored shape rebuilds `answer` exactly (see PLAIN, ACCEPTED, KEPT). */
function shapeOf(answer: WalletResponse): number {
  if (answer.balance === undefined || answer.message !== undefined || answer.replay !== undefined) return KEPT;
  if (answer.accepted === undefined) return PLAIN;
  return answer.accepted === true ? ACCEPTED : KEPT;
}
