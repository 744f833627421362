import type { OpKind } from '../domain/operations.js';
import { RESULT_CODES, type ResultCode } from '../domain/results.js';
import type { OpInfo, Outcome } from '../provider/observer.js';
import { NumberRows, PAGE_MASK, RefRows } from '../util/columns.js';

const KINDS: readonly OpKind[] = ['bet', 'win', 'rollback'];
const KIND_INDEX: Readonly<Record<OpKind, number>> = { bet: 0, win: 1, rollback: 2 };
const STATUSES: readonly ('pending' | Outcome)[] = ['pending', 'ok', 'failed', 'indeterminate'];
const STATUS_INDEX: Readonly<Record<Outcome, number>> = { ok: 1, failed: 2, indeterminate: 3 };
/** Result codes are stored as 1 + their index in RESULT_CODES; 0 is "none yet". */
const CODE_INDEX = new Map<ResultCode, number>(RESULT_CODES.map((c, i) => [c, i + 1]));

/** Flags of an operation (bits of its packed number, see STATE). */
const ACCEPTED = 1;
const SETTLED_OK = 2;
const DUPLICATE_SEEN = 4;

/**
 * The numbers of an operation's row: its packed state, phase, bet operation (-1: none), amount
 * and intended send time. The packed state holds the kind (bits 0-1), the status (2-3), the
 * flags (4-6) and the first settlement result code, 1 + its index, 0 for none yet (7-10).
 */
const STATE = 0;
const PHASE = 1;
const BET_OP = 2;
const AMOUNT = 3;
const INTENDED_AT = 4;
const NUMBERS = 5;
const KIND_SHIFT = 0;
const STATUS_SHIFT = 2;
const FLAGS_SHIFT = 4;
const CODE_SHIFT = 7;
// Four bits hold 1 + a code's index: a sixteenth result code needs a wider field.
if (RESULT_CODES.length > 15) throw new Error('OpTable: more result codes than its packed state holds');
/** The references of an operation's row: its player, and its txId (or txIds, when retries mint new ones). */
const PLAYER = 0;
const TX_IDS = 1;
const REFS = 2;

export type Applied = 'yes' | 'no' | 'maybe';

/**
 * Everything the checker knows about each logical operation (what was meant and what happened),
 * in a row per operation, indexed by the operation's id.
 *
 * Rows rather than an object per operation: a run keeps every operation to the end for the
 * audit, millions in a long simulation, and each object would be copied by the young-generation
 * garbage collector before it settles in the old one. The rows are pages of plain arrays
 * (src/util/columns.ts says why not typed arrays), an operation's fields side by side because
 * each moment of its life (opened, sent, answered, settled, audited) reads several of them; only
 * the strings the provider made anyway (player and txIds) are referenced.
 */
export class OpTable {
  private count = 0;
  private readonly numbers = new NumberRows(NUMBERS);
  private readonly refs = new RefRows<string | string[]>(REFS);

  get length(): number {
    return this.count;
  }

  /** Adds an operation; returns its id. */
  open(info: OpInfo): number {
    const i = this.count++;
    const { numbers, refs } = this;
    if ((i & PAGE_MASK) === 0) {
      numbers.ensure(i);
      refs.ensure(i);
    }
    numbers.set(i, STATE, KIND_INDEX[info.kind] << KIND_SHIFT);
    numbers.set(i, PHASE, info.phase);
    numbers.set(i, BET_OP, info.betOp ?? -1);
    numbers.set(i, AMOUNT, info.amount);
    numbers.set(i, INTENDED_AT, info.intendedAtMs);
    refs.set(i, PLAYER, info.playerId);
    refs.set(i, TX_IDS, '');
    return i;
  }

  /** Whether an op ref (from a ledger entry or the wire) names an operation of this run. */
  has(id: number | undefined): id is number {
    return id !== undefined && Number.isInteger(id) && id >= 0 && id < this.count;
  }

  kind(i: number): OpKind {
    return KINDS[(this.numbers.get(i, STATE) >>> KIND_SHIFT) & 3]!;
  }

  playerId(i: number): string {
    return this.refs.get(i, PLAYER) as string;
  }

  amount(i: number): number {
    return this.numbers.get(i, AMOUNT);
  }

  intendedAtMs(i: number): number {
    return this.numbers.get(i, INTENDED_AT);
  }

  phase(i: number): number {
    return this.numbers.get(i, PHASE);
  }

  /** For a win or a rollback: the bet operation it refers to; -1 otherwise. */
  betOp(i: number): number {
    return this.numbers.get(i, BET_OP);
  }

  status(i: number): 'pending' | Outcome {
    return STATUSES[(this.numbers.get(i, STATE) >>> STATUS_SHIFT) & 3]!;
  }

  /** Acked as accepted for later settlement (event-driven and hybrid). */
  accepted(i: number): boolean {
    return (this.flagsOf(i) & ACCEPTED) !== 0;
  }

  /** Applied OK through the log (or by the wallet's probe). */
  settledOk(i: number): boolean {
    return (this.flagsOf(i) & SETTLED_OK) !== 0;
  }

  /** The first result of applying it, if any. */
  settledCode(i: number): ResultCode | undefined {
    const c = this.codeOf(i);
    return c === 0 ? undefined : RESULT_CODES[c - 1];
  }

  /** Seen applied a second time while the run went on (the live duplicate counter). */
  duplicateSeen(i: number): boolean {
    return (this.flagsOf(i) & DUPLICATE_SEEN) !== 0;
  }

  txIds(i: number): readonly string[] {
    const t = this.refs.get(i, TX_IDS)!;
    return typeof t === 'string' ? (t === '' ? [] : [t]) : t;
  }

  firstTxId(i: number): string {
    const t = this.refs.get(i, TX_IDS)!;
    return typeof t === 'string' ? t : (t[0] ?? '?');
  }

  hasTxId(i: number, txId: string): boolean {
    const t = this.refs.get(i, TX_IDS)!;
    return typeof t === 'string' ? t === txId : t.includes(txId);
  }

  /** Did the wallet apply it, as far as the provider and the log can tell? */
  applied(i: number): Applied {
    const state = this.numbers.get(i, STATE);
    const flags = (state >>> FLAGS_SHIFT) & 7;
    if ((flags & ACCEPTED) !== 0) return (flags & SETTLED_OK) !== 0 ? 'yes' : ((state >>> CODE_SHIFT) & 15) !== 0 ? 'no' : 'maybe';
    const status = (state >>> STATUS_SHIFT) & 3;
    return status === 1 ? 'yes' : status === 2 ? 'no' : 'maybe';
  }

  // ---- what the auditor records --------------------------------------------------------

  attemptSent(i: number, txId: string): void {
    const t = this.refs.get(i, TX_IDS)!;
    if (t === '') this.refs.set(i, TX_IDS, txId);
    else if (typeof t === 'string') {
      if (t !== txId) this.refs.set(i, TX_IDS, [t, txId]);
    } else if (!t.includes(txId)) t.push(txId);
  }

  finish(i: number, outcome: Outcome, accepted: boolean): void {
    const state = this.numbers.get(i, STATE);
    const flags = (state >>> FLAGS_SHIFT) & 7;
    const next = (state & ~((3 << STATUS_SHIFT) | (7 << FLAGS_SHIFT))) | (STATUS_INDEX[outcome] << STATUS_SHIFT) | ((accepted ? flags | ACCEPTED : flags & ~ACCEPTED) << FLAGS_SHIFT);
    this.numbers.set(i, STATE, next);
  }

  /** Records the first settlement result; an OK one marks it settled. */
  settle(i: number, code: ResultCode): void {
    if (code === 'OK') this.addFlag(i, SETTLED_OK);
    if (code === 'OK' || this.codeOf(i) === 0) {
      const state = this.numbers.get(i, STATE);
      this.numbers.set(i, STATE, (state & ~(15 << CODE_SHIFT)) | (CODE_INDEX.get(code)! << CODE_SHIFT));
    }
  }

  markDuplicateSeen(i: number): void {
    this.addFlag(i, DUPLICATE_SEEN);
  }

  private flagsOf(i: number): number {
    return (this.numbers.get(i, STATE) >>> FLAGS_SHIFT) & 7;
  }

  private codeOf(i: number): number {
    return (this.numbers.get(i, STATE) >>> CODE_SHIFT) & 15;
  }

  private addFlag(i: number, flag: number): void {
    this.numbers.set(i, STATE, this.numbers.get(i, STATE) | (flag << FLAGS_SHIFT));
  }
}
