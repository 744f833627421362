import type { OpKind } from './operations.js';
import { ByteColumn, NumberColumn, PAGE_MASK, RefColumn } from '../util/columns.js';

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

const KINDS: readonly OpKind[] = ['bet', 'win', 'rollback'];
const KIND_CODE: Readonly<Record<OpKind, number>> = { bet: 0, win: 1, rollback: 2 };
/** opRef column value for "no op ref". */
const NO_REF = -1;

/**
 * The ledger's journal: every applied entry, in columns (see columns.ts). A simulation applies
 * millions of operations and keeps every entry to the end for the audit; as objects they were
 * copied by each young-generation collection on their way to the old one.
 */
export class Journal implements EntryList {
  private count = 0;
  private readonly txIds = new RefColumn<string>();
  private readonly kinds = new ByteColumn();
  private readonly playerIds = new RefColumn<string>();
  private readonly deltas = new NumberColumn();
  private readonly refTxIds = new RefColumn<string>();
  private readonly opRefs = new NumberColumn();
  private readonly appliedAt = new NumberColumn();

  get length(): number {
    return this.count;
  }

  append(txId: string, kind: OpKind, playerId: string, delta: number, refTxId: string | undefined, opRef: number | undefined, appliedAtMs: number): void {
    const i = this.count++;
    if ((i & PAGE_MASK) === 0) this.ensure(i);
    this.txIds.set(i, txId);
    this.kinds.set(i, KIND_CODE[kind]);
    this.playerIds.set(i, playerId);
    this.deltas.set(i, delta);
    this.refTxIds.set(i, refTxId);
    this.opRefs.set(i, opRef ?? NO_REF);
    this.appliedAt.set(i, appliedAtMs);
  }

  txId(i: number): string {
    return this.txIds.get(i)!;
  }

  kind(i: number): OpKind {
    return KINDS[this.kinds.get(i)]!;
  }

  playerId(i: number): string {
    return this.playerIds.get(i)!;
  }

  delta(i: number): number {
    return this.deltas.get(i);
  }

  opRef(i: number): number | undefined {
    const ref = this.opRefs.get(i);
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
      refTxId: this.refTxIds.get(i),
      opRef: this.opRef(i),
      appliedAtMs: this.appliedAt.get(i),
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

  private ensure(i: number): void {
    for (const column of [this.txIds, this.kinds, this.playerIds, this.deltas, this.refTxIds, this.opRefs, this.appliedAt]) column.ensure(i);
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
