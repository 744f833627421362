import type { OpKind } from './operations.js';
import { RESULT_CODES, type ResultCode } from './results.js';
import { ensureRow, NumberRows, RefRows } from '../util/columns.js';
import { KIND_CODE, KINDS, NO_REF } from './journal.js';

/**
 * One settlement refusal: an operation a log-backed wallet took for later settlement (it
 * answered `accepted`) and refused when it applied it: a late INSUFFICIENT_FUNDS, a win for a
 * bet that never came, ... The ledger makes no entry for it, so without this list a checker
 * reading the audit cannot tell it from an operation still waiting in the log.
 */
export interface Refusal {
  readonly seq: number;
  readonly txId: string;
  readonly kind: OpKind;
  readonly playerId: string;
  readonly code: ResultCode;
  readonly opRef?: number;
  readonly refusedAtMs: number;
}

const KIND = 0;
const CODE = 1;
const OP_REF = 2;
const REFUSED_AT = 3;
const NUMBERS = 4;
const TX_ID = 0;
const PLAYER = 1;
const REFS = 2;

/**
 * The wallet's settlement refusals in the order they happened, in rows as the journal keeps its
 * entries (see journal.ts): a wallet drained by a low-balance run refuses thousands of bets, and
 * an object each would be garbage the collector copies until the process ends.
 */
export class RefusalLog {
  private count = 0;
  private readonly numbers = new NumberRows(NUMBERS);
  private readonly refs = new RefRows<string>(REFS);

  get length(): number {
    return this.count;
  }

  append(txId: string, kind: OpKind, playerId: string, code: ResultCode, opRef: number | undefined, refusedAtMs: number): void {
    const i = this.count++;
    const { numbers, refs } = this;
    ensureRow(i, numbers, refs);
    numbers.set(i, KIND, KIND_CODE[kind]);
    numbers.set(i, CODE, RESULT_CODES.indexOf(code));
    numbers.set(i, OP_REF, opRef ?? NO_REF);
    numbers.set(i, REFUSED_AT, refusedAtMs);
    refs.set(i, TX_ID, txId);
    refs.set(i, PLAYER, playerId);
  }

  /** The refusal at position i (= its seq) as an object, for the endpoint. */
  entry(i: number): Refusal {
    const ref = this.numbers.get(i, OP_REF);
    return {
      seq: i,
      txId: this.refs.get(i, TX_ID)!,
      kind: KINDS[this.numbers.get(i, KIND)]!,
      playerId: this.refs.get(i, PLAYER)!,
      code: RESULT_CODES[this.numbers.get(i, CODE)]!,
      ...(ref === NO_REF ? {} : { opRef: ref }),
      refusedAtMs: this.numbers.get(i, REFUSED_AT),
    };
  }

  /** Refusals [from, to) as objects, like Array.prototype.slice. */
  slice(from = 0, to = this.count): Refusal[] {
    const out: Refusal[] = [];
    for (let i = Math.max(0, from); i < Math.min(to, this.count); i++) out.push(this.entry(i));
    return out;
  }
}
