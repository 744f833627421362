import type { OpKind } from '../domain/operations.js';
import { RESULT_CODES, type ResultCode } from '../domain/results.js';
import type { OpInfo, Outcome } from '../provider/observer.js';

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
 * garbage collector before it settles in the old one. Typed arrays hold numbers outside the
 * collector's copying; only the strings the provider made anyway (player and txIds) are referenced.
 */
export class OpTable {
  private count = 0;
  private capacity = 1024;
  private kinds = new Uint8Array(this.capacity);
  private statuses = new Uint8Array(this.capacity);
  private flags = new Uint8Array(this.capacity);
  private settledCodes = new Uint8Array(this.capacity);
  private phases = new Int32Array(this.capacity);
  private betOps = new Int32Array(this.capacity);
  private attemptCounts = new Int32Array(this.capacity);
  private amounts = new Float64Array(this.capacity);
  private intendedAt = new Float64Array(this.capacity);
  private readonly players: string[] = [];
  /** One txId when retries reuse it, several when they mint new ones. */
  private readonly txIdsOf: (string | string[])[] = [];

  get length(): number {
    return this.count;
  }

  /** Adds an operation; returns its id. */
  open(info: OpInfo): number {
    if (this.count === this.capacity) this.grow();
    const i = this.count++;
    this.kinds[i] = KIND_INDEX[info.kind];
    this.phases[i] = info.phase;
    this.betOps[i] = info.betOp ?? -1;
    this.amounts[i] = info.amount;
    this.intendedAt[i] = info.intendedAtMs;
    this.players.push(info.playerId);
    this.txIdsOf.push('');
    return i;
  }

  /** Whether an op ref (from a ledger entry or the wire) names an operation of this run. */
  has(id: number | undefined): id is number {
    return id !== undefined && Number.isInteger(id) && id >= 0 && id < this.count;
  }

  kind(i: number): OpKind {
    return KINDS[this.kinds[i]!]!;
  }

  playerId(i: number): string {
    return this.players[i]!;
  }

  amount(i: number): number {
    return this.amounts[i]!;
  }

  intendedAtMs(i: number): number {
    return this.intendedAt[i]!;
  }

  phase(i: number): number {
    return this.phases[i]!;
  }

  /** For a win or a rollback: the bet operation it refers to; -1 otherwise. */
  betOp(i: number): number {
    return this.betOps[i]!;
  }

  attempts(i: number): number {
    return this.attemptCounts[i]!;
  }

  status(i: number): 'pending' | Outcome {
    return STATUSES[this.statuses[i]!]!;
  }

  /** Acked as accepted for later settlement (event-driven and hybrid). */
  accepted(i: number): boolean {
    return (this.flags[i]! & ACCEPTED) !== 0;
  }

  /** Applied OK through the log (or by the wallet's probe). */
  settledOk(i: number): boolean {
    return (this.flags[i]! & SETTLED_OK) !== 0;
  }

  /** The first result of applying it, if any. */
  settledCode(i: number): ResultCode | undefined {
    const c = this.settledCodes[i]!;
    return c === 0 ? undefined : RESULT_CODES[c - 1];
  }

  /** Seen applied a second time while the run went on (the live duplicate counter). */
  duplicateSeen(i: number): boolean {
    return (this.flags[i]! & DUPLICATE_SEEN) !== 0;
  }

  txIds(i: number): readonly string[] {
    const t = this.txIdsOf[i]!;
    return typeof t === 'string' ? (t === '' ? [] : [t]) : t;
  }

  firstTxId(i: number): string {
    const t = this.txIdsOf[i]!;
    return typeof t === 'string' ? t : (t[0] ?? '?');
  }

  hasTxId(i: number, txId: string): boolean {
    const t = this.txIdsOf[i]!;
    return typeof t === 'string' ? t === txId : t.includes(txId);
  }

  /** Did the wallet apply it, as far as the provider and the log can tell? */
  applied(i: number): Applied {
    const flags = this.flags[i]!;
    if ((flags & ACCEPTED) !== 0) return (flags & SETTLED_OK) !== 0 ? 'yes' : this.settledCodes[i] !== 0 ? 'no' : 'maybe';
    const status = this.statuses[i];
    return status === 1 ? 'yes' : status === 2 ? 'no' : 'maybe';
  }

  // ---- what the auditor records --------------------------------------------------------

  attemptSent(i: number, txId: string, attempt: number): void {
    this.attemptCounts[i] = attempt;
    const t = this.txIdsOf[i]!;
    if (t === '') this.txIdsOf[i] = txId;
    else if (typeof t === 'string') {
      if (t !== txId) this.txIdsOf[i] = [t, txId];
    } else if (!t.includes(txId)) t.push(txId);
  }

  finish(i: number, outcome: Outcome, accepted: boolean): void {
    this.statuses[i] = STATUS_INDEX[outcome];
    this.flags[i] = accepted ? this.flags[i]! | ACCEPTED : this.flags[i]! & ~ACCEPTED;
  }

  /** Records the first settlement result; an OK one marks it settled. */
  settle(i: number, code: ResultCode): void {
    if (code === 'OK') this.flags[i]! |= SETTLED_OK;
    if (code === 'OK' || this.settledCodes[i] === 0) this.settledCodes[i] = CODE_INDEX.get(code)!;
  }

  markDuplicateSeen(i: number): void {
    this.flags[i]! |= DUPLICATE_SEEN;
  }

  private grow(): void {
    this.capacity *= 2;
    this.kinds = grown(this.kinds, new Uint8Array(this.capacity));
    this.statuses = grown(this.statuses, new Uint8Array(this.capacity));
    this.flags = grown(this.flags, new Uint8Array(this.capacity));
    this.settledCodes = grown(this.settledCodes, new Uint8Array(this.capacity));
    this.phases = grown(this.phases, new Int32Array(this.capacity));
    this.betOps = grown(this.betOps, new Int32Array(this.capacity));
    this.attemptCounts = grown(this.attemptCounts, new Int32Array(this.capacity));
    this.amounts = grown(this.amounts, new Float64Array(this.capacity));
    this.intendedAt = grown(this.intendedAt, new Float64Array(this.capacity));
  }
}

function grown<T extends Uint8Array | Int32Array | Float64Array>(old: T, into: T): T {
  into.set(old);
  return into;
}
