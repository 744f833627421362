import type { Verdict } from '../check/verdicts.js';
import type { OpKind } from '../domain/operations.js';
import type { DropReason } from '../ports/transport.js';
import type { ResultCode } from '../domain/results.js';
import type { Outcome } from '../provider/observer.js';

/**
 * The story of one player in one run, as data: what the provider did and heard for each of the
 * player's logical operations, what the network lost, and what the wallet wrote to its ledger.
 * Collected by the recorder and the ledger reader, merged in time order, printed by the renderer.
 */
export interface PlayerTrace {
  readonly playerId: string;
  readonly initialBalance: number;
  /** Every line of the story, in run time order (ties: the order things happened in). */
  readonly events: readonly TraceEvent[];
  /** The player's logical operations, in the order they were opened. */
  readonly ops: readonly TracedOp[];
  /** Operations past the recording bound, counted instead of kept (see MAX_OPS_PER_PLAYER). */
  readonly opsNotRecorded: number;
  /**
   * The ledger balance after all of the player's entries, those of operations past the bound
   * too (the last entry shown may come before them). Absent: that of the last entry shown.
   */
  readonly finalBalance?: number;
  /** What the checker judged wrong about the player (its operations, entries and balance), in the checker's order. */
  readonly verdicts?: readonly Verdict[];
}

export interface ModelTrace {
  readonly model: string;
  readonly players: readonly PlayerTrace[];
  /** Why the wallet's side is missing, when its ledger could not be read (a target without an audit endpoint). */
  readonly ledgerUnread?: string;
}

/** A logical operation as the trace names it: by the txId of its first attempt, as the checker's problem lines do. */
export interface TracedOp {
  readonly opId: number;
  readonly kind: OpKind;
  readonly amount: number;
  /** The txId of the first attempt; empty while none was sent (a round held back when the run ended). */
  readonly txId: string;
  /**
   * For a win or a rollback: the txId it names (its request's betTxId or refTxId): that of the
   * bet's acknowledged or last attempt, which a retry under a new txId makes another than the
   * bet's first.
   */
  readonly betTxId?: string;
  /** For a win or a rollback: the bet operation's own name (the txId of its first attempt), when the bet is the same player's (it always is). */
  readonly betOpTxId?: string;
  readonly attempts: number;
}

/** An attempt's answer, as the provider heard it, or as the network lost it. */
export interface TracedAnswer {
  readonly code: ResultCode;
  /** The wallet knew the txId: the original answer again, nothing changed. */
  readonly replay: boolean;
  /** Accepted for later settlement (event-driven and hybrid), not applied yet. */
  readonly accepted: boolean;
  readonly balance?: number;
}

/** The checker's verdicts a line shows (see Verdict): on the line of the story each is about. */
export interface Marked {
  readonly verdicts?: readonly Verdict[];
}

export type TraceEvent = (
  | { readonly type: 'opened'; readonly atMs: number; readonly op: TracedOp }
  | { readonly type: 'sent'; readonly atMs: number; readonly op: TracedOp; readonly attempt: number; readonly txId: string; readonly newTxId: boolean }
  /** An attempt the transport never sent (at the time it was asked for; `droppedAtMs`: when the transport gave it up). */
  | { readonly type: 'dropped'; readonly atMs: number; readonly op: TracedOp; readonly attempt: number; readonly txId: string; readonly why: DropReason; readonly droppedAtMs: number }
  | { readonly type: 'answered'; readonly atMs: number; readonly op: TracedOp; readonly attempt: number; readonly answer: TracedAnswer }
  | { readonly type: 'timed-out'; readonly atMs: number; readonly op: TracedOp; readonly attempt: number }
  | { readonly type: 'late'; readonly atMs: number; readonly op: TracedOp; readonly attempt: number; readonly answer: TracedAnswer }
  | { readonly type: 'answer-lost'; readonly atMs: number; readonly op: TracedOp; readonly attempt: number; readonly answer: TracedAnswer }
  | { readonly type: 'finished'; readonly atMs: number; readonly op: TracedOp; readonly outcome: Outcome; readonly attempts: number }
  | AppliedEvent
  | RefusedEvent
) &
  Marked;

/**
 * A settlement of the player's that the wallet refused when it applied it from its log (an
 * event-driven or hybrid wallet, which answered `accepted` before): it makes no ledger entry, so
 * this is the wallet's only line about it. A request-driven wallet refuses in its answer, which
 * the provider's line shows.
 */
export interface RefusedEvent extends Marked {
  readonly type: 'refused';
  readonly atMs: number;
  readonly op: TracedOp;
  /** The txId of the attempt refused (a retry under a new txId is another than the operation's first). */
  readonly txId: string;
  readonly code: ResultCode;
  /** The ledger balance then, which the refusal left as it was: after the player's entries applied before it. */
  readonly balance: number;
}

/** The wallet's side of a player's story: the entries applied for them, and the settlements refused. */
export type WalletEvent = AppliedEvent | RefusedEvent;

/** A ledger entry of the player, with the balance it left and how often its operation had been applied. */
export interface AppliedEvent extends Marked {
  readonly type: 'applied';
  readonly atMs: number;
  /** The entry's index in the ledger read (the checker's verdicts name entries so). */
  readonly entry: number;
  /**
   * The operation of the player the entry belongs to; undefined when it matches no attempt of
   * the player: unexpected, or another player's operation (a mismatch; the verdicts say which).
   */
  readonly op: TracedOp | undefined;
  readonly txId: string;
  readonly kind: OpKind;
  readonly delta: number;
  readonly balanceAfter: number;
  /** 1 for the operation's first entry, 2 for its second… */
  readonly nth: number;
  /** Applied again and moved money again: the checker counted it a duplicate (a repeat of 0 is not). */
  readonly duplicate: boolean;
}
