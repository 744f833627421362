import { Ledger } from '../domain/ledger.js';
import type { BetRequest, MoneyRequest } from '../domain/operations.js';
import type { WalletResponse } from '../domain/results.js';
import type { Clock } from '../ports/clock.js';
import type { CommandLog, Delivery } from '../ports/log.js';
import type { Random } from '../ports/random.js';
import type { Exchange } from '../ports/transport.js';
import type { WalletModel, WalletSettings } from './config.js';
import type { WalletProbe } from './probe.js';
import { ApiGate } from './api-gate.js';
import { shedExchange } from './shed.js';
import { WorkerPool } from './worker-pool.js';

/** What the hybrid API appends: the post of a reservation, or a win or rollback to apply. */
export type HybridRecord =
  | { readonly kind: 'post'; readonly key: string; readonly request: BetRequest }
  | { readonly kind: 'apply'; readonly request: MoneyRequest };

const OVERLOADED: WalletResponse = Object.freeze({ code: 'OVERLOADED', message: 'API queue is full' });
const ACCEPTED: WalletResponse = Object.freeze({ code: 'OK', accepted: true });
const replyAccepted = (exchange: Exchange): void => exchange.reply(ACCEPTED);

/** A reservation's post on its way into the log, with what to answer either way (one object, no closures). */
interface PendingPost {
  readonly exchange: Exchange;
  readonly response: WalletResponse;
  readonly ledger: Ledger;
  readonly key: string;
  readonly request: BetRequest;
}
const postAppended = (p: PendingPost): void => p.exchange.reply(p.response);
const postFailed = (p: PendingPost): void => p.exchange.reply(p.ledger.voidReservation(p.key, p.request));

/**
 * Hybrid wallet: the API reserves a bet's stake synchronously (a pending debit, as TigerBeetle's
 * two-phase transfers) and answers with a real decision — no bet is ever accepted beyond the
 * balance — while settlement flows through the log: the post of the reservation, wins and
 * rollbacks. A reservation not posted in time expires and releases its stake.
 */
export class HybridWallet implements WalletModel {
  readonly ledger: Ledger;
  private readonly api: WorkerPool<Exchange>;
  private readonly gate: ApiGate;
  private readonly applyRng: Random;
  private readonly slowdown: ((nowMs: number) => number) | undefined;
  /** The consumer's inbox: redelivered wins and rollbacks are answered from their records. */
  private readonly inbox: boolean;

  constructor(
    private readonly clock: Clock,
    rng: Random,
    private readonly settings: WalletSettings,
    private readonly log: CommandLog<HybridRecord>,
    private readonly probe: WalletProbe,
    slowdown?: (nowMs: number) => number,
  ) {
    this.ledger = new Ledger({ idempotency: settings.idempotency, players: settings.players, safety: settings.safety });
    this.gate = new ApiGate(this.ledger, settings.idempotency, true);
    this.api = new WorkerPool(clock, rng.derive('api'), {
      ...settings.hybrid.api,
      slowdown,
      onQueueDepth: (depth, now) => probe.queueDepth(depth, now),
      onIdle: (now) => this.checkIdle(now),
    }, this.serve, shedExchange);
    this.applyRng = rng.derive('apply');
    this.slowdown = slowdown;
    this.inbox = settings.inbox && settings.safety?.inbox !== false;
    this.log.consume(this.settle);
  }

  handle(exchange: Exchange): void {
    if (exchange.request.kind === 'balance') return exchange.reply(this.ledger.apply(exchange.request, this.clock.now()));
    if (!this.api.submit(exchange)) exchange.reply(OVERLOADED);
  }

  /** The API's work for one request, at the end of its service time. */
  private readonly serve = (exchange: Exchange): void => {
    const request = exchange.request as MoneyRequest;
    if (request.kind === 'bet') this.reserve(request, exchange);
    else this.accept(request, exchange);
  };

  backlog(): number {
    return this.log.backlog();
  }

  busy(): boolean {
    return this.api.queued + this.api.inService + this.log.unapplied() > 0;
  }

  checkIdle(nowMs: number): void {
    if (!this.busy()) this.probe.idle(nowMs);
  }

  private reserve(request: BetRequest, exchange: Exchange): void {
    const admitted = this.gate.admitBet(request);
    const now = this.clock.now();
    const ttlMs = this.settings.hybrid.reservationTtlMs;
    // Refused by the ledger before it looks at the txId: its answer, no hold.
    if (admitted === undefined) return exchange.reply(this.ledger.reserve(request, now, ttlMs).response);
    if (typeof admitted !== 'number') return exchange.reply(admitted);
    const { response, key, postAdmission } = this.ledger.reserveAdmitted(request, admitted, now, ttlMs);
    if (response.code !== 'OK' || response.replay === true) return exchange.reply(response);
    const pending: PendingPost = { exchange, response, ledger: this.ledger, key, request };
    // The admission goes with the post, so the consumer need not look the key and player up again.
    this.log.append(request.playerId, { kind: 'post', key, request }, postAppended, pending, postFailed, postAdmission);
  }

  /** Wins and rollbacks: validated and deduplicated at the API, applied from the log. */
  private accept(request: MoneyRequest, exchange: Exchange): void {
    const admitted = this.gate.admit(request);
    if (typeof admitted !== 'number') return exchange.reply(admitted);
    // The admission goes with the record, so the consumer need not look the txId and player up again.
    this.log.append(request.playerId, { kind: 'apply', request }, replyAccepted, exchange, this.gate.appendFailed, admitted);
  }


  /** A consumer took a record: it is settled when its apply time is over. */
  private readonly settle = (delivery: Delivery<HybridRecord>): number => {
    const factor = this.slowdown?.(this.clock.now()) ?? 1;
    return this.clock.timer(this.settings.hybrid.applyMs(this.applyRng) * factor, this.settled, delivery);
  };

  private readonly settled = (delivery: Delivery<HybridRecord>): void => {
    const now = this.clock.now();
    const { value: r, hint } = delivery.record;
    const response = hint !== undefined && hint >= 0 ? this.applyAdmitted(r, hint, now) : this.applyLooked(r, now);
    this.probe.settled(r.request, response, now);
    delivery.done();
  };

  /** A record with its admission (the embedded log keeps it): no look-up of the player or txId. */
  private applyAdmitted(r: HybridRecord, admitted: number, nowMs: number): WalletResponse {
    return r.kind === 'post' ? this.ledger.postAdmitted(admitted, r.request, nowMs) : this.ledger.applyAdmitted(r.request, admitted, nowMs, this.inbox);
  }

  /** A record without one (Kafka drops it): the ledger looks the player and txId up. */
  private applyLooked(r: HybridRecord, nowMs: number): WalletResponse {
    return r.kind === 'post' ? this.ledger.post(r.key, r.request, nowMs) : this.ledger.apply(r.request, nowMs, this.inbox);
  }
}
