import type { MoneyRequest } from './operations.js';
import { ByteColumn, NumberColumn, PAGE_MASK, RefColumn } from '../util/columns.js';

/** Kind codes; 0 means no request stored under that id. */
const NONE = 0;
const BET = 1;
const WIN = 2;
const ROLLBACK = 3;

function kindCode(kind: MoneyRequest['kind']): number {
  return kind === 'bet' ? BET : kind === 'win' ? WIN : kind === 'rollback' ? ROLLBACK : NONE;
}

/**
 * Idempotency records: of each request stored, exactly what `sameContent()` compares, in columns
 * indexed by a txId's id (from a StringTable). Keeping the fields rather than the request lets
 * the request object die young instead of being copied by every scavenge on its way to the old
 * generation; the strings kept are shared with other long-lived objects anyway.
 *
 * Requests stored must have passed `validationProblem()` (a known kind, amounts that are numbers),
 * as both callers' have: a NumberColumn is typed for numbers only.
 */
export class RequestColumns {
  private readonly kinds = new ByteColumn();
  private readonly amounts = new NumberColumn();
  private readonly playerIds = new RefColumn<string>();
  private readonly roundIds = new RefColumn<string>();
  private readonly currencies = new RefColumn<string>();
  /** A win's betTxId or a rollback's refTxId. */
  private readonly refs = new RefColumn<string>();

  /** Makes room for `id`; a new row stores nothing. Call for every new id, in order. */
  addRow(id: number): void {
    if ((id & PAGE_MASK) !== 0) return;
    this.kinds.ensure(id);
    this.amounts.ensure(id);
    this.playerIds.ensure(id);
    this.roundIds.ensure(id);
    this.currencies.ensure(id);
    this.refs.ensure(id);
  }

  has(id: number): boolean {
    return this.kinds.get(id) !== NONE;
  }

  store(id: number, req: MoneyRequest): void {
    this.kinds.set(id, kindCode(req.kind));
    this.playerIds.set(id, req.playerId);
    switch (req.kind) {
      case 'bet':
        this.setMoney(id, req.roundId, req.amount, req.currency);
        this.refs.set(id, undefined);
        break;
      case 'win':
        this.setMoney(id, req.roundId, req.amount, req.currency);
        this.refs.set(id, req.betTxId);
        break;
      case 'rollback':
        this.setMoney(id, undefined, 0, undefined);
        this.refs.set(id, req.refTxId);
        break;
    }
  }

  /** Forgets the request stored under `id`. */
  clear(id: number): void {
    this.kinds.set(id, NONE);
    this.playerIds.set(id, undefined);
    this.setMoney(id, undefined, 0, undefined);
    this.refs.set(id, undefined);
  }

  /** `sameContent(stored, req)`, field for field. */
  matches(id: number, req: MoneyRequest): boolean {
    if (this.kinds.get(id) !== kindCode(req.kind) || this.playerIds.get(id) !== req.playerId) return false;
    switch (req.kind) {
      case 'bet':
        return this.roundIds.get(id) === req.roundId && this.amounts.get(id) === req.amount && this.currencies.get(id) === req.currency;
      case 'win':
        return (
          this.roundIds.get(id) === req.roundId &&
          this.refs.get(id) === req.betTxId &&
          this.amounts.get(id) === req.amount &&
          this.currencies.get(id) === req.currency
        );
      case 'rollback':
        return this.refs.get(id) === req.refTxId;
    }
  }

  private setMoney(id: number, roundId: string | undefined, amount: number, currency: string | undefined): void {
    this.roundIds.set(id, roundId);
    this.amounts.set(id, amount);
    this.currencies.set(id, currency);
  }
}
