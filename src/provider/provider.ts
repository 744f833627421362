import type { PlayerAccount } from '../domain/ledger.js';
import type { MoneyRequest } from '../domain/operations.js';
import { isRetriable, type WalletResponse } from '../domain/results.js';
import type { Clock } from '../ports/clock.js';
import type { Random } from '../ports/random.js';
import type { ReplyTarget, Transport } from '../ports/transport.js';
import type { Sampler } from '../sim/distributions.js';
import type { ArrivalSchedule } from './arrivals.js';
import type { Outcome, ProviderObserver } from './observer.js';
import type { Population } from './players.js';
import { backoffDelayMs, RetryBudget, type RetryPolicy } from './retry.js';

export interface RoundScript {
  readonly betAmount: Sampler;
  readonly winProbability: number;
  /** Win amount = bet amount × this draw (rounded to minor units). */
  readonly winMultiplier: Sampler;
  /** Time between the bet's ack and the win: the game being played. */
  readonly playTimeMs: Sampler;
}

export interface ProviderSettings {
  readonly currency: string;
  readonly timeoutMs: number;
  /** Bets: a few quick retries, then a rollback. */
  readonly retry: RetryPolicy;
  /** Wins and rollbacks: providers keep retrying these with backoff until they get an answer. */
  readonly settlementRetry: RetryPolicy;
  readonly round: RoundScript;
}

/** Traffic faults: a hook that may send a round to a chosen player instead of a drawn one. */
export interface TrafficFaults {
  hotPlayer(nowMs: number, rng: Random, accounts: ReadonlyMap<string, PlayerAccount>): PlayerAccount | undefined;
}

/**
 * The game server (RGS) that calls the wallet: starts rounds on the open-model schedule, bets,
 * waits for the game, settles with a win (0 for a lost round), and when a bet's fate is unknown
 * rolls it back, retrying as real providers do.
 *
 * Each logical operation is one object (a Call) that carries its attempts, rather than a nest
 * of closures: against a real wallet at full speed the provider runs tens of thousands of
 * them a second, and under overload thousands wait for a connection at once, so what each one
 * keeps alive is garbage-collector work taken from the load generator.
 */
export class Provider {
  private readonly arrivalRng: Random;
  private readonly roundRng: Random;
  /** @internal for Call */
  readonly jitterRng: Random;
  private rounds = 0;
  /** @internal for Call: the retry budgets of bets and of settlements (one if the policies are one). */
  readonly betBudget: RetryBudget | undefined;
  readonly settlementBudget: RetryBudget | undefined;

  constructor(
    /** @internal for Call */
    readonly clock: Clock,
    rng: Random,
    /** @internal for Call */
    readonly transport: Transport,
    /** @internal for Call */
    readonly observer: ProviderObserver,
    private readonly schedule: ArrivalSchedule,
    private readonly population: Population,
    /** @internal for Call */
    readonly settings: ProviderSettings,
    private readonly traffic?: TrafficFaults,
  ) {
    this.arrivalRng = rng.derive('arrivals');
    this.roundRng = rng.derive('rounds');
    this.jitterRng = rng.derive('retry-jitter');
    const budgets = new Map<RetryPolicy, RetryBudget>();
    for (const policy of [settings.retry, settings.settlementRetry]) {
      if (policy.budget !== undefined && !budgets.has(policy)) budgets.set(policy, new RetryBudget(policy.budget));
    }
    this.betBudget = budgets.get(settings.retry);
    this.settlementBudget = budgets.get(settings.settlementRetry);
  }

  get roundsStarted(): number {
    return this.rounds;
  }

  start(): void {
    this.scheduleNext(0);
  }

  private scheduleNext(fromMs: number): void {
    const at = this.schedule.next(fromMs, this.arrivalRng);
    if (at === null) return;
    this.clock.call(at - this.clock.now(), this.arrive, at);
  }

  private readonly arrive = (atMs: number): void => {
    this.startRound(atMs);
    this.scheduleNext(atMs);
  };

  private startRound(atMs: number): void {
    // Every draw of a round happens here, up front, so all models see identical rounds.
    const n = this.rounds++;
    const rng = this.roundRng;
    const player = this.traffic?.hotPlayer(atMs, rng, this.population.byId) ?? this.population.pick(rng);
    const amount = Math.max(1, Math.round(this.settings.round.betAmount(rng)));
    const wins = rng.next() < this.settings.round.winProbability;
    const winAmount = wins ? Math.max(0, Math.round(amount * this.settings.round.winMultiplier(rng))) : 0;
    const playMs = this.settings.round.playTimeMs(rng);
    const phase = this.schedule.phaseIndexAt(atMs);
    const round: Round = { n, playerId: player.id, roundId: `r${n}`, amount, winAmount, playMs, phase };
    const betOp = this.observer.opened({ kind: 'bet', playerId: player.id, amount, intendedAtMs: atMs, phase });
    new BetCall(this, betOp, round).start();
  }

  /** @internal for BetCall: the game was played, the round closes with its win. */
  settle(round: Round, betOp: number, betTxId: string): void {
    const op = this.observer.opened({ kind: 'win', playerId: round.playerId, amount: round.winAmount, intendedAtMs: this.clock.now(), phase: round.phase, betOp });
    new WinCall(this, op, round, betTxId).start();
  }

  /** @internal for BetCall: the bet's fate is unknown (or it was refused): take it back. */
  rollback(round: Round, betOp: number, refTxId: string): void {
    const op = this.observer.opened({ kind: 'rollback', playerId: round.playerId, amount: round.amount, intendedAtMs: this.clock.now(), phase: round.phase, betOp });
    new RollbackCall(this, op, round, refTxId).start();
  }
}

/** What a round decided when it started. */
interface Round {
  readonly n: number;
  readonly playerId: string;
  readonly roundId: string;
  readonly amount: number;
  readonly winAmount: number;
  readonly playMs: number;
  readonly phase: number;
}

const resend = (call: Call): void => call.send();
const expire = (call: Call): void => call.timedOut();

/**
 * One logical operation: attempts with timeout, retries with backoff, one final outcome. It is
 * its own reply target (the attempt number is the token) and its timeout's argument, so an
 * attempt costs no closure.
 */
abstract class Call implements ReplyTarget {
  private attempt = 0;
  private anyTimeout = false;
  /** The current attempt: only the latest one can be open, a retry starts after it closed. */
  private open = false;
  private txId = '';
  private sentAtMs = 0;
  /** The current attempt's timeout (a clock ticket). */
  private timer = 0;
  /** The request of the current txId: retries that reuse the txId resend the same object. */
  private sent: MoneyRequest | undefined;

  constructor(
    protected readonly provider: Provider,
    protected readonly op: number,
    private readonly baseTxId: string,
    private readonly policy: RetryPolicy,
    private readonly budget: RetryBudget | undefined,
  ) {}

  start(): void {
    this.budget?.deposit(this.provider.clock.now());
    this.send();
  }

  /** The request of one attempt. */
  protected abstract request(txId: string): MoneyRequest;
  /** The operation's one final outcome. */
  protected abstract final(outcome: Outcome, response: WalletResponse | undefined, lastTxId: string): void;

  /** @internal for resend */
  send(): void {
    const { clock, observer, transport } = this.provider;
    const attempt = ++this.attempt;
    const txId = this.policy.txId === 'new' && attempt > 1 ? `${this.baseTxId}.${attempt}` : this.baseTxId;
    this.txId = txId;
    this.sentAtMs = clock.now();
    this.open = true;
    observer.attemptSent(this.op, txId, attempt, this.sentAtMs);
    this.timer = clock.timer(this.provider.settings.timeoutMs, expire, this);
    if (this.sent === undefined || this.sent.txId !== txId) this.sent = this.request(txId);
    transport.send(this.sent, this, attempt);
  }

  /** @internal for expire */
  timedOut(): void {
    const { clock, observer } = this.provider;
    this.open = false;
    this.anyTimeout = true;
    observer.timedOut(this.op, clock.now());
    this.retryOrGiveUp(undefined, this.txId);
  }

  replied(attempt: number, response: WalletResponse): void {
    const { clock, observer } = this.provider;
    if (attempt !== this.attempt || !this.open) return observer.lateAnswer(this.op, response, clock.now());
    this.open = false;
    clock.cancel(this.timer);
    observer.answered(this.op, response, this.sentAtMs, clock.now());
    if (isRetriable(response.code)) return this.retryOrGiveUp(response, this.txId);
    const outcome: Outcome = response.code === 'OK' ? 'ok' : 'failed';
    observer.finished(this.op, outcome, response, clock.now());
    this.final(outcome, response, this.txId);
  }

  private retryOrGiveUp(response: WalletResponse | undefined, txId: string): void {
    const { clock, observer } = this.provider;
    if (this.attempt < this.policy.maxAttempts && (this.budget === undefined || this.budget.tryWithdraw(clock.now()))) {
      clock.call(backoffDelayMs(this.policy, this.attempt, this.provider.jitterRng), resend, this);
      return;
    }
    // A refusal (OVERLOADED) proves nothing was applied; a timeout anywhere leaves it open.
    const outcome: Outcome = this.anyTimeout ? 'indeterminate' : 'failed';
    observer.finished(this.op, outcome, response, clock.now());
    this.final(outcome, response, txId);
  }
}

class BetCall extends Call {
  /** The txId of the attempt that was acknowledged: the win refers to it. */
  private ackedTxId = '';

  constructor(provider: Provider, op: number, private readonly round: Round) {
    super(provider, op, `b${round.n}`, provider.settings.retry, provider.betBudget);
  }

  /** The game was played: the round closes with its win. */
  static readonly settle = (call: BetCall): void => call.provider.settle(call.round, call.op, call.ackedTxId);

  protected request(txId: string): MoneyRequest {
    const r = this.round;
    return { kind: 'bet', txId, playerId: r.playerId, roundId: r.roundId, amount: r.amount, currency: this.provider.settings.currency, opRef: this.op };
  }

  protected final(outcome: Outcome, response: WalletResponse | undefined, betTxId: string): void {
    const { provider, round, op } = this;
    if (outcome === 'ok') {
      this.ackedTxId = betTxId;
      provider.clock.call(round.playMs, BetCall.settle, this);
    } else if (outcome === 'indeterminate' || (response !== undefined && isRetriable(response.code))) {
      provider.rollback(round, op, betTxId);
    }
  }
}

class WinCall extends Call {
  constructor(provider: Provider, op: number, private readonly round: Round, private readonly betTxId: string) {
    super(provider, op, `w${round.n}`, provider.settings.settlementRetry, provider.settlementBudget);
  }

  protected request(txId: string): MoneyRequest {
    const r = this.round;
    return { kind: 'win', txId, betTxId: this.betTxId, playerId: r.playerId, roundId: r.roundId, amount: r.winAmount, currency: this.provider.settings.currency, opRef: this.op };
  }

  protected final(): void {}
}

class RollbackCall extends Call {
  constructor(provider: Provider, op: number, private readonly round: Round, private readonly refTxId: string) {
    super(provider, op, `rb${round.n}`, provider.settings.settlementRetry, provider.settlementBudget);
  }

  protected request(txId: string): MoneyRequest {
    return { kind: 'rollback', txId, refTxId: this.refTxId, playerId: this.round.playerId, opRef: this.op };
  }

  protected final(): void {}
}
