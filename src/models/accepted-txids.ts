import type { MoneyRequest } from '../domain/operations.js';
import { REQUEST_NUMBERS, REQUEST_REFS, RequestFields } from '../domain/request-fields.js';
import type { WalletResponse } from '../domain/results.js';
import { NumberRows, PAGE_MASK, RefRows } from '../util/columns.js';
import { StringTable } from '../util/string-table.js';

const ACCEPTED_REPLAY: WalletResponse = Object.freeze({ code: 'OK', accepted: true, replay: true });

/**
 * The API's record of the txIds it has accepted into the log (event-driven and hybrid wallets):
 * a provider's retry is answered again without being appended twice. The consumer's inbox is a
 * separate guard, against the log delivering a record twice.
 *
 * Kept as a StringTable of txIds beside the content `sameContent()` compares, in rows: one probe
 * per request and no object kept per txId (see TxRecords in the ledger for why).
 */
export class AcceptedTxIds {
  private readonly txIds = new StringTable(1 << 16);
  private readonly numbers = new NumberRows(REQUEST_NUMBERS);
  private readonly refs = new RefRows<string>(REQUEST_REFS);
  private readonly requests = new RequestFields(this.numbers, this.refs);

  /**
   * The answer for a txId seen before, or undefined for a new one (remembered from now on).
   * `request` must have passed `validationProblem()`.
   */
  known(request: MoneyRequest): WalletResponse | undefined {
    const sizeBefore = this.txIds.size;
    const id = this.txIds.findOrInsert(request.txId);
    if (id === sizeBefore) {
      if ((id & PAGE_MASK) === 0) {
        this.numbers.ensure(id);
        this.refs.ensure(id);
      }
      this.requests.store(id, request);
      return undefined;
    }
    return this.requests.matches(id, request) ? ACCEPTED_REPLAY : { code: 'DUPLICATE_MISMATCH', message: `txId ${request.txId} was used with different content` };
  }
}
