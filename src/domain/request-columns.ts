import type { MoneyRequest } from './operations.js';
import { padTo, withRoomFor } from '../util/columns.js';

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
 * Requests stored must have passed `validationProblem()` (a known kind, safe-integer amounts):
 * an amount is kept in a Float64Array, exact for those and only for those.
 */
export class RequestColumns {
  private kinds = new Uint8Array(1024);
  private amounts = new Float64Array(1024);
  private readonly playerIds: (string | undefined)[] = [];
  private readonly roundIds: (string | undefined)[] = [];
  private readonly currencies: (string | undefined)[] = [];
  /** A win's betTxId or a rollback's refTxId. */
  private readonly refs: (string | undefined)[] = [];

  /** Makes room for `id`; a new row stores nothing. Call for every new id, in order. */
  addRow(id: number): void {
    this.kinds = withRoomFor(this.kinds, id);
    this.amounts = withRoomFor(this.amounts, id);
    padTo(this.playerIds, id);
    padTo(this.roundIds, id);
    padTo(this.currencies, id);
    padTo(this.refs, id);
  }

  has(id: number): boolean {
    return this.kinds[id] !== NONE;
  }

  store(id: number, req: MoneyRequest): void {
    this.kinds[id] = kindCode(req.kind);
    this.playerIds[id] = req.playerId;
    switch (req.kind) {
      case 'bet':
        this.setMoney(id, req.roundId, req.amount, req.currency);
        this.refs[id] = undefined;
        break;
      case 'win':
        this.setMoney(id, req.roundId, req.amount, req.currency);
        this.refs[id] = req.betTxId;
        break;
      case 'rollback':
        this.setMoney(id, undefined, 0, undefined);
        this.refs[id] = req.refTxId;
        break;
    }
  }

  /** Forgets the request stored under `id`. */
  clear(id: number): void {
    this.kinds[id] = NONE;
    this.playerIds[id] = undefined;
    this.setMoney(id, undefined, 0, undefined);
    this.refs[id] = undefined;
  }

  /** `sameContent(stored, req)`, field for field. */
  matches(id: number, req: MoneyRequest): boolean {
    if (this.kinds[id] !== kindCode(req.kind) || this.playerIds[id] !== req.playerId) return false;
    switch (req.kind) {
      case 'bet':
        return this.roundIds[id] === req.roundId && this.amounts[id] === req.amount && this.currencies[id] === req.currency;
      case 'win':
        return (
          this.roundIds[id] === req.roundId &&
          this.refs[id] === req.betTxId &&
          this.amounts[id] === req.amount &&
          this.currencies[id] === req.currency
        );
      case 'rollback':
        return this.refs[id] === req.refTxId;
    }
  }

  private setMoney(id: number, roundId: string | undefined, amount: number, currency: string | undefined): void {
    this.roundIds[id] = roundId;
    this.amounts[id] = amount;
    this.currencies[id] = currency;
  }
}
