import type { OpKind } from '../domain/operations.js';
import { RESULT_CODES, type ResultCode } from '../domain/results.js';
import type { OpInfo, Outcome } from '../provider/observer.js';
import { ByteColumn, NumberColumn, PAGE_MASK, RefColumn } from '../util/columns.js';

const KINDS: readonly OpKind[] = ['bet', 'win', 'rollback'];
const KIND_INDEX: Readonly<Record<OpKind, number>> = { bet: 0, win: 1, rollback: 2 };
const STATUSES: readonly ('pending' | Outcome)[] = ['pending', 'ok', 'failed', 'indeterminate'];
const STATUS_INDEX: Readonly<Record<Outcome, number>> = { ok: 1, failed: 2, indeterminate: 3 };
/** Result codes are stored as 1 + their index in RESULT_CODES; 0 is "none yet". */
const CODE_INDEX = new Map<ResultCode, number>(RESULT_CODES.map((c, i) => [c, i + 1]));

const ACCEPTED = 1;
const SETTLED_OK = 2;
const DUPLICATE_SEEN = 4;

export type Applied = 'yes' | 'no' | 'maybe';

/**
 * Everything the checker knows about each logical operation (what was meant and what happened),
 * one column per field, indexed by the operation's id.
 *
 * Columns rather than an object per operation: a run keeps every operation to the end for the
 * audit, millions in a long simulation, and each object would be copied by the young-generation
 * garbage collector before it settles in the old one. The columns are pages of plain arrays
 * (src/util/columns.ts says why not typed arrays); only the strings the provider made anyway
 * (player and txIds) are referenced.
 */
export class OpTable {
  private count = 0;
  private readonly kinds = new ByteColumn();
  private readonly statuses = new ByteColumn();
  private readonly flags = new ByteColumn();
  private readonly settledCodes = new ByteColumn();
  private readonly phases = new ByteColumn();
  private readonly betOps = new ByteColumn();
  private readonly amounts = new NumberColumn();
  private readonly intendedAt = new NumberColumn();
  private readonly players = new RefColumn<string>();
  /** One txId when retries reuse it, several when they mint new ones. */
  private readonly txIdsOf = new RefColumn<string | string[]>();
  /** Every column, so that a new id is made addressable in all of them at once. */
  private readonly columns: readonly { ensure(id: number): void }[] = [
    this.kinds,
    this.statuses,
    this.flags,
    this.settledCodes,
    this.phases,
    this.betOps,
    this.amounts,
    this.intendedAt,
    this.players,
    this.txIdsOf,
  ];

  get length(): number {
    return this.count;
  }

  /** Adds an operation; returns its id. */
  open(info: OpInfo): number {
    const i = this.count++;
    if ((i & PAGE_MASK) === 0) for (const column of this.columns) column.ensure(i);
    this.kinds.set(i, KIND_INDEX[info.kind]);
    this.phases.set(i, info.phase);
    this.betOps.set(i, info.betOp ?? -1);
    this.amounts.set(i, info.amount);
    this.intendedAt.set(i, info.intendedAtMs);
    this.players.set(i, info.playerId);
    this.txIdsOf.set(i, '');
    return i;
  }

  /** Whether an op ref (from a ledger entry or the wire) names an operation of this run. */
  has(id: number | undefined): id is number {
    return id !== undefined && Number.isInteger(id) && id >= 0 && id < this.count;
  }

  kind(i: number): OpKind {
    return KINDS[this.kinds.get(i)!]!;
  }

  playerId(i: number): string {
    return this.players.get(i)!;
  }

  amount(i: number): number {
    return this.amounts.get(i)!;
  }

  intendedAtMs(i: number): number {
    return this.intendedAt.get(i)!;
  }

  phase(i: number): number {
    return this.phases.get(i)!;
  }

  /** For a win or a rollback: the bet operation it refers to; -1 otherwise. */
  betOp(i: number): number {
    return this.betOps.get(i)!;
  }

  status(i: number): 'pending' | Outcome {
    return STATUSES[this.statuses.get(i)!]!;
  }

  /** Acked as accepted for later settlement (event-driven and hybrid). */
  accepted(i: number): boolean {
    return (this.flags.get(i)! & ACCEPTED) !== 0;
  }

  /** Applied OK through the log (or by the wallet's probe). */
  settledOk(i: number): boolean {
    return (this.flags.get(i)! & SETTLED_OK) !== 0;
  }

  /** The first result of applying it, if any. */
  settledCode(i: number): ResultCode | undefined {
    const c = this.settledCodes.get(i)!;
    return c === 0 ? undefined : RESULT_CODES[c - 1];
  }

  /** Seen applied a second time while the run went on (the live duplicate counter). */
  duplicateSeen(i: number): boolean {
    return (this.flags.get(i)! & DUPLICATE_SEEN) !== 0;
  }

  txIds(i: number): readonly string[] {
    const t = this.txIdsOf.get(i)!;
    return typeof t === 'string' ? (t === '' ? [] : [t]) : t;
  }

  firstTxId(i: number): string {
    const t = this.txIdsOf.get(i)!;
    return typeof t === 'string' ? t : (t[0] ?? '?');
  }

  hasTxId(i: number, txId: string): boolean {
    const t = this.txIdsOf.get(i)!;
    return typeof t === 'string' ? t === txId : t.includes(txId);
  }

  /** Did the wallet apply it, as far as the provider and the log can tell? */
  applied(i: number): Applied {
    const flags = this.flags.get(i)!;
    if ((flags & ACCEPTED) !== 0) return (flags & SETTLED_OK) !== 0 ? 'yes' : this.settledCodes.get(i) !== 0 ? 'no' : 'maybe';
    const status = this.statuses.get(i);
    return status === 1 ? 'yes' : status === 2 ? 'no' : 'maybe';
  }

  // ---- what the auditor records --------------------------------------------------------

  attemptSent(i: number, txId: string): void {
    const t = this.txIdsOf.get(i)!;
    if (t === '') this.txIdsOf.set(i, txId);
    else if (typeof t === 'string') {
      if (t !== txId) this.txIdsOf.set(i, [t, txId]);
    } else if (!t.includes(txId)) t.push(txId);
  }

  finish(i: number, outcome: Outcome, accepted: boolean): void {
    this.statuses.set(i, STATUS_INDEX[outcome]);
    const flags = this.flags.get(i);
    this.flags.set(i, accepted ? flags | ACCEPTED : flags & ~ACCEPTED);
  }

  /** Records the first settlement result; an OK one marks it settled. */
  settle(i: number, code: ResultCode): void {
    if (code === 'OK') this.flags.set(i, this.flags.get(i) | SETTLED_OK);
    if (code === 'OK' || this.settledCodes.get(i) === 0) this.settledCodes.set(i, CODE_INDEX.get(code)!);
  }

  markDuplicateSeen(i: number): void {
    this.flags.set(i, this.flags.get(i) | DUPLICATE_SEEN);
  }
}
