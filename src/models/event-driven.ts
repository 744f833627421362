import { Ledger } from '../domain/ledger.js';
import type { MoneyRequest, WalletRequest } from '../domain/operations.js';
import { validationProblem } from '../domain/operations.js';
import type { WalletResponse } from '../domain/results.js';
import type { Clock } from '../ports/clock.js';
import type { CommandLog, LogRecord } from '../ports/log.js';
import type { Random } from '../ports/random.js';
import type { WalletModel, WalletSettings } from './config.js';
import type { WalletProbe } from './probe.js';
import { AcceptedTxIds } from './accepted-txids.js';
import { WorkerPool } from './worker-pool.js';

const OVERLOADED: WalletResponse = Object.freeze({ code: 'OVERLOADED', message: 'ingest queue is full' });
const ACCEPTED: WalletResponse = Object.freeze({ code: 'OK', accepted: true });

/**
 * Event-driven wallet: the API validates, appends the operation to a log partitioned by player
 * and answers "accepted" at once; consumers apply the log at their own pace. Balances lag, and a
 * bet accepted beyond the balance is rejected later (a late rejection).
 *
 * Idempotency lives at the API (a store of txIds seen at ingest, so a retry is not appended
 * twice); the inbox lives at the consumer (txIds already applied, so redelivery after a crash is
 * a no-op). Each can be switched off on its own, which is what trainers show.
 */
export class EventDrivenWallet implements WalletModel {
  readonly ledger: Ledger;
  private readonly ingest: WorkerPool;
  private readonly accepted = new AcceptedTxIds();
  private readonly applyRng: Random;

  constructor(
    private readonly clock: Clock,
    rng: Random,
    private readonly settings: WalletSettings,
    private readonly log: CommandLog<MoneyRequest>,
    private readonly probe: WalletProbe,
    slowdown?: (nowMs: number) => number,
  ) {
    this.ledger = new Ledger({ idempotency: settings.inbox, players: settings.players, safety: settings.safety });
    this.ingest = new WorkerPool(clock, rng.derive('ingest'), {
      ...settings.event.ingest,
      onQueueDepth: (depth, now) => probe.queueDepth(depth, now),
      onIdle: (now) => this.checkIdle(now),
    });
    this.applyRng = rng.derive('apply');
    this.log.consume((record, done) => this.apply(record, done, slowdown));
  }

  handle(request: WalletRequest, reply: (response: WalletResponse) => void): void {
    if (request.kind === 'balance') {
      reply(this.ledger.apply(request, this.clock.now()));
      return;
    }
    if (!this.ingest.submit(() => this.accept(request, reply))) reply(OVERLOADED);
  }

  busy(): boolean {
    return this.ingest.queued + this.ingest.inService + this.log.backlog() > 0;
  }

  /** Called when the log drains; the wallet is idle only if the API is idle too. */
  checkIdle(nowMs: number): void {
    if (!this.busy()) this.probe.idle(nowMs);
  }

  private accept(request: MoneyRequest, reply: (response: WalletResponse) => void): void {
    const problem = validationProblem(request);
    if (problem !== null) return reply({ code: 'INVALID_REQUEST', message: problem });
    const known = this.settings.idempotency ? this.accepted.known(request) : undefined;
    if (known !== undefined) return reply(known);
    this.log.append(request.playerId, request, () => reply(ACCEPTED));
  }

  private apply(record: LogRecord<MoneyRequest>, done: () => void, slowdown?: (nowMs: number) => number) {
    const factor = slowdown?.(this.clock.now()) ?? 1;
    return this.clock.after(this.settings.event.applyMs(this.applyRng) * factor, () => {
      const response = this.ledger.apply(record.value, this.clock.now());
      this.probe.settled(record.value, response, this.clock.now());
      done();
    });
  }
}
