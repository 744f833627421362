import type { OpKind } from '../domain/operations.js';
import type { WalletResponse } from '../domain/results.js';

export interface OpInfo {
  readonly kind: OpKind;
  readonly playerId: string;
  readonly amount: number;
  /** When the open-model schedule meant the first attempt to go out. */
  readonly intendedAtMs: number;
  readonly phase: number;
  /** For a win or a rollback: the bet operation it refers to. */
  readonly betOp?: number;
  /**
   * For a win or a rollback: the txId it names, that of the bet's acknowledged or last attempt,
   * which is not the bet's first when its retries minted new txIds.
   */
  readonly betTxId?: string;
}

export type Outcome = 'ok' | 'failed' | 'indeterminate';

/**
 * What the provider tells the checker about each logical operation and its attempts. The
 * checker keeps, per operation, what was sent and every answer, so that it can later say which
 * ledger entries were expected, which are duplicates and which are missing.
 */
export interface ProviderObserver {
  /** Returns the operation's id, which travels with every attempt as opRef. */
  opened(info: OpInfo): number;
  /** `sentAtMs`: when the attempt was asked for; for a held attempt the time it was held, before now. */
  attemptSent(opId: number, txId: string, attempt: number, sentAtMs: number): void;
  answered(opId: number, response: WalletResponse, sentAtMs: number, nowMs: number): void;
  timedOut(opId: number, nowMs: number): void;
  /** An answer that arrived after its attempt (`attempt`, counted from 1) had timed out. */
  lateAnswer(opId: number, attempt: number, response: WalletResponse, nowMs: number): void;
  finished(opId: number, outcome: Outcome, response: WalletResponse | undefined, nowMs: number): void;
}
