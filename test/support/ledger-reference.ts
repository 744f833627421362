/**
 * The ledger as it was before its txId state moved into columns (commit b51c042), kept verbatim
 * as the reference for test/ledger.differential.test.ts: the optimised ledger must answer every
 * sequence of calls exactly as this one does, key order of every answer included.
 * Only its class name and import paths differ. Do not "fix" it: it is the specification. It
 * changes only with a rule: since then, a rollback or a win naming a win's or a rollback's txId
 * is refused (`applied` below, the second check in `rollback`, and `win`'s when it finds no bet),
 * and so is a rollback or a win naming itself (the first check in `rollback` and in `win`).
 */
import type { BetRequest, MoneyRequest, OpKind, RollbackRequest, WalletRequest, WinRequest } from '../../src/domain/operations.js';
import { sameContent, validationProblem } from '../../src/domain/operations.js';
import { Fifo } from '../../src/util/fifo.js';
import type { ResultCode, WalletResponse } from '../../src/domain/results.js';

/** One change applied to the ledger. The checker audits these against what the provider sent. */
export interface LedgerEntry {
  readonly seq: number;
  readonly txId: string;
  readonly kind: OpKind;
  readonly playerId: string;
  /** Signed change of the player's balance in minor units (bet < 0, win >= 0, rollback >= 0). */
  readonly delta: number;
  /** The bet a win or rollback refers to. */
  readonly refTxId?: string;
  readonly opRef?: number;
  readonly appliedAtMs: number;
}

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
   * notice their absence. Never off in a real run.
   */
  readonly safety?: { readonly tombstones?: boolean };
}

interface Account {
  /** Settled money, in minor units. */
  balance: number;
  /** Stakes reserved by hybrid wallets and not posted yet: not spendable, not moved. */
  held: number;
  readonly currency: string;
}

/** held/expired exist only for reservations (hybrid); a plain bet starts open. */
type BetState = 'held' | 'expired' | 'open' | 'won' | 'rolledBack';

interface Bet {
  readonly playerId: string;
  readonly roundId: string;
  readonly amount: number;
  state: BetState;
}

interface Hold {
  readonly key: string;
  readonly expiresAtMs: number;
}

/**
 * Everything the ledger knows under one txId, in one record: its idempotency record (what was
 * asked and answered), the bet it opened, or a tombstone left by a rollback that came first.
 * One map instead of three: on a large ledger every map lookup is a cache miss, and this keeps
 * a bet at one lookup and one insert.
 */
interface TxState {
  request?: MoneyRequest;
  response?: WalletResponse;
  bet?: Bet;
  /**
   * A rollback named this txId before any bet had it: such a bet must never debit. Holds the
   * player the rollback named, so another player's bet with that txId is not silently refused.
   */
  tombstone?: string;
  /** A win or a rollback was applied under this txId (known whatever idempotency says). */
  applied?: 'win' | 'rollback';
}

/**
 * The wallet's state machine: balances, idempotency records, bets and their settlement.
 * Pure and synchronous: the models decide *when* an operation is applied, the ledger decides
 * *what* applying it means. Money moves between a player and the house, so the sum of all
 * balances is conserved by construction and any drift is a bug the checker reports.
 */
export class ReferenceLedger {
  readonly entries: LedgerEntry[] = [];
  private readonly accounts = new Map<string, Account>();
  private readonly byTxId = new Map<string, TxState>();
  private readonly idempotency: boolean;
  private readonly tombstonesOn: boolean;
  /** Reservations in the order they expire (one TTL for all, so FIFO). */
  private readonly holds = new Fifo<Hold>();
  private holdSerial = 0;
  private house = 0;
  /** Replays answered from the idempotency records (attempts that changed nothing). */
  replays = 0;

  constructor(options: LedgerOptions) {
    this.idempotency = options.idempotency;
    this.tombstonesOn = options.safety?.tombstones ?? true;
    for (const p of options.players) this.accounts.set(p.id, { balance: p.initialBalance, held: 0, currency: p.currency });
  }

  balanceOf(playerId: string): number | undefined {
    return this.accounts.get(playerId)?.balance;
  }

  /** Sum of the house account: stakes in, wins out. Players + house is constant. */
  get houseBalance(): number {
    return this.house;
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
    // Lapsed reservations are released before any answer, so its balance is current.
    this.expire(nowMs);
    return this.decide(req, nowMs, (r, state, account) => this.applyNew(r, state, account, nowMs), dedupe);
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
    let key = req.txId;
    const response = this.decide(req, nowMs, (r, state, account) => {
      if (state.bet !== undefined && !this.idempotency) {
        // Longer than any valid txId, so no request can name it (see naiveHoldKey in the ledger).
        key = `${r.txId}#${++this.holdSerial}`.padEnd(257, '#');
        state = {};
        this.byTxId.set(key, state);
      }
      return this.hold(r as BetRequest, key, state, account, nowMs + ttlMs);
    });
    return { response, key };
  }

  /** Turns a reservation into a debit. A lapsed one is debited afresh if the money is still there. */
  post(key: string, req: BetRequest, nowMs: number): WalletResponse {
    this.expire(nowMs);
    const state = this.byTxId.get(key);
    const bet = state?.bet;
    const account = this.accounts.get(req.playerId);
    if (state === undefined || bet === undefined || account === undefined) return { code: 'BET_NOT_FOUND' };
    switch (bet.state) {
      case 'held':
        account.held -= bet.amount;
        return this.postDebit(req, bet, account, nowMs);
      case 'expired':
        if (account.balance - account.held < bet.amount) {
          state.bet = undefined;
          return this.fail('INSUFFICIENT_FUNDS', account);
        }
        return this.postDebit(req, bet, account, nowMs);
      case 'rolledBack':
        return this.fail('BET_ROLLED_BACK', account);
      default:
        // Posted already: a redelivered post changes nothing.
        return { code: 'OK', balance: account.balance - account.held, replay: true };
    }
  }

  private postDebit(req: BetRequest, bet: Bet, account: Account, nowMs: number): WalletResponse {
    bet.state = 'open';
    this.move(account, -bet.amount);
    this.record(req, -bet.amount, undefined, nowMs);
    return { code: 'OK', balance: account.balance - account.held };
  }

  private hold(req: BetRequest, key: string, state: TxState, account: Account, expiresAtMs: number): WalletResponse {
    if (req.currency !== account.currency) return this.fail('CURRENCY_MISMATCH', account);
    const refused = this.refuseBet(req, state, account);
    if (refused !== undefined) return refused;
    account.held += req.amount;
    state.bet = { playerId: req.playerId, roundId: req.roundId, amount: req.amount, state: 'held' };
    this.holds.push({ key, expiresAtMs });
    return { code: 'OK', balance: account.balance - account.held, accepted: true };
  }

  /** Releases the stakes of reservations past their time. */
  private expire(nowMs: number): void {
    for (let head = this.holds.peek(); head !== undefined && head.expiresAtMs <= nowMs; head = this.holds.peek()) {
      this.holds.shift();
      const bet = this.byTxId.get(head.key)?.bet;
      if (bet?.state !== 'held') continue;
      bet.state = 'expired';
      this.accounts.get(bet.playerId)!.held -= bet.amount;
    }
  }

  private decide(
    req: WalletRequest,
    _nowMs: number,
    fresh: (req: MoneyRequest, state: TxState, account: Account) => WalletResponse,
    dedupe = this.idempotency,
  ): WalletResponse {
    const problem = validationProblem(req);
    if (problem !== null) return { code: 'INVALID_REQUEST', message: problem };
    const account = this.accounts.get(req.playerId);
    if (account === undefined) return { code: 'PLAYER_NOT_FOUND' };
    if (req.kind === 'balance') return { code: 'OK', balance: account.balance - account.held };
    // The txId is looked up first: a known txId with other content (currency included) is a
    // duplicate mismatch, whatever else is wrong with it.
    let state = this.byTxId.get(req.txId);
    if (dedupe && state?.request !== undefined) return this.answerKnown(state.request, state.response!, req, account);
    if (state === undefined) {
      state = {};
      this.byTxId.set(req.txId, state);
    }
    const response = fresh(req, state, account);
    if (dedupe) {
      state.request = req;
      state.response = response;
    }
    return response;
  }

  /**
   * A txId seen before: identical content replays the original result code, even a failure,
   * with the balance as it is now (what a provider shows the player must not be stale).
   */
  private answerKnown(known: MoneyRequest, answer: WalletResponse, req: MoneyRequest, account: Account): WalletResponse {
    if (!sameContent(known, req)) {
      return { code: 'DUPLICATE_MISMATCH', balance: account.balance - account.held, message: `txId ${req.txId} was used with different content` };
    }
    this.replays++;
    return { ...answer, balance: account.balance - account.held, replay: true };
  }

  private applyNew(req: MoneyRequest, state: TxState, account: Account, nowMs: number): WalletResponse {
    if (req.kind !== 'rollback' && req.currency !== account.currency) return this.fail('CURRENCY_MISMATCH', account);
    switch (req.kind) {
      case 'bet':
        return this.bet(req, state, account, nowMs);
      case 'win':
        return this.win(req, state, account, nowMs);
      case 'rollback':
        return this.rollback(req, state, account, nowMs);
    }
  }

  private bet(req: BetRequest, state: TxState, account: Account, nowMs: number): WalletResponse {
    const refused = this.refuseBet(req, state, account);
    if (refused !== undefined) return refused;
    this.move(account, -req.amount);
    state.bet = { playerId: req.playerId, roundId: req.roundId, amount: req.amount, state: 'open' };
    this.record(req, -req.amount, undefined, nowMs);
    return { code: 'OK', balance: account.balance - account.held };
  }

  /** Why a bet must not debit: a rollback came first, or the money is not there. */
  private refuseBet(req: BetRequest, state: TxState, account: Account): WalletResponse | undefined {
    if (this.tombstonesOn && state.tombstone !== undefined) {
      if (state.tombstone !== req.playerId) {
        return { code: 'INVALID_REQUEST', balance: account.balance - account.held, message: `bet ${req.txId} was rolled back for another player` };
      }
      return this.fail('BET_ROLLED_BACK', account);
    }
    if (account.balance - account.held < req.amount) return this.fail('INSUFFICIENT_FUNDS', account);
    return undefined;
  }

  private win(req: WinRequest, own: TxState, account: Account, nowMs: number): WalletResponse {
    if (req.betTxId === req.txId) return { code: 'INVALID_REQUEST', message: `win ${req.txId} names itself` };
    const ref = this.byTxId.get(req.betTxId);
    const bet = ref?.bet;
    if (bet === undefined) {
      const other = ref?.request?.kind ?? ref?.applied;
      if (other === 'win' || other === 'rollback') {
        return { code: 'INVALID_REQUEST', message: `win ${req.txId} names ${other} ${req.betTxId}, not a bet` };
      }
      return this.fail('BET_NOT_FOUND', account);
    }
    if (bet.playerId !== req.playerId || bet.roundId !== req.roundId) {
      return { code: 'INVALID_REQUEST', message: `win ${req.txId} names another player or round than bet ${req.betTxId}` };
    }
    if (bet.state === 'rolledBack') return this.fail('BET_ROLLED_BACK', account);
    if (bet.state === 'won') return this.fail('ALREADY_SETTLED', account);
    // A reservation not posted yet cannot be won (its post is behind it in the same partition).
    if (bet.state !== 'open') return this.fail('BET_NOT_FOUND', account);
    if (account.balance + req.amount > Number.MAX_SAFE_INTEGER) {
      return { code: 'INVALID_REQUEST', balance: account.balance - account.held, message: 'the balance would exceed the largest exact integer' };
    }
    bet.state = 'won';
    own.applied = 'win';
    this.move(account, req.amount);
    this.record(req, req.amount, req.betTxId, nowMs);
    return { code: 'OK', balance: account.balance - account.held };
  }

  private rollback(req: RollbackRequest, own: TxState, account: Account, nowMs: number): WalletResponse {
    if (req.refTxId === req.txId) return { code: 'INVALID_REQUEST', message: `rollback ${req.txId} names itself` };
    const ref = this.byTxId.get(req.refTxId);
    const bet = ref?.bet;
    const other = bet === undefined ? (ref?.request?.kind ?? ref?.applied) : undefined;
    if (other === 'win' || other === 'rollback') {
      return { code: 'INVALID_REQUEST', message: `rollback ${req.txId} names ${other} ${req.refTxId}, not a bet` };
    }
    if (bet !== undefined && bet.playerId !== req.playerId) {
      return { code: 'INVALID_REQUEST', message: `rollback ${req.txId} names another player than bet ${req.refTxId}` };
    }
    if (bet?.state === 'won') return this.fail('ALREADY_SETTLED', account);
    // Unknown bet: it may still be on its way (rollbacks overtake bets), so leave a tombstone.
    // Already rolled back: succeed without refunding twice. A reservation is voided: its hold
    // is released and no money moves.
    const refund = bet?.state === 'open' ? bet.amount : 0;
    if (bet?.state === 'held') account.held -= bet.amount;
    if (bet !== undefined) bet.state = 'rolledBack';
    else if (ref !== undefined) ref.tombstone ??= req.playerId;
    else this.byTxId.set(req.refTxId, { tombstone: req.playerId });
    own.applied = 'rollback';
    this.move(account, refund);
    this.record(req, refund, req.refTxId, nowMs);
    return { code: 'OK', balance: account.balance - account.held };
  }

  private fail(code: ResultCode, account: Account): WalletResponse {
    return { code, balance: account.balance - account.held };
  }

  private move(account: Account, delta: number): void {
    account.balance += delta;
    this.house -= delta;
  }

  private record(req: MoneyRequest, delta: number, refTxId: string | undefined, nowMs: number): void {
    this.entries.push({
      seq: this.entries.length,
      txId: req.txId,
      kind: req.kind,
      playerId: req.playerId,
      delta,
      refTxId,
      opRef: req.opRef,
      appliedAtMs: nowMs,
    });
  }
}
