import type { PlayerAccount } from '../domain/ledger.js';
import type { MoneyRequest } from '../domain/operations.js';
import { isRetriable, type WalletResponse } from '../domain/results.js';
import type { Clock, Timer } from '../ports/clock.js';
import type { Random } from '../ports/random.js';
import type { Transport } from '../ports/transport.js';
import type { Sampler } from '../sim/distributions.js';
import type { ArrivalSchedule } from './arrivals.js';
import type { OpInfo, Outcome, ProviderObserver } from './observer.js';
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

type Builder = (txId: string) => MoneyRequest;
type Final = (outcome: Outcome, response: WalletResponse | undefined, lastTxId: string) => void;

/**
 * The game server (RGS) that calls the wallet: starts rounds on the open-model schedule, bets,
 * waits for the game, settles with a win (0 for a lost round), and when a bet's fate is unknown
 * rolls it back, retrying as real providers do.
 */
export class Provider {
  private readonly arrivalRng: Random;
  private readonly roundRng: Random;
  private readonly jitterRng: Random;
  private rounds = 0;
  private readonly budgets = new Map<RetryPolicy, RetryBudget>();

  constructor(
    private readonly clock: Clock,
    rng: Random,
    private readonly transport: Transport,
    private readonly observer: ProviderObserver,
    private readonly schedule: ArrivalSchedule,
    private readonly population: Population,
    private readonly settings: ProviderSettings,
    private readonly traffic?: TrafficFaults,
  ) {
    this.arrivalRng = rng.derive('arrivals');
    this.roundRng = rng.derive('rounds');
    this.jitterRng = rng.derive('retry-jitter');
    for (const policy of [settings.retry, settings.settlementRetry]) {
      if (policy.budget !== undefined) this.budgets.set(policy, new RetryBudget(policy.budget));
    }
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
    this.clock.after(at - this.clock.now(), () => {
      this.startRound(at);
      this.scheduleNext(at);
    });
  }

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
    const roundId = `r${n}`;
    const { currency } = this.settings;
    const betInfo: OpInfo = { kind: 'bet', playerId: player.id, amount, intendedAtMs: atMs, phase };
    const betOp = this.observer.opened(betInfo);
    const bet: Builder = (txId) => ({ kind: 'bet', txId, playerId: player.id, roundId, amount, currency, opRef: betOp });
    this.call(betOp, `b${n}`, bet, this.settings.retry, (outcome, response, betTxId) => {
      if (outcome === 'ok') {
        this.clock.after(playMs, () => this.settle(n, betOp, betTxId, player.id, roundId, winAmount, phase));
      } else if (outcome === 'indeterminate' || (response !== undefined && isRetriable(response.code))) {
        this.rollback(n, betOp, betTxId, player.id, amount, phase);
      }
    });
  }

  private settle(n: number, betOp: number, betTxId: string, playerId: string, roundId: string, amount: number, phase: number): void {
    const info: OpInfo = { kind: 'win', playerId, amount, intendedAtMs: this.clock.now(), phase, betOp };
    const op = this.observer.opened(info);
    const { currency } = this.settings;
    const win: Builder = (txId) => ({ kind: 'win', txId, betTxId, playerId, roundId, amount, currency, opRef: op });
    this.call(op, `w${n}`, win, this.settings.settlementRetry, () => {});
  }

  private rollback(n: number, betOp: number, refTxId: string, playerId: string, betAmount: number, phase: number): void {
    const info: OpInfo = { kind: 'rollback', playerId, amount: betAmount, intendedAtMs: this.clock.now(), phase, betOp };
    const op = this.observer.opened(info);
    const rollback: Builder = (txId) => ({ kind: 'rollback', txId, refTxId, playerId, opRef: op });
    this.call(op, `rb${n}`, rollback, this.settings.settlementRetry, () => {});
  }

  /** One logical operation: attempts with timeout, retries with backoff, one final outcome. */
  private call(op: number, baseTxId: string, build: Builder, policy: RetryPolicy, final: Final): void {
    const { clock, observer } = this;
    const budget = this.budgets.get(policy);
    budget?.deposit(clock.now());
    let attempt = 0;
    let anyTimeout = false;
    const send = (): void => {
      attempt++;
      const txId = policy.txId === 'new' && attempt > 1 ? `${baseTxId}.${attempt}` : baseTxId;
      const sentAt = clock.now();
      let open = true;
      observer.attemptSent(op, txId, attempt, sentAt);
      const timer: Timer = clock.after(this.settings.timeoutMs, () => {
        open = false;
        anyTimeout = true;
        observer.timedOut(op, clock.now());
        retryOrGiveUp(undefined, txId);
      });
      this.transport.send(build(txId), (response) => {
        if (!open) return observer.lateAnswer(op, response, clock.now());
        open = false;
        timer.cancel();
        observer.answered(op, response, sentAt, clock.now());
        if (isRetriable(response.code)) return retryOrGiveUp(response, txId);
        const outcome: Outcome = response.code === 'OK' ? 'ok' : 'failed';
        observer.finished(op, outcome, response, clock.now());
        final(outcome, response, txId);
      });
    };
    const retryOrGiveUp = (response: WalletResponse | undefined, txId: string): void => {
      if (attempt < policy.maxAttempts && (budget === undefined || budget.tryWithdraw(clock.now()))) {
        clock.after(backoffDelayMs(policy, attempt, this.jitterRng), send);
        return;
      }
      // A refusal (OVERLOADED) proves nothing was applied; a timeout anywhere leaves it open.
      const outcome: Outcome = anyTimeout ? 'indeterminate' : 'failed';
      observer.finished(op, outcome, response, clock.now());
      final(outcome, response, txId);
    };
    send();
  }
}
