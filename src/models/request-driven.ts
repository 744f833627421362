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

/** An attempt waiting for (or in) a worker. */
interface Pending {
  readonly request: WalletRequest;
  readonly reply: (response: WalletResponse) => void;
}

const shed = (pending: Pending): void => pending.reply(SHED);

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
    if (!this.pool.submitCall(this.serve, { request, reply }, shed)) reply(OVERLOADED);
  }

  /** The worker's transaction, at the end of its service time. */
  private readonly serve = ({ request, reply }: Pending): void => {
    const response = this.ledger.apply(request, this.clock.now());
    if (request.kind !== 'balance') this.probe.settled(request, response, this.clock.now());
    reply(response);
  };

  busy(): boolean {
    return this.pool.queued + this.pool.inService > 0;
  }
}
