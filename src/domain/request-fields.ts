import type { MoneyRequest } from './operations.js';
import type { NumberRows, RefRows } from '../util/columns.js';

/** A request's kind in its record; 0 means no request stored under that id. */
const NONE = 0;
const KIND_CODE: Readonly<Record<MoneyRequest['kind'], number>> = { bet: 1, win: 2, rollback: 3 };
const KIND_BY_CODE: readonly (MoneyRequest['kind'] | undefined)[] = [undefined, 'bet', 'win', 'rollback'];

/** Number fields a stored request takes in a row, from its first number field on. */
export const REQUEST_NUMBERS = 2;
/** Reference fields a stored request takes in a row, from its first reference field on. */
export const REQUEST_REFS = 3;
/**
 * The kind and the currency: kind + KIND_SPAN * the currency's code (see `currencies`), or
 * NONE, times 2^ownerBits, plus the owner's bits (see `ownerBits`). One field for all: a
 * currency is one of a few strings, and a field of its own cost 8 bytes in every row of millions.
 */
const HEAD = 0;
const AMOUNT = 1;
const KIND_SPAN = 4;
const PLAYER = 0;
const ROUND = 1;
/** A win's betTxId or a rollback's refTxId. */
const REF = 2;
/** The code of "no currency" (a rollback's). */
const NO_CURRENCY = 0;

/**
 * Idempotency records: of each request stored, exactly what `sameContent()` compares, in fields
 * of a row indexed by a txId's id (from a StringTable), within rows that may hold more (TxRecords
 * keeps its flags beside it, and its bet in the same fields: see storeBet). Keeping the fields rather than the request lets the request object
 * die young instead of being copied by every scavenge on its way to the old generation; the
 * strings kept are shared with other long-lived objects anyway.
 *
 * Requests stored must have passed `validationProblem()` (a known kind, amounts that are numbers),
 * as both callers' have.
 */
export class RequestFields {
  /** The currencies stored, by code (in the order first stored), and their codes. */
  private readonly currencies: (string | undefined)[] = [undefined];
  private readonly currencyCodes = new Map<string, number>();
  /** The last currency coded, and its code: nearly every request names the one before's. */
  private lastCurrency: string | undefined = undefined;
  private lastCode = NO_CURRENCY;

  /** 2^ownerBits: the head's unit above the owner's bits. */
  private readonly ownerUnit: number;

  constructor(
    private readonly numbers: NumberRows,
    private readonly refs: RefRows<string>,
    /** Where the request's number and reference fields start in a row. */
    private readonly firstNumber = 0,
    private readonly firstRef = 0,
    /**
     * Low bits of the first number field left to the owner of the rows (at most 31; see
     * `owned`), which would otherwise take a number field of its own for its flags.
     */
    ownerBits = 0,
  ) {
    this.ownerUnit = 2 ** ownerBits;
  }

  has(id: number): boolean {
    return this.numbers.get(id, this.firstNumber + HEAD) >= this.ownerUnit;
  }

  /** The kind of the request stored under `id`, if one is. */
  kind(id: number): MoneyRequest['kind'] | undefined {
    return KIND_BY_CODE[this.headOf(id) % KIND_SPAN];
  }

  /** The owner's bits of row `id`. */
  owned(id: number): number {
    // & on the double keeps its low 32 bits (ToInt32 of an integer below 2^53 is exact mod 2^32).
    return this.numbers.get(id, this.firstNumber + HEAD) & (this.ownerUnit - 1);
  }

  setOwned(id: number, bits: number): void {
    const field = this.firstNumber + HEAD;
    const head = this.numbers.get(id, field);
    this.numbers.set(id, field, head - (head & (this.ownerUnit - 1)) + bits);
  }

  /** The head without the owner's bits: kind + KIND_SPAN * currency code. */
  private headOf(id: number): number {
    return Math.floor(this.numbers.get(id, this.firstNumber + HEAD) / this.ownerUnit);
  }

  store(id: number, req: MoneyRequest): void {
    const { refs, firstRef: r } = this;
    refs.set(id, r + PLAYER, req.playerId);
    switch (req.kind) {
      case 'bet':
        this.setMoney(id, req.kind, req.roundId, req.amount, this.codeOf(req.currency));
        refs.set(id, r + REF, undefined);
        break;
      case 'win':
        this.setMoney(id, req.kind, req.roundId, req.amount, this.codeOf(req.currency));
        refs.set(id, r + REF, req.betTxId);
        break;
      case 'rollback':
        this.setMoney(id, req.kind, undefined, 0, NO_CURRENCY);
        refs.set(id, r + REF, req.refTxId);
        break;
    }
  }

  /** Forgets the request stored under `id`. */
  clear(id: number): void {
    this.refs.set(id, this.firstRef + PLAYER, undefined);
    this.setMoney(id, undefined, undefined, 0, NO_CURRENCY);
    this.refs.set(id, this.firstRef + REF, undefined);
  }

  /** `sameContent(stored, req)`, field for field. */
  matches(id: number, req: MoneyRequest): boolean {
    const { numbers, refs, firstNumber: n, firstRef: r } = this;
    const head = this.headOf(id);
    if (head % KIND_SPAN !== KIND_CODE[req.kind] || refs.get(id, r + PLAYER) !== req.playerId) return false;
    const currency = this.currencies[Math.floor(head / KIND_SPAN)];
    switch (req.kind) {
      case 'bet':
        return refs.get(id, r + ROUND) === req.roundId && numbers.get(id, n + AMOUNT) === req.amount && currency === req.currency;
      case 'win':
        return (
          refs.get(id, r + ROUND) === req.roundId &&
          refs.get(id, r + REF) === req.betTxId &&
          numbers.get(id, n + AMOUNT) === req.amount &&
          currency === req.currency
        );
      case 'rollback':
        return refs.get(id, r + REF) === req.refTxId;
    }
  }

  // ---- a bet kept in the same fields ----------------------------------------------------

  /**
   * Writes a bet's player, round and amount into the fields a bet request stores them in, and
   * nothing else (has() stays as it was): for a store that keeps a bet beside the request
   * (TxRecords), nearly always the bet request remembered under the same txId, so the two share
   * the fields. `sameBet` tells when they would not.
   */
  storeBet(id: number, playerId: string, roundId: string, amount: number): void {
    this.refs.set(id, this.firstRef + PLAYER, playerId);
    this.refs.set(id, this.firstRef + ROUND, roundId);
    this.numbers.set(id, this.firstNumber + AMOUNT, amount);
  }

  /**
   * Whether the player, round and amount fields hold `playerId`, `roundId` and `amount` (-0 is
   * not 0: a bet of 0 is refunded 0, not -0).
   */
  holdsBet(id: number, playerId: string | undefined, roundId: string | undefined, amount: number): boolean {
    return this.betPlayer(id) === playerId && this.betRound(id) === roundId && Object.is(this.betAmount(id), amount);
  }

  /** Whether `store(id, req)` would leave the player, round and amount fields as they are. */
  keepsBet(id: number, req: MoneyRequest): boolean {
    return req.kind === 'rollback' ? this.holdsBet(id, req.playerId, undefined, 0) : this.holdsBet(id, req.playerId, req.roundId, req.amount);
  }

  betPlayer(id: number): string | undefined {
    return this.refs.get(id, this.firstRef + PLAYER);
  }

  betRound(id: number): string | undefined {
    return this.refs.get(id, this.firstRef + ROUND);
  }

  betAmount(id: number): number {
    return this.numbers.get(id, this.firstNumber + AMOUNT);
  }

  private setMoney(id: number, kind: MoneyRequest['kind'] | undefined, roundId: string | undefined, amount: number, currencyCode: number): void {
    const head = kind === undefined ? NONE : KIND_CODE[kind] + KIND_SPAN * currencyCode;
    this.numbers.set(id, this.firstNumber + HEAD, head * this.ownerUnit + this.owned(id));
    this.refs.set(id, this.firstRef + ROUND, roundId);
    this.numbers.set(id, this.firstNumber + AMOUNT, amount);
  }

  /** The code of `currency`, given it a new one if it is new. */
  private codeOf(currency: string): number {
    if (currency === this.lastCurrency) return this.lastCode;
    let code = this.currencyCodes.get(currency);
    if (code === undefined) {
      code = this.currencies.push(currency) - 1;
      this.currencyCodes.set(currency, code);
    }
    this.lastCurrency = currency;
    this.lastCode = code;
    return code;
  }
}
