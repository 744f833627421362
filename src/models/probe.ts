import type { MoneyRequest } from '../domain/operations.js';
import type { WalletResponse } from '../domain/results.js';

/**
 * What a wallet model tells the checker while it runs. Models call it; they never read it back,
 * so a model cannot bend its behaviour to what is being measured.
 */
export interface WalletProbe {
  /** A money operation reached the ledger (whatever the ledger answered). */
  settled(request: MoneyRequest, response: WalletResponse, nowMs: number): void;
  /** Requests waiting for a worker, sampled when it changes. */
  queueDepth(depth: number, nowMs: number): void;
  /** Age of a record when a consumer took it, and the records still behind it. */
  logLag(lagMs: number, backlogRecords: number, nowMs: number): void;
  /** The wallet is no longer busy (WalletModel.busy): nothing queued, in service or unapplied. */
  idle(nowMs: number): void;
}

export const NULL_PROBE: WalletProbe = {
  settled() {},
  queueDepth() {},
  logLag() {},
  idle() {},
};
