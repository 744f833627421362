import type { MoneyRequest } from '../domain/operations.js';
import { REQUEST_NUMBERS, REQUEST_REFS, RequestFields } from '../domain/request-fields.js';
import { RESULT_CODES, type ResultCode, type WalletResponse } from '../domain/results.js';
import { ensureRowsTo, NumberRows, RefRows } from '../util/columns.js';
import { StringTable } from '../util/string-table.js';

const ACCEPTED_REPLAY: WalletResponse = Object.freeze({ code: 'OK', accepted: true, replay: true });
/** A refusal's replay per result code, built once: `{ code, replay: true }`. */
const REFUSAL_REPLAYS: readonly WalletResponse[] = RESULT_CODES.map((code) => Object.freeze({ code, replay: true }));
const CODE_INDEX = new Map<ResultCode, number>(RESULT_CODES.map((code, i) => [code, i]));

/** Number fields of a row: the request (RequestFields), then the refusal's code index + 1 (0: accepted). */
const REFUSED = REQUEST_NUMBERS;

/**
 * The API's record of the txIds it has answered (event-driven and hybrid wallets): a provider's
 * retry gets the first answer again, accepted or refused, without being appended twice. The
 * consumer's inbox is a separate guard, against the log delivering a record twice.
 *
 * Kept as a StringTable of txIds beside the content `sameContent()` compares, in rows: one probe
 * per request and no object kept per txId (see TxRecords in the ledger for why).
 */
export class AcceptedTxIds {
  private readonly numbers = new NumberRows(REQUEST_NUMBERS + 1);
  private readonly refs = new RefRows<string>(REQUEST_REFS);
  private readonly requests = new RequestFields(this.numbers, this.refs);
  /** Ids below this have rows. */
  private rowLimit = 0;

  /**
   * `txIds` numbers the txIds: the ledger's table (Ledger.txIdTable) in a wallet, so that the
   * probe that finds a txId here finds it for the ledger too and each txId is kept once. Ids
   * the ledger added have empty rows here: txIds never answered.
   */
  constructor(private readonly txIds = new StringTable(1 << 16)) {}

  /**
   * The answer for a txId seen before, or undefined for a new one (remembered from now on as
   * accepted; see `refused`). `request` must have passed `validationProblem()`.
   */
  known(request: MoneyRequest): WalletResponse | undefined {
    return this.knownAt(this.txIds.findOrInsert(request.txId), request);
  }

  /**
   * `known(request)`, for the id `id` of `request.txId` in the table, which the caller has looked
   * up (added if new): a wallet's API probes the table once for itself and the ledger.
   */
  knownAt(id: number, request: MoneyRequest): WalletResponse | undefined {
    if (id >= this.rowLimit) this.rowLimit = ensureRowsTo(id, this.numbers, this.refs);
    // New, or forgotten (its append failed): remembered from now on.
    if (!this.requests.has(id)) {
      this.requests.store(id, request);
      this.numbers.set(id, REFUSED, 0);
      return undefined;
    }
    if (!this.requests.matches(id, request)) return { code: 'DUPLICATE_MISMATCH', message: `txId ${request.txId} was used with different content` };
    const refused = this.numbers.get(id, REFUSED);
    return refused === 0 ? ACCEPTED_REPLAY : REFUSAL_REPLAYS[refused - 1];
  }

  /** The txId (under `id`) `known` has just remembered was refused with `code`: its retries get that refusal. */
  refused(id: number, code: ResultCode): void {
    this.numbers.set(id, REFUSED, CODE_INDEX.get(code)! + 1);
  }

  /** Whether a request was answered under `txId`. */
  has(txId: string): boolean {
    return this.hasAt(this.txIds.find(txId));
  }

  /** `has(txId)` for the txId's id in the table (-1: not in it). */
  hasAt(id: number): boolean {
    return id >= 0 && id < this.rowLimit && this.requests.has(id);
  }

  /** Forgets the answer under `txId` (its append failed): the next request with it is new. */
  forget(txId: string): void {
    const id = this.txIds.find(txId);
    if (id >= 0 && id < this.rowLimit) this.requests.clear(id);
  }
}
