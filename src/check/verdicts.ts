import type { OpKind } from '../domain/operations.js';
import type { ResultCode } from '../domain/results.js';

/**
 * What the checker judged wrong, as data rather than as a problem line: about one logical
 * operation (`opId`, the id the provider's observers share), one ledger entry (`entry`, its index
 * in the entries the checker read, which a trace reads too), or one player's balance. A trace
 * finds and marks the lines of a player's story with these, so that its words never depend on
 * those of the report's problem lines.
 */
export type Verdict = OpVerdict | EntryVerdict | BalanceVerdict;

/** About a logical operation as a whole: nothing in the ledger to point at, or not only there. */
export type OpVerdict =
  /** Acknowledged OK (or accepted and settled OK) with no entry; or accepted and, by a wallet that had settled everything, neither applied nor refused. */
  | { readonly kind: 'lost'; readonly opId: number; readonly accepted: boolean }
  /** Accepted for later settlement, and neither applied nor refused by the end of the run (not a failure of the check by itself). */
  | { readonly kind: 'unsettled'; readonly opId: number }
  /**
   * Accepted, then refused when applied: a bet's is a late rejection, a win's or a rollback's a
   * failed event (`opKind` tells them apart, as the report's counts do).
   */
  | { readonly kind: 'rejected-late'; readonly opId: number; readonly code: ResultCode; readonly opKind: OpKind }
  /** A rollback the provider saw succeed, whose round still moved money (or was settled by a win too). */
  | { readonly kind: 'unrefunded'; readonly opId: number; readonly betOpId: number; readonly movedMinorUnits: number; readonly wonMinorUnits?: number }
  /** An attempt answered DUPLICATE_MISMATCH: the wallet knew its txId with other content. */
  | { readonly kind: 'answer-mismatch'; readonly opId: number };

/** About one ledger entry. */
export type EntryVerdict =
  /** No attempt of any operation sent it. */
  | { readonly kind: 'unexpected'; readonly entry: number }
  /** The `nth` entry of its operation, and it moved money again. */
  | { readonly kind: 'duplicate'; readonly entry: number; readonly opId: number; readonly nth: number }
  /** Its operation's, but not what was sent: booked to another player (`bookedTo` ≠ `sentFor`), or another amount. */
  | { readonly kind: 'entry-mismatch'; readonly entry: number; readonly opId: number; readonly bookedTo: string; readonly sentFor: string; readonly deltaMinorUnits: number; readonly sentMinorUnits: number }
  /** Its operation was refused on every attempt, each answered (or the wallet lists its txId among its refusals): `code`, the refusal. */
  | { readonly kind: 'refused-applied'; readonly entry: number; readonly opId: number; readonly code: ResultCode }
  /** The first entry that took its player's balance below zero. */
  | { readonly kind: 'below-zero'; readonly entry: number; readonly balance: number };

/** About a player's balance at the end: nothing in the ledger or the provider's story to point at. */
export type BalanceVerdict =
  | { readonly kind: 'balance-mismatch'; readonly balance: number; readonly entriesSum: number }
  | { readonly kind: 'held'; readonly heldMinorUnits: number; readonly balance: number }
  | { readonly kind: 'out-of-bounds'; readonly balance: number; readonly lower: number; readonly upper: number }
  /** Ends below zero with no entry that took it there (the entries say otherwise: see balance-mismatch). */
  | { readonly kind: 'negative'; readonly balance: number };

/**
 * Collects the checker's verdicts about a few players (the traced ones), in the order the
 * checker reaches them (ledger order, then operation order, then the players'): no hash-map
 * order, so a seed gives the same verdicts. A run that traces nobody passes none, and the
 * checker then pays nothing for them beyond a test of undefined where it notes a problem.
 */
export class VerdictSink {
  private readonly byPlayer: Map<string, Verdict[]>;

  constructor(playerIds: readonly string[]) {
    this.byPlayer = new Map(playerIds.map((id) => [id, []]));
  }

  wants(playerId: string): boolean {
    return this.byPlayer.has(playerId);
  }

  /** Files a verdict under each named player the sink wants (an entry booked to one player for another's operation concerns both). */
  add(verdict: Verdict, playerId: string, otherPlayerId?: string): void {
    this.byPlayer.get(playerId)?.push(verdict);
    if (otherPlayerId !== undefined && otherPlayerId !== playerId) this.byPlayer.get(otherPlayerId)?.push(verdict);
  }

  /**
   * The verdicts about one player so far, in the checker's order; none for a player not asked
   * for. A copy: a real run interrupted while reading the wallet builds its trace at once, and
   * the reading, left to finish in the background, must not add a discarded check's verdicts
   * to it afterwards.
   */
  of(playerId: string): readonly Verdict[] {
    return [...(this.byPlayer.get(playerId) ?? [])];
  }
}
