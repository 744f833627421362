import type { OpKind } from './operations.js';
import { NumberRows, PAGE_MASK } from '../util/columns.js';
import { ID_UNIT, type StringTable } from '../util/string-table.js';

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
  /**
   * The players by number, one per distinct id, 0 to playerCount - 1: entry i's player's number
   * (`player`), and a number's id (`playerIdOf`). A pass over millions of entries keeps its
   * per-player figures by this number, where reading and comparing each entry's id cost a cache
   * miss or two (thousands of players, read in no order).
   */
  readonly playerCount: number;
  player(i: number): number;
  playerIdOf(player: number): string;
  delta(i: number): number;
  opRef(i: number): number | undefined;
}

/** Operation kinds as the numbers rows hold (shared with the refusal log). */
export const KINDS: readonly OpKind[] = ['bet', 'win', 'rollback'];
export const KIND_CODE: Readonly<Record<OpKind, number>> = { bet: 0, win: 1, rollback: 2 };
/** opRef value for "no op ref", and a txId's id for "no ref txId". */
export const NO_REF = -1;
/**
 * An entry's row, numbers only: its kind and player, delta, op ref, time applied, and its txId
 * and ref txId. The kind and the player's index share a field (kind + KIND_COUNT * player), and
 * so do the txId's and the ref txId's ids in the ledger's StringTable (txId * ID_UNIT + ref + 1),
 * each + 1 below ID_UNIT (2^26), so both are exact in a double. Numbers rather than
 * references to the strings: the strings are kept by the table and the ledger's players anyway,
 * and a row of references cost 8 bytes a field more, in pages the garbage collector must trace
 * on every full collection; the journal keeps every entry of a run to the end.
 */
const KIND_PLAYER = 0;
const DELTA = 1;
const OP_REF = 2;
const APPLIED_AT = 3;
const TX_IDS = 4;
const NUMBERS = 5;
const KIND_COUNT = 4;

/**
 * The ledger's journal: every applied entry, in rows (see columns.ts). A simulation applies
 * millions of operations and keeps every entry to the end for the audit; as objects they were
 * copied by each young-generation collection on their way to the old one.
 */
export class Journal implements EntryList {
  private count = 0;
  private readonly numbers = new NumberRows(NUMBERS);

  /**
   * `txIds` names the txIds by the ids entries are appended with (the ledger's table), `players`
   * the players by their index (the ledger's accounts).
   */
  constructor(
    private readonly txIds: StringTable,
    private readonly players: readonly { readonly playerId: string }[],
  ) {}

  get length(): number {
    return this.count;
  }

  /** `txId` and `refTxId` are ids in the table of txIds (refTxId NO_REF for none), `player` an index in the players. */
  append(txId: number, kind: OpKind, player: number, delta: number, refTxId: number, opRef: number | undefined, appliedAtMs: number): void {
    const i = this.count++;
    const { numbers } = this;
    if ((i & PAGE_MASK) === 0) numbers.ensure(i);
    numbers.set(i, KIND_PLAYER, KIND_CODE[kind] + KIND_COUNT * player);
    numbers.set(i, DELTA, delta);
    numbers.set(i, OP_REF, opRef ?? NO_REF);
    numbers.set(i, APPLIED_AT, appliedAtMs);
    numbers.set(i, TX_IDS, txId * ID_UNIT + refTxId + 1);
  }

  txId(i: number): string {
    return this.txIds.keyOf(Math.floor(this.numbers.get(i, TX_IDS) / ID_UNIT));
  }

  kind(i: number): OpKind {
    return KINDS[this.numbers.get(i, KIND_PLAYER) % KIND_COUNT]!;
  }

  playerId(i: number): string {
    return this.playerIdOf(this.player(i));
  }

  /** The index of the entry's player in the players (distinct ids: the ledger's accounts). */
  player(i: number): number {
    return Math.floor(this.numbers.get(i, KIND_PLAYER) / KIND_COUNT);
  }

  get playerCount(): number {
    return this.players.length;
  }

  playerIdOf(player: number): string {
    return this.players[player]!.playerId;
  }

  delta(i: number): number {
    return this.numbers.get(i, DELTA);
  }

  opRef(i: number): number | undefined {
    const ref = this.numbers.get(i, OP_REF);
    return ref === NO_REF ? undefined : ref;
  }

  /** The ref txId of entry i (a win's bet, a rollback's), if it has one. */
  refTxId(i: number): string | undefined {
    const refPlus1 = this.numbers.get(i, TX_IDS) % ID_UNIT;
    return refPlus1 === 0 ? undefined : this.txIds.keyOf(refPlus1 - 1);
  }

  /** The entry at position i as an object (for the audit endpoint and tests, not for the judge). */
  entry(i: number): LedgerEntry {
    return {
      seq: i,
      txId: this.txId(i),
      kind: this.kind(i),
      playerId: this.playerId(i),
      delta: this.delta(i),
      refTxId: this.refTxId(i),
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
  const ids: string[] = [];
  const numbers = new Map<string, number>();
  const players = entries.map(({ playerId }) => {
    let n = numbers.get(playerId);
    if (n === undefined) numbers.set(playerId, (n = ids.push(playerId) - 1));
    return n;
  });
  return {
    length: entries.length,
    txId: (i) => entries[i]!.txId,
    kind: (i) => entries[i]!.kind,
    playerId: (i) => entries[i]!.playerId,
    playerCount: ids.length,
    player: (i) => players[i]!,
    playerIdOf: (player) => ids[player]!,
    delta: (i) => entries[i]!.delta,
    opRef: (i) => entries[i]!.opRef,
  };
}
