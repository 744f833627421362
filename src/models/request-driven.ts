import { Ledger } from '../domain/ledger.js';
import type { WalletRequest } from '../domain/operations.js';
import type { WalletResponse } from '../domain/results.js';
import type { Clock } from '../ports/clock.js';
import type { Random } from '../ports/random.js';
import type { WalletModel, WalletSettings } from './config.js';
import type { WalletProbe } from './probe.js';
import { WorkerPool } from './worker-pool.js';

const OVERLOADED: WalletResponse = Object.freeze({ code: 'OVERLOADED', message: 'request queue is full' });
const SHED: WalletResponse = Object.freeze({ code: 'TEMPORARY_ERROR', message: 'waited past the queue deadline; not processed' });

/**
 * Request-driven wallet: every attempt waits for a worker (a database connection), is applied
 * and answered synchronously. Settlement is the ack.
 */
export class RequestDrivenWallet implements WalletModel {
  readonly ledger: Ledger;
  private readonly pool: WorkerPool;

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
    });
  }

  handle(request: WalletRequest, reply: (response: WalletResponse) => void): void {
    const admitted = this.pool.submit(() => {
      const response = this.ledger.apply(request, this.clock.now());
      if (request.kind !== 'balance') this.probe.settled(request, response, this.clock.now());
      reply(response);
    }, () => reply(SHED));
    if (!admitted) reply(OVERLOADED);
  }

  busy(): boolean {
    return this.pool.queued + this.pool.inService > 0;
  }
}
