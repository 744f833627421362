import type { Ledger } from '../domain/ledger.js';
import type { BetRequest, MoneyRequest } from '../domain/operations.js';
import { validationProblem } from '../domain/operations.js';
import type { WalletResponse } from '../domain/results.js';
import type { Exchange } from '../ports/transport.js';
import { AcceptedTxIds } from './accepted-txids.js';

const PLAYER_NOT_FOUND: WalletResponse = Object.freeze({ code: 'PLAYER_NOT_FOUND' });
const CURRENCY_MISMATCH: WalletResponse = Object.freeze({ code: 'CURRENCY_MISMATCH' });
const NOT_APPENDED: WalletResponse = Object.freeze({ code: 'TEMPORARY_ERROR', message: 'the log could not take the operation; nothing was decided' });

function mismatch(txId: string): WalletResponse {
  return { code: 'DUPLICATE_MISMATCH', message: `txId ${txId} was used with different content` };
}

/**
 * What the API of a log-backed wallet (event-driven, hybrid) decides at once, before a request
 * reaches the log. It makes the ledger's checks in the ledger's order, so that a request gets the
 * same result code from every model: a malformed request and an unknown player are refused and
 * not remembered; then a known txId is answered as the first time (a failure stays a failure,
 * other content is DUPLICATE_MISMATCH); then a wrong currency is refused, and remembered. Its
 * answers carry no balance: the ledger behind the log is not where the API stands.
 */
export class ApiGate {
  private readonly answered: AcceptedTxIds;

  constructor(
    private readonly ledger: Ledger,
    private readonly idempotency: boolean,
    /**
     * Hybrid: the API's bets are reserved in the ledger and remembered there, so a win or
     * rollback under a bet's txId is a mismatch found in the ledger, not in this store.
     */
    private readonly betsInLedger = false,
  ) {
    this.answered = new AcceptedTxIds(ledger.txIdTable);
  }

  /**
   * The answer to give now, or (a number) the request goes to the log: then it is its
   * Ledger.admission, for the consumer to hand to Ledger.applyAdmitted.
   */
  admit(request: MoneyRequest): WalletResponse | number {
    const problem = validationProblem(request);
    if (problem !== null) return { code: 'INVALID_REQUEST', message: problem };
    const account = this.ledger.accountIndexOf(request.playerId);
    if (account < 0) return PLAYER_NOT_FOUND;
    // One probe of the shared table of txIds serves this store, the ledger and, later, the consumer.
    const id = this.ledger.admitTxId(request.txId);
    if (this.idempotency) {
      if (this.betsInLedger && this.ledger.remembersOtherAt(id, request)) return mismatch(request.txId);
      const known = this.answered.knownAt(id, request);
      if (known !== undefined) return known;
    }
    if (request.kind !== 'rollback' && request.currency !== this.ledger.currencyAt(account)) {
      if (this.idempotency) this.answered.refused(id, 'CURRENCY_MISMATCH');
      return CURRENCY_MISMATCH;
    }
    return this.ledger.admission(account, id);
  }

  /**
   * For the log's onFailed: it could not take what `admit` let through. Nothing was decided, so
   * the client is told to try again, and its retry is admitted afresh rather than told it was
   * accepted (an operation acknowledged and never in the log would be lost).
   */
  readonly appendFailed = (exchange: Exchange): void => {
    if (this.idempotency) this.answered.forget((exchange.request as MoneyRequest).txId);
    exchange.reply(NOT_APPENDED);
  };

  /**
   * Hybrid bets, which the ledger reserves at once: DUPLICATE_MISMATCH for a bet whose txId a win
   * or rollback took already (the ledger does not know that txId until the log applies it); else
   * the bet's Ledger.admission, for Ledger.reserveAdmitted; or undefined when the ledger refuses
   * the bet before it looks at the txId (malformed, unknown player), which Ledger.reserve answers.
   */
  admitBet(request: BetRequest): WalletResponse | number | undefined {
    if (validationProblem(request) !== null) return undefined;
    const account = this.ledger.accountIndexOf(request.playerId);
    if (account < 0) return undefined;
    const id = this.ledger.admitTxId(request.txId);
    return this.idempotency && this.answered.hasAt(id) ? mismatch(request.txId) : this.ledger.admission(account, id);
  }
}
