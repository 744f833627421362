import type { PlayerAccount } from '../domain/ledger.js';
import type { MoneyRequest, OpKind } from '../domain/operations.js';
import { isRetriable, type WalletResponse } from '../domain/results.js';
import type { Clock } from '../ports/clock.js';
import type { Random } from '../ports/random.js';
import type { HeldSends, ReplyTarget, Transport } from '../ports/transport.js';
import type { Sampler } from '../sim/distributions.js';
import type { ArrivalSchedule } from './arrivals.js';
import type { Outcome, ProviderObserver } from './observer.js';
import { HeldRounds, Round } from './held-rounds.js';
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

/**
 * Traffic faults: a hook that may send a round to a chosen player instead of a drawn one, and
 * one that may cancel a round whose bet was acknowledged (a rollback racing its win).
 */
export interface TrafficFaults {
  hotPlayer(nowMs: number, rng: Random, accounts: ReadonlyMap<string, PlayerAccount>): PlayerAccount | undefined;
  /** Delay until the acknowledged bet `betTxId` is rolled back as well; undefined: it is not. */
  cancelAfterMs(betTxId: string, nowMs: number, playMs: number): number | undefined;
}

/**
 * The game server (RGS) that calls the wallet: starts rounds on the open-model schedule, bets,
 * waits for the game, settles with a win (0 for a lost round), and when a bet's fate is unknown
 * rolls it back, retrying as real providers do.
 *
 * Each logical operation is one object (a Call) that carries its attempts, rather than a nest
 * of closures: against a real wallet at full speed the provider runs tens of thousands of
 * them a second, and under overload thousands of retries and settlements wait for a connection
 * at once, so what each one keeps alive is garbage-collector work taken from the load
 * generator. New bets and wins wait as numbers instead (HeldRounds, see TransportFlow).
 */
export class Provider {
  private readonly arrivalRng: Random;
  private readonly roundRng: Random;
  /** @internal for Call */
  readonly jitterRng: Random;
  private rounds = 0;
  private readonly held = new HeldRounds();
  /** The clock ticket of the held attempts' timeout; NaN while none is armed (cancel ignores it). */
  private heldTimer = Number.NaN;
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

  /** First attempts (bets, wins) held back while every connection is busy (only with a transport that has flow control). */
  get heldRounds(): number {
    return this.held.length;
  }

  start(): void {
    this.transport.flow?.attach(this.heldSends);
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
    const playerId = this.traffic?.hotPlayer(atMs, rng, this.population.byId)?.id ?? this.population.pickId(rng);
    const amount = Math.max(1, Math.round(this.settings.round.betAmount(rng)));
    const wins = rng.next() < this.settings.round.winProbability;
    const winAmount = wins ? Math.max(0, Math.round(amount * this.settings.round.winMultiplier(rng))) : 0;
    const playMs = this.settings.round.playTimeMs(rng);
    const phase = this.schedule.phaseIndexAt(atMs);
    // Opened now, held or not: the offered load is counted when it was offered.
    const betOp = this.observer.opened({ kind: 'bet', playerId, amount, intendedAtMs: atMs, phase });
    if (this.mustHold()) {
      // Asked for now, as any send: on a real clock an arrival runs a little after its time, and
      // the asks of everything held and waiting must come in one order (see TransportFlow).
      this.held.pushBet(n, playerId, amount, winAmount, playMs, phase, betOp, this.clock.now());
      this.heldOne();
      return;
    }
    new Call(this, 'bet', betOp, new Round(n, playerId, `r${n}`, amount, winAmount, playMs, phase, betOp)).start();
  }

  /**
   * Whether a new operation's first attempt waits here, as numbers: while every connection is
   * busy, or others wait already (they go first). Past the bound it goes to the transport as
   * objects, which waits or drops it.
   */
  private mustHold(): boolean {
    const flow = this.transport.flow;
    return flow !== undefined && (this.held.length > 0 || flow.busy()) && this.held.length < MAX_HELD;
  }

  private heldOne(): void {
    if (this.held.length === 1) this.armHeldTimeout();
  }

  /** The held rounds as the transport takes them, when a connection frees (see TransportFlow). */
  private readonly heldSends: HeldSends = {
    oldestAtMs: () => this.held.oldestAtMs(),
    sendOldest: () => this.sendHeld(),
  };

  /**
   * A held attempt times out as any other, at the time it was asked for plus the timeout, even if it
   * is still held then: it is sent (and the transport drops it, too late), so that the provider
   * retries it, or gives up on it (and rolls a bet back), when it would have, as for a send that
   * waited in the transport. One timer, for the oldest.
   */
  private armHeldTimeout(): void {
    this.heldTimer = this.clock.timerFrom(this.held.oldestAtMs(), this.settings.timeoutMs, Provider.heldTimedOut, this);
  }

  private cancelHeldTimeout(): void {
    this.clock.cancel(this.heldTimer);
    this.heldTimer = Number.NaN;
  }

  private static readonly heldTimedOut = (provider: Provider): void => {
    provider.heldTimer = Number.NaN;
    const { held, clock, settings } = provider;
    while (clock.now() - held.oldestAtMs() >= settings.timeoutMs) provider.sendHeld();
    if (held.length > 0) provider.armHeldTimeout();
  };

  private sendHeld(): void {
    const { round, isWin, op, atMs } = this.held.shift();
    if (this.held.length === 0) this.cancelHeldTimeout();
    new Call(this, isWin ? 'win' : 'bet', op, round).start(atMs);
  }

  /**
   * @internal for Call: the bet of `round` was acknowledged now. The round waits for its game
   * and then closes with its win; with a roundCancel fault, a rollback of the bet races the win.
   */
  betAcknowledged(round: Round): void {
    const { clock } = this;
    clock.call(round.playMs, this.settle, round);
    const cancelMs = this.traffic?.cancelAfterMs(round.betTxId, clock.now(), round.playMs);
    if (cancelMs !== undefined) clock.call(cancelMs, this.cancel, round);
  }

  /** The game was played: the round closes with its win. */
  private readonly settle = (round: Round): void => {
    const now = this.clock.now();
    const { betOp, betTxId } = round;
    const op = this.observer.opened({ kind: 'win', playerId: round.playerId, amount: round.winAmount, intendedAtMs: now, phase: round.phase, betOp, betTxId });
    if (this.mustHold()) {
      this.held.pushWin(round, op, now);
      this.heldOne();
      return;
    }
    new Call(this, 'win', op, round).start();
  };

  /** The round is cancelled though its bet was acknowledged (a roundCancel fault). */
  private readonly cancel = (round: Round): void => this.rollback(round, round.betTxId);

  /** @internal for Call: the bet's fate is unknown (or it was refused): take back its attempt `refTxId`. */
  rollback(round: Round, refTxId: string): void {
    const { betOp } = round;
    const op = this.observer.opened({ kind: 'rollback', playerId: round.playerId, amount: round.amount, intendedAtMs: this.clock.now(), phase: round.phase, betOp, betTxId: refTxId });
    new Call(this, 'rollback', op, round, refTxId).start();
  }
}

/** Held attempts at most (a bound like the transport's on its waiting sends). */
const MAX_HELD = 100_000;

const resend = (call: Call): void => call.send();
const expire = (call: Call): void => call.timedOut();

/** The txIds of a call of each kind start with its prefix and the round's number. */
const TX_PREFIX: Readonly<Record<OpKind, string>> = { bet: 'b', win: 'w', rollback: 'rb' };

/**
 * One logical operation: attempts with timeout, retries with backoff, one final outcome. It is
 * its own reply target (the attempt number is the token) and its timeout's argument, so an
 * attempt costs no closure. One class for the three kinds, not a subclass each: every call then
 * has one shape, so the clock's and the network's calls into it stay monomorphic and making one
 * is inlined (with subclasses, the shared fields' initialiser ran as a call of its own, over
 * three shapes, for every operation).
 */
class Call implements ReplyTarget {
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
  private readonly baseTxId: string;
  private readonly policy: RetryPolicy;
  private readonly budget: RetryBudget | undefined;

  constructor(
    private readonly provider: Provider,
    private readonly kind: OpKind,
    private readonly op: number,
    private readonly round: Round,
    /** For a rollback: the txId of the bet's attempt it takes back. */
    private readonly refTxId = '',
  ) {
    this.baseTxId = `${TX_PREFIX[kind]}${round.n}`;
    // Bets: a few quick retries, then a rollback; wins and rollbacks retry until answered.
    const isBet = kind === 'bet';
    this.policy = isBet ? provider.settings.retry : provider.settings.settlementRetry;
    this.budget = isBet ? provider.betBudget : provider.settlementBudget;
  }

  /** `askedAtMs`: for a held attempt, when it was held, i.e. asked for (see Provider.sendHeld). */
  start(askedAtMs?: number): void {
    this.budget?.deposit(this.provider.clock.now());
    this.send(askedAtMs);
  }

  /** @internal for resend; `askedAtMs` see start. */
  send(askedAtMs?: number): void {
    const { clock, observer, transport } = this.provider;
    const attempt = ++this.attempt;
    const txId = this.policy.txId === 'new' && attempt > 1 ? `${this.baseTxId}.${attempt}` : this.baseTxId;
    const { timeoutMs } = this.provider.settings;
    this.txId = txId;
    this.sentAtMs = askedAtMs ?? clock.now();
    this.open = true;
    observer.attemptSent(this.op, txId, attempt, this.sentAtMs);
    this.timer = askedAtMs === undefined ? clock.timer(timeoutMs, expire, this) : clock.timerFrom(askedAtMs, timeoutMs, expire, this);
    if (this.sent === undefined || this.sent.txId !== txId) this.sent = this.request(txId);
    transport.send(this.sent, this, attempt, askedAtMs);
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
    if (attempt !== this.attempt || !this.open) return observer.lateAnswer(this.op, attempt, response, clock.now());
    this.open = false;
    clock.cancel(this.timer);
    observer.answered(this.op, response, this.sentAtMs, clock.now());
    if (isRetriable(response.code)) return this.retryOrGiveUp(response, this.txId);
    // A refusal speaks for its own txId only: an earlier attempt under another txId that timed
    // out may have been applied (a retried win told ALREADY_SETTLED by its first attempt's win).
    const earlierOpen = this.anyTimeout && this.policy.txId === 'new';
    const outcome: Outcome = response.code === 'OK' ? 'ok' : earlierOpen ? 'indeterminate' : 'failed';
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

  /** The request of one attempt. */
  private request(txId: string): MoneyRequest {
    const { round: r, op: opRef } = this;
    const { currency } = this.provider.settings;
    switch (this.kind) {
      case 'bet':
        return { kind: 'bet', txId, playerId: r.playerId, roundId: r.roundId, amount: r.amount, currency, opRef };
      case 'win':
        return { kind: 'win', txId, betTxId: r.betTxId, playerId: r.playerId, roundId: r.roundId, amount: r.winAmount, currency, opRef };
      case 'rollback':
        return { kind: 'rollback', txId, refTxId: this.refTxId, playerId: r.playerId, opRef };
    }
  }

  /** The operation's one final outcome: only a bet's leads on (to its round's win, or a rollback). */
  private final(outcome: Outcome, response: WalletResponse | undefined, lastTxId: string): void {
    if (this.kind !== 'bet') return;
    const { provider, round } = this;
    if (outcome === 'ok') {
      // The win refers to the acknowledged attempt's txId.
      round.betTxId = lastTxId;
      provider.betAcknowledged(round);
    } else if (outcome === 'indeterminate' || (response !== undefined && isRetriable(response.code))) {
      provider.rollback(round, lastTxId);
    }
  }
}
