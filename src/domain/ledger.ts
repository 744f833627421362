import type { BetRequest, MoneyRequest, RollbackRequest, WalletRequest, WinRequest } from './operations.js';
import { Journal, NO_REF, type LedgerEntry } from './journal.js';
import { MAX_ID_UNITS, validationProblem } from './operations.js';
import { BetState, TxRecords } from './tx-records.js';
import { PairFifo } from '../util/fifo.js';
import type { StringTable } from '../util/string-table.js';
import type { ResultCode, WalletResponse } from './results.js';

export type { LedgerEntry };

export interface PlayerAccount {
  readonly id: string;
  readonly currency: string;
  readonly initialBalance: number;
}

export interface LedgerOptions {
  /** Off: every attempt is applied as if new (the naive wallet that double-charges). */
  readonly idempotency: boolean;
  readonly players: readonly PlayerAccount[];
  /**
   * Safety mechanisms that exist to be switched off by tests proving the checker and the swarm
   * notice their absence (planted bugs). Test-only: no scenario, flag or server option reaches
   * them, and a real run never has one off.
   */
  readonly safety?: LedgerSafety;
}

/** Test-only switches, each a rule of DESIGN.md that a buggy wallet might miss; all on by default. */
export interface LedgerSafety {
  /** Off: a rollback of an unseen bet leaves no tombstone, so the late bet debits. */
  readonly tombstones?: boolean;
  /** Off: a bet is debited whatever the balance, as when two bets race past one funds check. */
  readonly fundsCheck?: boolean;
  /** Off: a replayed bet (same txId, same content) is applied again instead of answered from its record. */
  readonly replayBets?: boolean;
  /** Off: a replayed win is applied again (the bet, won already, refuses it: the retry hears ALREADY_SETTLED). */
  readonly replayWins?: boolean;
  /** Off: a second, different rollback of a bet refunds it again. */
  readonly refundOnce?: boolean;
  /** Off: a win for a rolled-back bet is credited. */
  readonly refuseWinAfterRollback?: boolean;
  /** Off: a rollback of a bet that has a win refunds it (instead of ALREADY_SETTLED). */
  readonly refuseRollbackAfterWin?: boolean;
  /** Off (hybrid): a lapsed reservation keeps its stake held. */
  readonly releaseOnExpiry?: boolean;
  /** Off (hybrid): the post of a lapsed reservation releases its stake a second time. */
  readonly releaseOnce?: boolean;
}

interface Account {
  /** Settled money, in minor units. */
  balance: number;
  /** Stakes reserved by hybrid wallets and not posted yet: not spendable, not moved. */
  held: number;
  readonly currency: string;
  readonly playerId: string;
  /** Its place in Ledger.accountList: how the journal names the player, and part of an admission (see Ledger.admission). */
  readonly index: number;
}

/**
 * What Ledger.reserveAdmitted answers, the key its post must name, and the admission of that
 * post for postAdmitted (the account and the key's id; -1: no hold was made).
 */
export interface Reservation {
  readonly response: WalletResponse;
  readonly key: string;
  readonly postAdmission: number;
}

const NOT_POSTED: WalletResponse = Object.freeze({ code: 'TEMPORARY_ERROR', message: 'the log could not take the bet; nothing was debited' });

/** Which fresh path `decide` takes for a txId it has no answer for (no closure per call). */
const APPLY = 0;
const RESERVE = 1;
type FreshPath = typeof APPLY | typeof RESERVE;

/**
 * The wallet's state machine: balances, idempotency records, bets and their settlement.
 * Pure and synchronous: the models decide *when* an operation is applied, the ledger decides
 * *what* applying it means. Money moves between a player and the house, so the sum of all
 * balances is conserved by construction and any drift is a bug the checker reports.
 */
export class Ledger {
  private readonly accounts = new Map<string, Account>();
  /** The accounts by Account.index. */
  private readonly accountList: Account[] = [];
  /** Idempotency records, bets and tombstones, by txId (and by reservation key). */
  private readonly txs = new TxRecords();
  /** Every applied entry, for the audit. */
  readonly journal = new Journal(this.txs.txIds, this.accountList);
  private readonly idempotency: boolean;
  /** LedgerSafety, resolved: all true outside tests. */
  private readonly safe: Required<LedgerSafety>;
  /**
   * Reservations waiting to be posted, in the order they expire (one TTL for all, so FIFO): each
   * the id of its key in `txs`, then its expiry time in ms.
   */
  private readonly holds = new PairFifo();
  private holdSerial = 0;
  /** The key the reservation in progress is held under (reserve's second result), and its id. */
  private reservedKey = '';
  private reservedKeyId = -1;
  private house = 0;
  /** Replays answered from the idempotency records (attempts that changed nothing). */
  replays = 0;

  constructor(options: LedgerOptions) {
    this.idempotency = options.idempotency;
    this.safe = safetyOf(options.safety);
    for (const p of options.players) {
      // A player listed twice keeps its first place, as in the Map, with the last listing's account.
      const index = this.accounts.get(p.id)?.index ?? this.accountList.length;
      const account: Account = { balance: p.initialBalance, held: 0, currency: p.currency, playerId: p.id, index };
      this.accounts.set(p.id, account);
      this.accountList[index] = account;
    }
  }

  /** The settled balance: money moved, stakes merely held not taken off (the audit's figure). */
  balanceOf(playerId: string): number | undefined {
    return this.accounts.get(playerId)?.balance;
  }

  /**
   * What the player can spend: the settled balance less the stakes held by reservations. It is
   * the balance every answer reports, so that a refusal for insufficient funds never shows more
   * than the bet; with nothing held (request- and event-driven, or a quiet hybrid) it is the
   * settled balance.
   */
  availableOf(playerId: string): number | undefined {
    const account = this.accounts.get(playerId);
    return account === undefined ? undefined : available(account);
  }

  currencyOf(playerId: string): string | undefined {
    return this.accounts.get(playerId)?.currency;
  }

  /** The index of the player's account, or -1 if there is none: for `currencyAt` and `admission`. */
  accountIndexOf(playerId: string): number {
    return this.accounts.get(playerId)?.index ?? -1;
  }

  currencyAt(accountIndex: number): string {
    return this.accountList[accountIndex]!.currency;
  }

  /**
   * What the API of a log-backed wallet (ApiGate) found out about a request it admits, in one
   * number for the log record to carry to the consumer: the index of its account and the id of its
   * txId (`admitTxId`). `applyAdmitted` and `postAdmitted` take it, and need neither look-up again.
   * Exact: ids stay below 2^26 (StringTable), so the product stays below 2^53 for up to 2^27
   * accounts.
   */
  admission(accountIndex: number, txIdId: number): number {
    return txIdId * this.accountList.length + accountIndex;
  }

  /**
   * Whether `req.txId`, under `id` (admitTxId), is remembered here with other content. A hybrid
   * API asks before it accepts a win or rollback: the txIds of its bets are remembered here, not
   * in its own store.
   */
  remembersOtherAt(id: number, req: MoneyRequest): boolean {
    return this.txs.hasRequest(id) && !this.txs.sameRequest(id, req);
  }

  /**
   * The table that numbers the txIds this ledger knows, for the API of a log-backed wallet to
   * number the txIds it has answered by (ApiGate): the API looks a txId up, then the ledger
   * (hybrid: at once), and one probe into one table of millions of txIds, a cache miss, serves
   * both. A txId the API added has an empty record here, as one the ledger never saw.
   */
  get txIdTable(): StringTable {
    return this.txs.txIds;
  }

  /**
   * The id of `txId` in txIdTable, added with an empty record here if it is new: the API of a
   * log-backed wallet (ApiGate) looks a txId up by this, and hands the id on to `applyAdmitted`,
   * `reserveAdmitted` or `remembersOtherAt`, which then need no probe of their own.
   */
  admitTxId(txId: string): number {
    return this.txs.findOrAdd(txId);
  }

  /** Sum of the house account: stakes in, wins out. Players + house is constant. */
  get houseBalance(): number {
    return this.house;
  }

  /** Stakes held by reservations, for the players who have any (or a negative sum: released twice). */
  heldStakes(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [id, acc] of this.accounts) if (acc.held !== 0) out.set(id, acc.held);
    return out;
  }

  playerBalances(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [id, acc] of this.accounts) out.set(id, acc.balance);
    return out;
  }

  /**
   * Applies one operation. `dedupe` overrides the idempotency switch for this call: a hybrid
   * wallet reserves with the API's idempotency and applies the log with the consumer's inbox.
   */
  apply(req: WalletRequest, nowMs: number, dedupe = this.idempotency): WalletResponse {
    // Lapsed reservations release their stakes first, so the balance this answers with is current.
    this.expire(nowMs);
    return this.decide(req, nowMs, dedupe, APPLY, 0);
  }

  /**
   * `apply(req, nowMs, dedupe)` for a request the API has admitted: it passed `validationProblem()`,
   * and `admitted` is its `admission` (its player's account, its txId's id). The answer is the
   * same; what is skipped is validating the request and looking its player and txId up again,
   * which a log consumer does long after the API did (the request's strings, the account's entry
   * and the txId's slot are cache misses by then).
   */
  applyAdmitted(req: MoneyRequest, admitted: number, nowMs: number, dedupe = this.idempotency): WalletResponse {
    this.expire(nowMs);
    const txIdId = this.admittedTxId(admitted);
    return this.decideAt(req, txIdId, this.accountAdmitted(admitted, txIdId), nowMs, dedupe, APPLY, 0);
  }

  /**
   * Hybrid wallets: holds a bet's stake (a pending debit) without moving money, so the API can
   * answer at once and let settlement follow through the log. Same validation and idempotency
   * as a bet. The hold is released if it is not posted within ttlMs. Returns the key that the
   * post must name: the txId, or with idempotency off and the txId already held, a new key
   * (the naive wallet reserves twice).
   */
  reserve(req: BetRequest, nowMs: number, ttlMs: number): { response: WalletResponse; key: string } {
    this.expire(nowMs);
    this.reservedKey = req.txId;
    const response = this.decide(req, nowMs, this.idempotency, RESERVE, nowMs + ttlMs);
    return { response, key: this.reservedKey };
  }

  /**
   * `reserve` for a bet the API has admitted (see applyAdmitted; ApiGate.admitBet).
   */
  reserveAdmitted(req: BetRequest, admitted: number, nowMs: number, ttlMs: number): Reservation {
    this.expire(nowMs);
    this.reservedKey = req.txId;
    this.reservedKeyId = -1;
    const txIdId = this.admittedTxId(admitted);
    const account = this.accountAdmitted(admitted, txIdId);
    const response = this.decideAt(req, txIdId, account, nowMs, this.idempotency, RESERVE, nowMs + ttlMs);
    const postAdmission = this.reservedKeyId < 0 ? -1 : this.admission(account.index, this.reservedKeyId);
    return { response, key: this.reservedKey, postAdmission };
  }

  /** Turns a reservation into a debit. A lapsed one is debited afresh if the money is still there. */
  post(key: string, req: BetRequest, nowMs: number): WalletResponse {
    return this.postTo(this.txs.find(key), this.accounts.get(req.playerId), req, nowMs);
  }

  /** `post` for the reservation's `postAdmission` (reserveAdmitted): no look-up of the key or the player. */
  postAdmitted(admitted: number, req: BetRequest, nowMs: number): WalletResponse {
    const id = this.admittedTxId(admitted);
    return this.postTo(id, this.accountAdmitted(admitted, id), req, nowMs);
  }

  /** The txId's id of an admission (see `admission`). */
  private admittedTxId(admitted: number): number {
    return Math.floor(admitted / this.accountList.length);
  }

  /** The account of an admission whose id is `txIdId`. */
  private accountAdmitted(admitted: number, txIdId: number): Account {
    return this.accountList[admitted - txIdId * this.accountList.length]!;
  }

  private postTo(id: number, account: Account | undefined, req: BetRequest, nowMs: number): WalletResponse {
    this.expire(nowMs);
    const state = id < 0 ? BetState.NONE : this.txs.betState(id);
    if (state === BetState.NONE || account === undefined) return { code: 'BET_NOT_FOUND' };
    switch (state) {
      case BetState.HELD:
        account.held -= this.txs.betAmount(id);
        return this.postDebit(req, id, account, nowMs);
      case BetState.EXPIRED:
        if (!this.safe.releaseOnce) account.held -= this.txs.betAmount(id);
        if (available(account) < this.txs.betAmount(id)) {
          this.txs.dropBet(id);
          return this.fail('INSUFFICIENT_FUNDS', account);
        }
        return this.postDebit(req, id, account, nowMs);
      case BetState.ROLLED_BACK:
        return this.fail('BET_ROLLED_BACK', account);
      default:
        // Posted already: a redelivered post changes nothing.
        return { code: 'OK', balance: available(account), replay: true };
    }
  }

  /**
   * Hybrid: the log could not take the post of the reservation under `key`. The stake is
   * released and the reservation voided (a post that reached the log after all finds it voided
   * and debits nothing); the txId answers TEMPORARY_ERROR from now on, so a retry is not told it
   * was accepted for a bet that will never be debited. The provider ends such a bet with a
   * rollback, which finds it voided and refunds nothing.
   */
  voidReservation(key: string, req: BetRequest): WalletResponse {
    const id = this.txs.find(key);
    const account = this.accounts.get(req.playerId);
    if (id >= 0 && account !== undefined && this.txs.betState(id) === BetState.HELD) {
      account.held -= this.txs.betAmount(id);
      this.txs.setBetState(id, BetState.ROLLED_BACK);
    }
    if (this.idempotency && id >= 0 && key === req.txId) this.txs.remember(id, req, NOT_POSTED);
    return NOT_POSTED;
  }

  /** Debits the reservation under `key` (record `id`), held for `req`. */
  private postDebit(req: BetRequest, id: number, account: Account, nowMs: number): WalletResponse {
    const amount = this.txs.betAmount(id);
    this.txs.setBetState(id, BetState.OPEN);
    this.move(account, -amount);
    // The naive wallet's second hold of a txId is kept under a key of its own; the entry names the txId.
    const txIdId = this.txs.txIds.keyOf(id) === req.txId ? id : this.txs.findOrAdd(req.txId);
    this.record(req, txIdId, account, -amount, NO_REF, nowMs);
    return { code: 'OK', balance: available(account) };
  }

  /**
   * A new reservation. The naive wallet (idempotency off) holds a txId it holds already a
   * second time, under a key of its own.
   */
  private reserveNew(req: BetRequest, id: number, account: Account, expiresAtMs: number): WalletResponse {
    if (this.txs.betState(id) !== BetState.NONE && !this.idempotency) {
      this.reservedKey = naiveHoldKey(req.txId, ++this.holdSerial);
      id = this.txs.findOrAdd(this.reservedKey);
      this.txs.reset(id);
    }
    this.reservedKeyId = id;
    return this.hold(req, id, account, expiresAtMs);
  }

  private hold(req: BetRequest, id: number, account: Account, expiresAtMs: number): WalletResponse {
    if (req.currency !== account.currency) return this.fail('CURRENCY_MISMATCH', account);
    const refused = this.refuseBet(req, id, account);
    if (refused !== undefined) return refused;
    account.held += req.amount;
    this.txs.openBet(id, req, BetState.HELD);
    this.holds.push(id, expiresAtMs);
    return { code: 'OK', balance: available(account), accepted: true };
  }

  /** Releases the stakes of reservations past their time. */
  private expire(nowMs: number): void {
    const { holds } = this;
    while (holds.length > 0 && holds.headSecond() <= nowMs) {
      const id = holds.headFirst();
      holds.shift();
      if (this.txs.betState(id) !== BetState.HELD) continue;
      this.txs.setBetState(id, BetState.EXPIRED);
      if (this.safe.releaseOnExpiry) this.accounts.get(this.txs.betPlayerId(id))!.held -= this.txs.betAmount(id);
    }
  }

  private decide(req: WalletRequest, nowMs: number, dedupe: boolean, path: FreshPath, expiresAtMs: number): WalletResponse {
    const problem = validationProblem(req);
    if (problem !== null) return { code: 'INVALID_REQUEST', message: problem };
    const account = this.accounts.get(req.playerId);
    if (account === undefined) return { code: 'PLAYER_NOT_FOUND' };
    if (req.kind === 'balance') return { code: 'OK', balance: available(account) };
    // The txId is looked up first: a known txId with other content (currency included) is a
    // duplicate mismatch, whatever else is wrong with it. One probe finds or adds it.
    return this.decideAt(req, this.txs.findOrAdd(req.txId), account, nowMs, dedupe, path, expiresAtMs);
  }

  /** What `decide` does once the request is valid, its account found and its txId's id known. */
  private decideAt(req: MoneyRequest, id: number, account: Account, nowMs: number, dedupe: boolean, path: FreshPath, expiresAtMs: number): WalletResponse {
    if (dedupe && this.txs.hasRequest(id) && this.answersReplay(req.kind)) return this.answerKnown(id, req, account);
    const response =
      path === RESERVE ? this.reserveNew(req as BetRequest, id, account, expiresAtMs) : this.applyNew(req, id, account, nowMs);
    if (dedupe) this.txs.remember(id, req, response);
    return response;
  }

  /** Whether a known txId of this kind is answered from its record (always, but in tests: LedgerSafety). */
  private answersReplay(kind: MoneyRequest['kind']): boolean {
    return kind === 'bet' ? this.safe.replayBets : kind === 'win' ? this.safe.replayWins : true;
  }

  /**
   * A txId seen before: identical content replays the original result code, even a failure,
   * with the balance as it is now (what a provider shows the player must not be stale).
   */
  private answerKnown(id: number, req: MoneyRequest, account: Account): WalletResponse {
    if (!this.txs.sameRequest(id, req)) {
      return { code: 'DUPLICATE_MISMATCH', balance: available(account), message: `txId ${req.txId} was used with different content` };
    }
    this.replays++;
    return this.txs.replay(id, available(account));
  }

  private applyNew(req: MoneyRequest, id: number, account: Account, nowMs: number): WalletResponse {
    if (req.kind !== 'rollback' && req.currency !== account.currency) return this.fail('CURRENCY_MISMATCH', account);
    switch (req.kind) {
      case 'bet':
        return this.bet(req, id, account, nowMs);
      case 'win':
        return this.win(req, id, account, nowMs);
      case 'rollback':
        return this.rollback(req, id, account, nowMs);
    }
  }

  private bet(req: BetRequest, id: number, account: Account, nowMs: number): WalletResponse {
    const refused = this.refuseBet(req, id, account);
    if (refused !== undefined) return refused;
    this.move(account, -req.amount);
    this.txs.openBet(id, req, BetState.OPEN);
    this.record(req, id, account, -req.amount, NO_REF, nowMs);
    return { code: 'OK', balance: available(account) };
  }

  /** Why a bet must not debit: a rollback came first, or the money is not there. */
  private refuseBet(req: BetRequest, id: number, account: Account): WalletResponse | undefined {
    const tombstone = this.safe.tombstones ? this.txs.tombstone(id) : undefined;
    if (tombstone !== undefined) {
      if (tombstone !== req.playerId) {
        return { code: 'INVALID_REQUEST', balance: available(account), message: `bet ${req.txId} was rolled back for another player` };
      }
      return this.fail('BET_ROLLED_BACK', account);
    }
    if (this.safe.fundsCheck && available(account) < req.amount) return this.fail('INSUFFICIENT_FUNDS', account);
    return undefined;
  }

  private win(req: WinRequest, winId: number, account: Account, nowMs: number): WalletResponse {
    const id = this.txs.find(req.betTxId);
    const state = id < 0 ? BetState.NONE : this.txs.betState(id);
    const noBet = this.namesNoBet(req, req.betTxId, id, state);
    if (noBet !== undefined) return noBet;
    if (state === BetState.NONE) return this.fail('BET_NOT_FOUND', account);
    if (this.txs.betPlayerId(id) !== req.playerId || this.txs.betRoundId(id) !== req.roundId) {
      return { code: 'INVALID_REQUEST', message: `win ${req.txId} names another player or round than bet ${req.betTxId}` };
    }
    if (state === BetState.ROLLED_BACK && this.safe.refuseWinAfterRollback) return this.fail('BET_ROLLED_BACK', account);
    if (state === BetState.WON) return this.fail('ALREADY_SETTLED', account);
    // A reservation not posted yet cannot be won (its post is behind it in the same partition).
    if (state !== BetState.OPEN && state !== BetState.ROLLED_BACK) return this.fail('BET_NOT_FOUND', account);
    if (account.balance + req.amount > Number.MAX_SAFE_INTEGER) {
      return { code: 'INVALID_REQUEST', balance: available(account), message: 'the balance would exceed the largest exact integer' };
    }
    this.txs.setBetState(id, BetState.WON);
    this.txs.markApplied(winId, 'win');
    this.move(account, req.amount);
    this.record(req, winId, account, req.amount, id, nowMs);
    return { code: 'OK', balance: available(account) };
  }

  private rollback(req: RollbackRequest, rollbackId: number, account: Account, nowMs: number): WalletResponse {
    const id = this.txs.find(req.refTxId);
    const state = id < 0 ? BetState.NONE : this.txs.betState(id);
    const noBet = this.namesNoBet(req, req.refTxId, id, state);
    if (noBet !== undefined) return noBet;
    if (state !== BetState.NONE && this.txs.betPlayerId(id) !== req.playerId) {
      return { code: 'INVALID_REQUEST', message: `rollback ${req.txId} names another player than bet ${req.refTxId}` };
    }
    if (state === BetState.WON && this.safe.refuseRollbackAfterWin) return this.fail('ALREADY_SETTLED', account);
    // Unknown bet: it may still be on its way (rollbacks overtake bets), so leave a tombstone.
    // Already rolled back: succeed without refunding twice. A reservation is voided: its hold
    // is released and no money moves.
    const refunds = state === BetState.OPEN || (state === BetState.WON && !this.safe.refuseRollbackAfterWin) || (state === BetState.ROLLED_BACK && !this.safe.refundOnce);
    const refund = refunds ? this.txs.betAmount(id) : 0;
    if (state === BetState.HELD) account.held -= this.txs.betAmount(id);
    const betId = id < 0 ? this.txs.findOrAdd(req.refTxId) : id;
    if (state !== BetState.NONE) this.txs.setBetState(id, BetState.ROLLED_BACK);
    else this.txs.leaveTombstone(betId, req.playerId);
    this.txs.markApplied(rollbackId, 'rollback');
    this.move(account, refund);
    this.record(req, rollbackId, account, refund, betId, nowMs);
    return { code: 'OK', balance: available(account) };
  }

  /**
   * Why the txId a win or a rollback names (`named`, under record `id` in `state`) can be no bet:
   * it is the request's own txId, or one the ledger knows as a win's or a rollback's. No bet will
   * ever come under it (with idempotency it would be a DUPLICATE_MISMATCH), so neither BET_NOT_FOUND
   * (a win told to wait for it) nor a tombstone and an OK (a rollback that cancels nothing) would
   * be true; and without idempotency a naive wallet's bet under the request's own txId would be
   * settled or refunded by it.
   */
  private namesNoBet(req: WinRequest | RollbackRequest, named: string, id: number, state: BetState): WalletResponse | undefined {
    if (named === req.txId) return { code: 'INVALID_REQUEST', message: `${req.kind} ${req.txId} names itself` };
    const other = state === BetState.NONE && id >= 0 ? this.txs.knownAs(id) : undefined;
    if (other === 'win' || other === 'rollback') return { code: 'INVALID_REQUEST', message: `${req.kind} ${req.txId} names ${other} ${named}, not a bet` };
    return undefined;
  }

  private fail(code: ResultCode, account: Account): WalletResponse {
    return { code, balance: available(account) };
  }

  private move(account: Account, delta: number): void {
    account.balance += delta;
    this.house -= delta;
  }

  /**
   * Journals `req`, applied to `account`. `txId` is the id of req.txId, `refTxId` that of the bet
   * a win or a rollback names (NO_REF for a bet), both in `txs`.
   */
  private record(req: MoneyRequest, txId: number, account: Account, delta: number, refTxId: number, nowMs: number): void {
    this.journal.append(txId, req.kind, account.index, delta, refTxId, req.opRef, nowMs);
  }
}

/**
 * The key of the naive wallet's second (third, ...) hold of a txId: longer than any valid txId
 * (MAX_ID_UNITS), so no request can name it. `${txId}#1` alone could be a provider's txId, and
 * a rollback of that txId would void another bet's hold. At most MAX_ID_UNITS + 17 units, within
 * what a hybrid log record's key may be (see the Kafka codec).
 */
function naiveHoldKey(txId: string, serial: number): string {
  return `${txId}#${serial}`.padEnd(MAX_ID_UNITS + 1, '#');
}

const ALL_SAFE: Required<LedgerSafety> = {
  tombstones: true,
  fundsCheck: true,
  replayBets: true,
  replayWins: true,
  refundOnce: true,
  refuseWinAfterRollback: true,
  refuseRollbackAfterWin: true,
  releaseOnExpiry: true,
  releaseOnce: true,
};

function safetyOf(safety: LedgerSafety | undefined): Required<LedgerSafety> {
  const out = { ...ALL_SAFE };
  for (const key of Object.keys(out) as (keyof LedgerSafety)[]) out[key] = safety?.[key] ?? true;
  return out;
}

function available(account: Account): number {
  return account.balance - account.held;
}
