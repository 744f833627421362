import type { EntryVerdict, Verdict } from '../check/verdicts.js';
import type { LedgerEntry } from '../domain/journal.js';
import type { TracedOp, WalletEvent } from './model.js';
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

/**
 * One traced player's ledger, read entry by entry: its running balance and how often each
 * operation was applied; and, placed among the entries by time, the settlements it refused.
 */
class PlayerLedger {
  readonly wallet: WalletEvent[] = [];
  /** The next of the side's refusals to place. */
  private nextRefusal = 0;
  /** After every entry read so far, shown or not. */
  balance: number;
  private readonly timesApplied = new Map<number, number>();
  private readonly ops: Map<number, ProviderSide['ops'][number]>;
  /** The checker's verdicts about entries booked to the player, by entry. */
  private readonly entryVerdicts = new Map<number, EntryVerdict[]>();

  constructor(
    private readonly side: ProviderSide,
    initialBalance: number,
    verdicts: readonly Verdict[],
  ) {
    this.balance = initialBalance;
    this.ops = new Map(side.ops.map((op) => [op.opId, op]));
    for (const v of verdicts) {
      if (!('entry' in v)) continue;
      const list = this.entryVerdicts.get(v.entry);
      if (list === undefined) this.entryVerdicts.set(v.entry, [v]);
      else list.push(v);
    }
  }

  /** Entry `index` of the ledger, booked to this player. */
  read(e: LedgerEntry, index: number): void {
    this.refusedBefore(e.appliedAtMs);
    // An operation past the recording bound is not in the trace: neither are its entries, but
    // its money moved all the same, and the balances shown after it must say so.
    this.balance += e.delta;
    if (e.opRef !== undefined && e.opRef >= this.side.firstUnrecordedOpId) return;
    const op = this.ownOp(e);
    const nth = op === undefined ? 1 : (this.timesApplied.get(op.opId) ?? 0) + 1;
    if (op !== undefined) this.timesApplied.set(op.opId, nth);
    const verdicts = this.entryVerdicts.get(index);
    // Whether it is a duplicate (or unexpected, or a mismatch) is the checker's word, not a rule of the trace's own.
    const duplicate = verdicts?.some((v) => v.kind === 'duplicate') === true;
    const event = { type: 'applied' as const, atMs: e.appliedAtMs, entry: index, op, txId: e.txId, kind: e.kind, delta: e.delta, balanceAfter: this.balance, nth, duplicate };
    this.wallet.push(verdicts === undefined ? event : { ...event, verdicts });
  }

  /**
   * The refusals before `atMs` (all of them: Infinity), with the balance as the entries read so
   * far left it. The ledger has no place for them, so time places them: at a tie the entry goes
   * first (rare: a player's records are applied one after another, each taking its time).
   */
  refusedBefore(atMs: number): void {
    const { refusals } = this.side;
    while (this.nextRefusal < refusals.length && refusals[this.nextRefusal]!.atMs < atMs) {
      this.wallet.push({ ...refusals[this.nextRefusal++]!, balance: this.balance });
    }
  }

  /** The operation an entry belongs to, as the checker decides it: its kind, and a txId one of its attempts carried. */
  private ownOp(e: LedgerEntry): TracedOp | undefined {
    const op = e.opRef === undefined ? undefined : this.ops.get(e.opRef);
    return op !== undefined && op.kind === e.kind && op.sentTxIds.includes(e.txId) ? op : undefined;
  }
}

/**
 * The wallet's side of each traced player: the entries applied for them, in ledger order, each
 * with the balance after it and the checker's verdicts about it, the settlements refused among
 * them, and the balance after all of them. One pass over the ledger for every traced player together.
 */
export function ledgerSides(
  entries: EntrySource,
  sides: readonly ProviderSide[],
  initialBalance: (playerId: string) => number,
  verdicts: (playerId: string) => readonly Verdict[],
): { wallet: WalletEvent[]; finalBalance: number }[] {
  const byPlayer = new Map(sides.map((s) => [s.playerId, new PlayerLedger(s, initialBalance(s.playerId), verdicts(s.playerId))]));
  for (let i = 0; i < entries.length; i++) byPlayer.get(entries.playerId(i))?.read(entries.entry(i), i);
  return sides.map((s) => {
    const ledger = byPlayer.get(s.playerId)!;
    ledger.refusedBefore(Infinity);
    return { wallet: ledger.wallet, finalBalance: ledger.balance };
  });
}
