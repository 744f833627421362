import type { OpKind } from '../domain/operations.js';
import { RESULT_CODES, type ResultCode } from '../domain/results.js';
import type { OpInfo, Outcome } from '../provider/observer.js';
import { ensureRow, NumberRows, RefRows } from '../util/columns.js';

const KINDS: readonly OpKind[] = ['bet', 'win', 'rollback'];
const STATUSES: readonly ('pending' | Outcome)[] = ['pending', 'ok', 'failed', 'indeterminate'];
/** Indexes in STATUSES. */
const OK = 1;
const FAILED = 2;
const INDETERMINATE = 3;
/** Result codes are stored as 1 + their index in RESULT_CODES; 0 is "none yet". */
const CODE_INDEX = new Map<ResultCode, number>(RESULT_CODES.map((c, i) => [c, i + 1]));

// The indexes of a kind, an outcome and a code, by comparison rather than a lookup in a record
// by a key that varies: such a load is megamorphic (40 ns against 2, measured), and every
// operation opened, finished and settled paid one or two.
const kindIndex = (kind: OpKind): number => (kind === 'bet' ? 0 : kind === 'win' ? 1 : 2);
const statusIndex = (outcome: Outcome): number => (outcome === 'ok' ? OK : outcome === 'failed' ? FAILED : INDETERMINATE);
/** Most codes stored are OK (every settlement that applied): no map lookup for it. */
const codeIndex = (code: ResultCode): number => (code === 'OK' ? 1 : CODE_INDEX.get(code)!);

/**
 * The numbers of an operation's row: its packed state, its phase and bet operation packed
 * (PHASE_BET), amount and intended send time. The packed state holds the kind (bits 0-1), the status (2-3), three
 * flags (4, 5, 6), the first settlement result code, 1 + its index, 0 for none yet (7-10), a
 * fourth and a fifth flag (11, 12), and the code of the last answer of a failed operation, 1 + its
 * index (13-16).
 */
const STATE = 0;
const PHASE_BET = 1;
const AMOUNT = 2;
const INTENDED_AT = 3;
const NUMBERS = 4;
/**
 * PHASE_BET holds phase * BET_SPAN + the bet operation + 1 (0: none), exact in a double for any
 * phase of magnitude below 2^26: one field fewer in a row of millions (8 bytes an operation, memory first
 * touched at a page fault each 4 KiB). Operation ids stay below BET_SPAN - 1: a run of 2^27
 * operations would need tens of GB at this table's ~100 bytes an operation anyway.
 */
const BET_SPAN = 2 ** 27;
/** Fields of the packed state: [shift, mask]. */
const KIND_BITS = [0, 3] as const;
const STATUS_BITS = [2, 3] as const;
const CODE_BITS = [7, 15] as const;
const FAILED_CODE_BITS = [13, 15] as const;
/** Acked as accepted for later settlement. */
const ACCEPTED = 1 << 4;
/** Applied OK through the log. */
const SETTLED_OK = 1 << 5;
/** Seen applied a second time while the run went on. */
const DUPLICATE_SEEN = 1 << 6;
/** An attempt was answered DUPLICATE_MISMATCH (a trace asks which operation it was). */
const MISMATCH_ANSWERED = 1 << 11;
/** An attempt's answer is unknown: it timed out (no answer, a lost or unreadable one, a broken connection). */
const ANSWER_UNKNOWN = 1 << 12;
// Four bits hold 1 + a code's index: a sixteenth result code needs a wider field.
if (RESULT_CODES.length > CODE_BITS[1]) throw new Error('OpTable: more result codes than its packed state holds');
type Bits = readonly [shift: number, mask: number];
// Indexed, not destructured: destructuring an array goes through its iterator.
const bitsOf = (state: number, bits: Bits): number => (state >>> bits[0]) & bits[1];
const withBits = (state: number, bits: Bits, value: number): number => (state & ~(bits[1] << bits[0])) | (value << bits[0]);
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
    if (this.count >= BET_SPAN - 1) throw new Error(`OpTable: more than ${BET_SPAN - 2} operations`);
    const i = this.count++;
    const { numbers, refs } = this;
    ensureRow(i, numbers, refs);
    numbers.set(i, STATE, withBits(0, KIND_BITS, kindIndex(info.kind)));
    numbers.set(i, PHASE_BET, info.phase * BET_SPAN + (info.betOp ?? -1) + 1);
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
    return KINDS[bitsOf(this.state(i), KIND_BITS)]!;
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
    return Math.floor(this.numbers.get(i, PHASE_BET) / BET_SPAN);
  }

  /** For a win or a rollback: the bet operation it refers to; -1 otherwise. */
  betOp(i: number): number {
    const packed = this.numbers.get(i, PHASE_BET);
    // Not packed % BET_SPAN: a negative phase would give a negative remainder.
    return packed - Math.floor(packed / BET_SPAN) * BET_SPAN - 1;
  }

  status(i: number): 'pending' | Outcome {
    return STATUSES[bitsOf(this.state(i), STATUS_BITS)]!;
  }

  /** Acked as accepted for later settlement (event-driven and hybrid). */
  accepted(i: number): boolean {
    return (this.state(i) & ACCEPTED) !== 0;
  }

  /** Applied OK through the log (or by the wallet's probe). */
  settledOk(i: number): boolean {
    return (this.state(i) & SETTLED_OK) !== 0;
  }

  /** The first result of applying it, if any. */
  settledCode(i: number): ResultCode | undefined {
    const c = bitsOf(this.state(i), CODE_BITS);
    return c === 0 ? undefined : RESULT_CODES[c - 1];
  }

  /** Seen applied a second time while the run went on (the live duplicate counter). */
  duplicateSeen(i: number): boolean {
    return (this.state(i) & DUPLICATE_SEEN) !== 0;
  }

  /** An attempt was answered DUPLICATE_MISMATCH. */
  mismatchAnswered(i: number): boolean {
    return (this.state(i) & MISMATCH_ANSWERED) !== 0;
  }

  /**
   * The code a definitely refused operation was answered, or undefined when it was not one: it
   * failed, every attempt was answered (none timed out), and no answer accepted it for later
   * settlement. Such an operation did not happen, whatever the wallet's ledger says: each
   * answer was a decision, "not applied". One with an attempt whose fate is unknown may have
   * been applied by it (a refused retry does not speak for it, as the provider's outcome says
   * for a txId minted anew).
   */
  refusedCode(i: number): ResultCode | undefined {
    const state = this.state(i);
    if ((state & (ANSWER_UNKNOWN | ACCEPTED)) !== 0 || bitsOf(state, STATUS_BITS) !== FAILED) return undefined;
    const c = bitsOf(state, FAILED_CODE_BITS);
    return c === 0 ? undefined : RESULT_CODES[c - 1];
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
    const state = this.state(i);
    if ((state & ACCEPTED) !== 0) return (state & SETTLED_OK) !== 0 ? 'yes' : bitsOf(state, CODE_BITS) !== 0 ? 'no' : 'maybe';
    const status = bitsOf(state, STATUS_BITS);
    return status === OK ? 'yes' : status === FAILED ? 'no' : 'maybe';
  }

  // ---- what the auditor records --------------------------------------------------------

  attemptSent(i: number, txId: string): void {
    const t = this.refs.get(i, TX_IDS)!;
    if (t === '') this.refs.set(i, TX_IDS, txId);
    else if (typeof t === 'string') {
      if (t !== txId) this.refs.set(i, TX_IDS, [t, txId]);
    } else if (!t.includes(txId)) t.push(txId);
  }

  /** `code`: the last answer's, kept for a failed operation only (see refusedCode). */
  finish(i: number, outcome: Outcome, accepted: boolean, code?: ResultCode): void {
    let state = withBits(this.state(i), STATUS_BITS, statusIndex(outcome));
    if (outcome === 'failed' && code !== undefined) state = withBits(state, FAILED_CODE_BITS, codeIndex(code));
    this.numbers.set(i, STATE, accepted ? state | ACCEPTED : state & ~ACCEPTED);
  }

  /** An attempt timed out: its answer, if any came, came too late to be read as one. */
  markAnswerUnknown(i: number): void {
    this.numbers.set(i, STATE, this.state(i) | ANSWER_UNKNOWN);
  }

  /** Records the first settlement result; an OK one marks it settled. */
  settle(i: number, code: ResultCode): void {
    const state = this.state(i);
    if (code === 'OK') this.numbers.set(i, STATE, withBits(state | SETTLED_OK, CODE_BITS, codeIndex(code)));
    else if (bitsOf(state, CODE_BITS) === 0) this.numbers.set(i, STATE, withBits(state, CODE_BITS, codeIndex(code)));
  }

  markDuplicateSeen(i: number): void {
    this.numbers.set(i, STATE, this.state(i) | DUPLICATE_SEEN);
  }

  markMismatchAnswered(i: number): void {
    this.numbers.set(i, STATE, this.state(i) | MISMATCH_ANSWERED);
  }

  private state(i: number): number {
    return this.numbers.get(i, STATE);
  }
}
