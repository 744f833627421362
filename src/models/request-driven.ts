import { Ledger } from '../domain/ledger.js';
import type { WalletResponse } from '../domain/results.js';
import type { Clock } from '../ports/clock.js';
import type { Random } from '../ports/random.js';
import type { Exchange } from '../ports/transport.js';
import type { WalletModel, WalletSettings } from './config.js';
import type { WalletProbe } from './probe.js';
import { shedExchange } from './shed.js';
import { WorkerPool } from './worker-pool.js';

const OVERLOADED: WalletResponse = Object.freeze({ code: 'OVERLOADED', message: 'request queue is full' });

/**
 * Request-driven wallet: every attempt waits for a worker (a database connection), is applied
 * and answered synchronously. Settlement is the ack.
 */
export class RequestDrivenWallet implements WalletModel {
  readonly ledger: Ledger;
  private readonly pool: WorkerPool<Exchange>;

  constructor(
    private readonly clock: Clock,
    rng: Random,
    settings: WalletSettings,
    private readonly probe: WalletProbe,
    slowdown?: (nowMs: number) => number,
  ) {
    this.ledger = new Ledger({ idempotency: settings.idempotency, players: settings.players, safety: settings.safety });
    this.pool = new WorkerPool(clock, rng.derive('service'), {
      ...settings.request,
      slowdown,
      onQueueDepth: (depth, now) => probe.queueDepth(depth, now),
      onIdle: (now) => probe.idle(now),
    }, this.serve, shedExchange);
  }

  handle(exchange: Exchange): void {
    if (!this.pool.submit(exchange)) exchange.reply(OVERLOADED);
  }

  /** The worker's transaction, at the end of its service time. */
  private readonly serve = (exchange: Exchange): void => {
    const { request } = exchange;
    const response = this.ledger.apply(request, this.clock.now());
    if (request.kind !== 'balance') this.probe.settled(request, response, this.clock.now());
    exchange.reply(response);
  };

  backlog(): number {
    return 0;
  }

  busy(): boolean {
    return this.pool.queued + this.pool.inService > 0;
  }
}
