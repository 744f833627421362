import type { OpKind } from './operations.js';
import { ensureRow, NumberRows, RefRows } from '../util/columns.js';

/** One change applied to the ledger. The checker audits these against what the provider sent. */
export interface LedgerEntry {
  readonly seq: number;
  readonly txId: string;
  readonly kind: OpKind;
  readonly playerId: string;
  /** Signed change of the player's balance in minor units (bet < 0, win >= 0, rollback >= 0). */
  readonly delta: number;
  /** The bet a win or rollback refers to. */
  readonly refTxId?: string;
  readonly opRef?: number;
  readonly appliedAtMs: number;
}

/**
 * Applied entries as the checker reads them: by position (= seq), field by field, so that a
 * ledger of millions of entries is audited without an object per entry.
 */
export interface EntryList {
  readonly length: number;
  txId(i: number): string;
  kind(i: number): OpKind;
  playerId(i: number): string;
  delta(i: number): number;
  opRef(i: number): number | undefined;
}

/** Operation kinds as the numbers rows hold (shared with the refusal log). */
export const KINDS: readonly OpKind[] = ['bet', 'win', 'rollback'];
export const KIND_CODE: Readonly<Record<OpKind, number>> = { bet: 0, win: 1, rollback: 2 };
/** opRef value for "no op ref". */
export const NO_REF = -1;
/** An entry's row: numbers (kind, delta, op ref, applied at) and references (txId, player, ref). */
const KIND = 0;
const DELTA = 1;
const OP_REF = 2;
const APPLIED_AT = 3;
const NUMBERS = 4;
const TX_ID = 0;
const PLAYER = 1;
const REF_TX_ID = 2;
const REFS = 3;

/**
 * The ledger's journal: every applied entry, in rows (see columns.ts). A simulation applies
 * millions of operations and keeps every entry to the end for the audit; as objects they were
 * copied by each young-generation collection on their way to the old one.
 */
export class Journal implements EntryList {
  private count = 0;
  private readonly numbers = new NumberRows(NUMBERS);
  private readonly refs = new RefRows<string>(REFS);

  get length(): number {
    return this.count;
  }

  append(txId: string, kind: OpKind, playerId: string, delta: number, refTxId: string | undefined, opRef: number | undefined, appliedAtMs: number): void {
    const i = this.count++;
    const { numbers, refs } = this;
    ensureRow(i, numbers, refs);
    numbers.set(i, KIND, KIND_CODE[kind]);
    numbers.set(i, DELTA, delta);
    numbers.set(i, OP_REF, opRef ?? NO_REF);
    numbers.set(i, APPLIED_AT, appliedAtMs);
    refs.set(i, TX_ID, txId);
    refs.set(i, PLAYER, playerId);
    refs.set(i, REF_TX_ID, refTxId);
  }

  txId(i: number): string {
    return this.refs.get(i, TX_ID)!;
  }

  kind(i: number): OpKind {
    return KINDS[this.numbers.get(i, KIND)]!;
  }

  playerId(i: number): string {
    return this.refs.get(i, PLAYER)!;
  }

  delta(i: number): number {
    return this.numbers.get(i, DELTA);
  }

  opRef(i: number): number | undefined {
    const ref = this.numbers.get(i, OP_REF);
    return ref === NO_REF ? undefined : ref;
  }

  /** The entry at position i as an object (for the audit endpoint and tests, not for the judge). */
  entry(i: number): LedgerEntry {
    return {
      seq: i,
      txId: this.txId(i),
      kind: this.kind(i),
      playerId: this.playerId(i),
      delta: this.delta(i),
      refTxId: this.refs.get(i, REF_TX_ID),
      opRef: this.opRef(i),
      appliedAtMs: this.numbers.get(i, APPLIED_AT),
    };
  }

  /** Entries [from, to) as objects, like Array.prototype.slice. */
  slice(from = 0, to = this.count): LedgerEntry[] {
    const out: LedgerEntry[] = [];
    for (let i = Math.max(0, from); i < Math.min(to, this.count); i++) out.push(this.entry(i));
    return out;
  }

  toArray(): LedgerEntry[] {
    return this.slice();
  }
}

/** An array of entries (read from a target's audit endpoint) as an EntryList. */
export function entryListOf(entries: readonly LedgerEntry[]): EntryList {
  return {
    length: entries.length,
    txId: (i) => entries[i]!.txId,
    kind: (i) => entries[i]!.kind,
    playerId: (i) => entries[i]!.playerId,
    delta: (i) => entries[i]!.delta,
    opRef: (i) => entries[i]!.opRef,
  };
}
