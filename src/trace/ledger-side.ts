import type { LedgerEntry } from '../domain/journal.js';
import type { AppliedEvent, TracedOp } from './model.js';
import type { ProviderSide } from './recorder.js';

/** The ledger as the trace reads it: the simulator's journal, or a real wallet's audit entries. */
export interface EntrySource {
  readonly length: number;
  playerId(i: number): string;
  entry(i: number): LedgerEntry;
}

/** An array of entries (a target's audit endpoint) as an EntrySource. */
export function entrySourceOf(entries: readonly LedgerEntry[]): EntrySource {
  return { length: entries.length, playerId: (i) => entries[i]!.playerId, entry: (i) => entries[i]! };
}

/** One traced player's ledger, read entry by entry: its running balance and how often each operation was applied. */
class PlayerLedger {
  readonly applied: AppliedEvent[] = [];
  /** After every entry read so far, shown or not. */
  balance: number;
  private readonly timesApplied = new Map<number, number>();
  private readonly ops: Map<number, ProviderSide['ops'][number]>;

  constructor(
    private readonly side: ProviderSide,
    initialBalance: number,
  ) {
    this.balance = initialBalance;
    this.ops = new Map(side.ops.map((op) => [op.opId, op]));
  }

  read(e: LedgerEntry): void {
    // An operation past the recording bound is not in the trace: neither are its entries, but
    // its money moved all the same, and the balances shown after it must say so.
    this.balance += e.delta;
    if (e.opRef !== undefined && e.opRef >= this.side.firstUnrecordedOpId) return;
    const op = this.ownOp(e);
    const nth = op === undefined ? 1 : (this.timesApplied.get(op.opId) ?? 0) + 1;
    if (op !== undefined) this.timesApplied.set(op.opId, nth);
    // The checker's rule: applied again and moved money again. A second rollback refunds nothing.
    this.applied.push({ type: 'applied', atMs: e.appliedAtMs, op, txId: e.txId, kind: e.kind, delta: e.delta, balanceAfter: this.balance, nth, duplicate: nth > 1 && e.delta !== 0 });
  }

  /** The operation an entry belongs to, as the checker decides it: its kind, and a txId one of its attempts carried. */
  private ownOp(e: LedgerEntry): TracedOp | undefined {
    const op = e.opRef === undefined ? undefined : this.ops.get(e.opRef);
    return op !== undefined && op.kind === e.kind && op.sentTxIds.includes(e.txId) ? op : undefined;
  }
}

/**
 * The wallet's side of each traced player: the entries applied for them, in ledger order, each
 * with the balance after it, and the balance after all of them. One pass over the ledger for
 * every traced player together.
 */
export function ledgerSides(entries: EntrySource, sides: readonly ProviderSide[], initialBalance: (playerId: string) => number): { applied: AppliedEvent[]; finalBalance: number }[] {
  const byPlayer = new Map(sides.map((s) => [s.playerId, new PlayerLedger(s, initialBalance(s.playerId))]));
  for (let i = 0; i < entries.length; i++) byPlayer.get(entries.playerId(i))?.read(entries.entry(i));
  return sides.map((s) => {
    const ledger = byPlayer.get(s.playerId)!;
    return { applied: ledger.applied, finalBalance: ledger.balance };
  });
}
