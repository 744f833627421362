import type { MoneyRequest } from '../domain/operations.js';
import { sameContent } from '../domain/operations.js';
import type { WalletResponse } from '../domain/results.js';

const ACCEPTED_REPLAY: WalletResponse = Object.freeze({ code: 'OK', accepted: true, replay: true });

/**
 * The API's record of the txIds it has accepted into the log (event-driven and hybrid wallets):
 * a provider's retry is answered again without being appended twice. The consumer's inbox is a
 * separate guard, against the log delivering a record twice.
 */
export class AcceptedTxIds {
  private readonly seen = new Map<string, MoneyRequest>();

  /** The answer for a txId seen before, or undefined for a new one (remembered from now on). */
  known(request: MoneyRequest): WalletResponse | undefined {
    const seen = this.seen.get(request.txId);
    if (seen === undefined) {
      this.seen.set(request.txId, request);
      return undefined;
    }
    return sameContent(seen, request) ? ACCEPTED_REPLAY : { code: 'DUPLICATE_MISMATCH', message: `txId ${request.txId} was used with different content` };
  }
}
