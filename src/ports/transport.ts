import type { WalletRequest } from '../domain/operations.js';
import type { WalletResponse } from '../domain/results.js';

/**
 * How a provider reaches a wallet. The reply callback may never be called (a lost response);
 * the provider's own timeout decides when to stop waiting.
 */
export interface Transport {
  send(request: WalletRequest, onReply: (response: WalletResponse) => void): void;
}

/** The wallet side of a transport: one request in, one answer out, at the model's pace. */
export interface WalletHandler {
  handle(request: WalletRequest, reply: (response: WalletResponse) => void): void;
}
