import type { MoneyRequest } from './operations.js';
import type { NumberRows, RefRows } from '../util/columns.js';

/** A request's kind in its record; 0 means no request stored under that id. */
const NONE = 0;
const KIND_CODE: Readonly<Record<MoneyRequest['kind'], number>> = { bet: 1, win: 2, rollback: 3 };
const KIND_BY_CODE: readonly (MoneyRequest['kind'] | undefined)[] = [undefined, 'bet', 'win', 'rollback'];

/** Number fields a stored request takes in a row, from its first number field on. */
export const REQUEST_NUMBERS = 2;
/** Reference fields a stored request takes in a row, from its first reference field on. */
export const REQUEST_REFS = 4;
const KIND = 0;
const AMOUNT = 1;
const PLAYER = 0;
const ROUND = 1;
const CURRENCY = 2;
/** A win's betTxId or a rollback's refTxId. */
const REF = 3;

/**
 * Idempotency records: of each request stored, exactly what `sameContent()` compares, in fields
 * of a row indexed by a txId's id (from a StringTable), within rows that may hold more (TxRecords
 * keeps its bet beside it). Keeping the fields rather than the request lets the request object
 * die young instead of being copied by every scavenge on its way to the old generation; the
 * strings kept are shared with other long-lived objects anyway.
 *
 * Requests stored must have passed `validationProblem()` (a known kind, amounts that are numbers),
 * as both callers' have.
 */
export class RequestFields {
  constructor(
    private readonly numbers: NumberRows,
    private readonly refs: RefRows<string>,
    /** Where the request's number and reference fields start in a row. */
    private readonly firstNumber = 0,
    private readonly firstRef = 0,
  ) {}

  has(id: number): boolean {
    return this.numbers.get(id, this.firstNumber + KIND) !== NONE;
  }

  /** The kind of the request stored under `id`, if one is. */
  kind(id: number): MoneyRequest['kind'] | undefined {
    return KIND_BY_CODE[this.numbers.get(id, this.firstNumber + KIND)];
  }

  store(id: number, req: MoneyRequest): void {
    const { numbers, refs, firstNumber: n, firstRef: r } = this;
    numbers.set(id, n + KIND, KIND_CODE[req.kind]);
    refs.set(id, r + PLAYER, req.playerId);
    switch (req.kind) {
      case 'bet':
        this.setMoney(id, req.roundId, req.amount, req.currency);
        refs.set(id, r + REF, undefined);
        break;
      case 'win':
        this.setMoney(id, req.roundId, req.amount, req.currency);
        refs.set(id, r + REF, req.betTxId);
        break;
      case 'rollback':
        this.setMoney(id, undefined, 0, undefined);
        refs.set(id, r + REF, req.refTxId);
        break;
    }
  }

  /** Forgets the request stored under `id`. */
  clear(id: number): void {
    this.numbers.set(id, this.firstNumber + KIND, NONE);
    this.refs.set(id, this.firstRef + PLAYER, undefined);
    this.setMoney(id, undefined, 0, undefined);
    this.refs.set(id, this.firstRef + REF, undefined);
  }

  /** `sameContent(stored, req)`, field for field. */
  matches(id: number, req: MoneyRequest): boolean {
    const { numbers, refs, firstNumber: n, firstRef: r } = this;
    if (numbers.get(id, n + KIND) !== KIND_CODE[req.kind] || refs.get(id, r + PLAYER) !== req.playerId) return false;
    switch (req.kind) {
      case 'bet':
        return refs.get(id, r + ROUND) === req.roundId && numbers.get(id, n + AMOUNT) === req.amount && refs.get(id, r + CURRENCY) === req.currency;
      case 'win':
        return (
          refs.get(id, r + ROUND) === req.roundId &&
          refs.get(id, r + REF) === req.betTxId &&
          numbers.get(id, n + AMOUNT) === req.amount &&
          refs.get(id, r + CURRENCY) === req.currency
        );
      case 'rollback':
        return refs.get(id, r + REF) === req.refTxId;
    }
  }

  private setMoney(id: number, roundId: string | undefined, amount: number, currency: string | undefined): void {
    this.refs.set(id, this.firstRef + ROUND, roundId);
    this.numbers.set(id, this.firstNumber + AMOUNT, amount);
    this.refs.set(id, this.firstRef + CURRENCY, currency);
  }
}
