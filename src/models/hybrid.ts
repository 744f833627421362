import { Ledger } from '../domain/ledger.js';
import type { BetRequest, MoneyRequest, WalletRequest } from '../domain/operations.js';
import { validationProblem } from '../domain/operations.js';
import type { WalletResponse } from '../domain/results.js';
import type { Clock } from '../ports/clock.js';
import type { CommandLog, LogRecord } from '../ports/log.js';
import type { Random } from '../ports/random.js';
import type { WalletModel, WalletSettings } from './config.js';
import type { WalletProbe } from './probe.js';
import { AcceptedTxIds } from './accepted-txids.js';
import { WorkerPool } from './worker-pool.js';

/** What the hybrid API appends: the post of a reservation, or a win or rollback to apply. */
export type HybridRecord =
  | { readonly kind: 'post'; readonly key: string; readonly request: BetRequest }
  | { readonly kind: 'apply'; readonly request: MoneyRequest };

const OVERLOADED: WalletResponse = Object.freeze({ code: 'OVERLOADED', message: 'API queue is full' });
const ACCEPTED: WalletResponse = Object.freeze({ code: 'OK', accepted: true });

/**
 * Hybrid wallet: the API reserves a bet's stake synchronously (a pending debit, as TigerBeetle's
 * two-phase transfers) and answers with a real decision — no bet is ever accepted beyond the
 * balance — while settlement flows through the log: the post of the reservation, wins and
 * rollbacks. A reservation not posted in time expires and releases its stake.
 */
export class HybridWallet implements WalletModel {
  readonly ledger: Ledger;
  private readonly api: WorkerPool;
  private readonly accepted = new AcceptedTxIds();
  private readonly applyRng: Random;

  constructor(
    private readonly clock: Clock,
    rng: Random,
    private readonly settings: WalletSettings,
    private readonly log: CommandLog<HybridRecord>,
    private readonly probe: WalletProbe,
    slowdown?: (nowMs: number) => number,
  ) {
    this.ledger = new Ledger({ idempotency: settings.idempotency, players: settings.players, safety: settings.safety });
    this.api = new WorkerPool(clock, rng.derive('api'), {
      ...settings.hybrid.api,
      slowdown,
      onQueueDepth: (depth, now) => probe.queueDepth(depth, now),
      onIdle: (now) => this.checkIdle(now),
    });
    this.applyRng = rng.derive('apply');
    this.log.consume((record, done) => this.settle(record, done, slowdown));
  }

  handle(request: WalletRequest, reply: (response: WalletResponse) => void): void {
    if (request.kind === 'balance') return reply(this.ledger.apply(request, this.clock.now()));
    if (!this.api.submit(() => (request.kind === 'bet' ? this.reserve(request, reply) : this.accept(request, reply)))) reply(OVERLOADED);
  }

  busy(): boolean {
    return this.api.queued + this.api.inService + this.log.backlog() > 0;
  }

  checkIdle(nowMs: number): void {
    if (!this.busy()) this.probe.idle(nowMs);
  }

  private reserve(request: BetRequest, reply: (response: WalletResponse) => void): void {
    const { response, key } = this.ledger.reserve(request, this.clock.now(), this.settings.hybrid.reservationTtlMs);
    if (response.code !== 'OK' || response.replay === true) return reply(response);
    this.log.append(request.playerId, { kind: 'post', key, request }, () => reply(response));
  }

  /** Wins and rollbacks: validated and deduplicated at the API, applied from the log. */
  private accept(request: MoneyRequest, reply: (response: WalletResponse) => void): void {
    const problem = validationProblem(request);
    if (problem !== null) return reply({ code: 'INVALID_REQUEST', message: problem });
    const known = this.settings.idempotency ? this.accepted.known(request) : undefined;
    if (known !== undefined) return reply(known);
    this.log.append(request.playerId, { kind: 'apply', request }, () => reply(ACCEPTED));
  }

  private settle(record: LogRecord<HybridRecord>, done: () => void, slowdown?: (nowMs: number) => number) {
    const factor = slowdown?.(this.clock.now()) ?? 1;
    return this.clock.after(this.settings.hybrid.applyMs(this.applyRng) * factor, () => {
      const now = this.clock.now();
      const r = record.value;
      const response = r.kind === 'post' ? this.ledger.post(r.key, r.request, now) : this.ledger.apply(r.request, now, this.settings.inbox);
      this.probe.settled(r.request, response, now);
      done();
    });
  }
}
