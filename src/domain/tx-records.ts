import type { BetRequest, MoneyRequest } from './operations.js';
import { RequestColumns } from './request-columns.js';
import { RESULT_CODES, type ResultCode, type WalletResponse } from './results.js';
import { ByteColumn, NumberColumn, PAGE_MASK, RefColumn } from '../util/columns.js';
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
 * Everything the ledger knows under one txId, kept in columns indexed by the txId's id: its
 * idempotency record (what was asked and answered), the bet it opened, or a tombstone left by a
 * rollback that came first. One StringTable lookup reaches all three, and no txId costs an object
 * (millions of long-lived objects were what the scavenger spent its time copying).
 */
export class TxRecords {
  private readonly txIds = new StringTable();
  private readonly requests = new RequestColumns();
  private readonly answerCodes = new ByteColumn();
  private readonly answerShapes = new ByteColumn();
  private readonly keptAnswers = new Map<number, WalletResponse>();
  private readonly betStates = new ByteColumn();
  private readonly betAmounts = new NumberColumn();
  private readonly betPlayerIds = new RefColumn<string>();
  private readonly betRoundIds = new RefColumn<string>();
  /**
   * A rollback named this txId before any bet had it: such a bet must never debit. Holds the
   * player the rollback named, so another player's bet with that txId is not silently refused.
   */
  private readonly tombstones = new RefColumn<string>();

  /** The id of a txId, or -1 if the ledger has never seen it. */
  find(txId: string): number {
    return this.txIds.find(txId);
  }

  /** The id of a txId, adding an empty record for it if it is new. */
  findOrAdd(txId: string): number {
    const sizeBefore = this.txIds.size;
    const id = this.txIds.findOrInsert(txId);
    if (id === sizeBefore) this.addRow(id);
    return id;
  }

  /** Empties the record of `id`: as if the txId had just been added. */
  reset(id: number): void {
    this.requests.clear(id);
    this.answerCodes.set(id, 0);
    this.answerShapes.set(id, PLAIN);
    this.keptAnswers.delete(id);
    this.dropBet(id);
    this.tombstones.set(id, undefined);
  }

  // ---- idempotency record --------------------------------------------------------------

  hasRequest(id: number): boolean {
    return this.requests.has(id);
  }

  /** Remembers what was asked under `id` and what was answered. */
  remember(id: number, req: MoneyRequest, answer: WalletResponse): void {
    this.requests.store(id, req);
    // Most answers are OK (index 0): skip the lookup for them.
    this.answerCodes.set(id, answer.code === 'OK' ? 0 : CODE_INDEX.get(answer.code)!);
    const shape = shapeOf(answer);
    // A kept answer is forgotten only if there was one (a Map lookup per remember otherwise).
    if (shape === KEPT) this.keptAnswers.set(id, answer);
    else if (this.answerShapes.get(id) === KEPT) this.keptAnswers.delete(id);
    this.answerShapes.set(id, shape);
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
    const code = RESULT_CODES[this.answerCodes.get(id)]!;
    switch (this.answerShapes.get(id)) {
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
    return this.betStates.get(id) as BetState;
  }

  /** Opens (or replaces) the bet under `id` with `req`'s player, round and amount. */
  openBet(id: number, req: BetRequest, state: BetState): void {
    this.betStates.set(id, state);
    this.betAmounts.set(id, req.amount);
    this.betPlayerIds.set(id, req.playerId);
    this.betRoundIds.set(id, req.roundId);
  }

  setBetState(id: number, state: BetState): void {
    this.betStates.set(id, state);
  }

  dropBet(id: number): void {
    this.betStates.set(id, BetState.NONE);
    this.betAmounts.set(id, 0);
    this.betPlayerIds.set(id, undefined);
    this.betRoundIds.set(id, undefined);
  }

  betAmount(id: number): number {
    return this.betAmounts.get(id);
  }

  betPlayerId(id: number): string {
    return this.betPlayerIds.get(id)!;
  }

  betRoundId(id: number): string {
    return this.betRoundIds.get(id)!;
  }

  // ---- tombstone -----------------------------------------------------------------------

  tombstone(id: number): string | undefined {
    return this.tombstones.get(id);
  }

  /** Marks `id` rolled back by `playerId`, unless a rollback marked it already. */
  leaveTombstone(id: number, playerId: string): void {
    if (this.tombstones.get(id) === undefined) this.tombstones.set(id, playerId);
  }

  /** Ids come in order from the StringTable, so only the first id of a page has work to do. */
  private addRow(id: number): void {
    if ((id & PAGE_MASK) !== 0) return;
    this.requests.addRow(id);
    this.answerCodes.ensure(id);
    this.answerShapes.ensure(id);
    this.betStates.ensure(id);
    this.betAmounts.ensure(id);
    this.betPlayerIds.ensure(id);
    this.betRoundIds.ensure(id);
    this.tombstones.ensure(id);
  }
}

/** Which stored shape rebuilds `answer` exactly (see PLAIN, ACCEPTED, KEPT). */
function shapeOf(answer: WalletResponse): number {
  if (answer.balance === undefined || answer.message !== undefined || answer.replay !== undefined) return KEPT;
  if (answer.accepted === undefined) return PLAIN;
  return answer.accepted === true ? ACCEPTED : KEPT;
}
