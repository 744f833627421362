import { Ledger } from '../domain/ledger.js';
import type { MoneyRequest } from '../domain/operations.js';
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

const OVERLOADED: WalletResponse = Object.freeze({ code: 'OVERLOADED', message: 'ingest queue is full' });
const ACCEPTED: WalletResponse = Object.freeze({ code: 'OK', accepted: true });
const replyAccepted = (exchange: Exchange): void => exchange.reply(ACCEPTED);

/**
 * Event-driven wallet: the API validates, appends the operation to a log partitioned by player
 * and answers "accepted" at once; consumers apply the log at their own pace. Balances lag, and a
 * bet accepted beyond the balance is rejected later (a late rejection).
 *
 * Idempotency lives at the API (a store of txIds answered at ingest, so a retry is not appended
 * twice and gets its first answer); the inbox lives at the consumer (txIds already applied, so redelivery after a crash is
 * a no-op). Each can be switched off on its own, which is what trainers show.
 */
export class EventDrivenWallet implements WalletModel {
  readonly ledger: Ledger;
  private readonly ingest: WorkerPool<Exchange>;
  private readonly gate: ApiGate;
  private readonly applyRng: Random;
  private readonly slowdown: ((nowMs: number) => number) | undefined;

  constructor(
    private readonly clock: Clock,
    rng: Random,
    private readonly settings: WalletSettings,
    private readonly log: CommandLog<MoneyRequest>,
    private readonly probe: WalletProbe,
    slowdown?: (nowMs: number) => number,
  ) {
    const inbox = settings.inbox && settings.safety?.inbox !== false;
    this.ledger = new Ledger({ idempotency: inbox, players: settings.players, safety: settings.safety });
    this.gate = new ApiGate(this.ledger, settings.idempotency);
    this.ingest = new WorkerPool(clock, rng.derive('ingest'), {
      ...settings.event.ingest,
      onQueueDepth: (depth, now) => probe.queueDepth(depth, now),
      onIdle: (now) => this.checkIdle(now),
    }, this.accept, shedExchange);
    this.applyRng = rng.derive('apply');
    this.slowdown = slowdown;
    this.log.consume(this.apply);
  }

  handle(exchange: Exchange): void {
    if (exchange.request.kind === 'balance') {
      exchange.reply(this.ledger.apply(exchange.request, this.clock.now()));
      return;
    }
    if (!this.ingest.submit(exchange)) exchange.reply(OVERLOADED);
  }

  backlog(): number {
    return this.log.backlog();
  }

  busy(): boolean {
    return this.ingest.queued + this.ingest.inService + this.log.unapplied() > 0;
  }

  /** Called when the log drains or the ingest pool empties; idle only if the other is too (see busy). */
  checkIdle(nowMs: number): void {
    if (!this.busy()) this.probe.idle(nowMs);
  }

  private readonly accept = (exchange: Exchange): void => {
    const request = exchange.request as MoneyRequest;
    const admitted = this.gate.admit(request);
    if (typeof admitted !== 'number') return exchange.reply(admitted);
    // The admission goes with the record, so the consumer need not look the txId and player up again.
    this.log.append(request.playerId, request, replyAccepted, exchange, this.gate.appendFailed, admitted);
  };


  /** A consumer took a record: it is applied when its apply time is over. */
  private readonly apply = (delivery: Delivery<MoneyRequest>): number => {
    const factor = this.slowdown?.(this.clock.now()) ?? 1;
    return this.clock.timer(this.settings.event.applyMs(this.applyRng) * factor, this.applied, delivery);
  };

  private readonly applied = (delivery: Delivery<MoneyRequest>): void => {
    const { value: request, hint } = delivery.record;
    const response = hint !== undefined && hint >= 0 ? this.ledger.applyAdmitted(request, hint, this.clock.now()) : this.ledger.apply(request, this.clock.now());
    this.probe.settled(request, response, this.clock.now());
    delivery.done();
  };
}
