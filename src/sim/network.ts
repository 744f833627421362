import type { WalletRequest } from '../domain/operations.js';
import type { WalletResponse } from '../domain/results.js';
import type { Clock } from '../ports/clock.js';
import type { Random } from '../ports/random.js';
import type { AnswerLostListener, Exchange, ReplyTarget, Transport, WalletHandler } from '../ports/transport.js';
import type { Sampler } from './distributions.js';
import type { NetworkFaults } from './faults.js';

/**
 * One attempt on the wire: the request on its way in, then its answer on its way back. It is
 * the wallet's exchange, so a hop costs this one record and no closure.
 */
class InFlight implements Exchange {
  response: WalletResponse | undefined = undefined;
  constructor(
    readonly network: SimNetwork,
    readonly request: WalletRequest,
    readonly target: ReplyTarget,
    readonly token: number,
  ) {}
  /** The wallet's answer, as it leaves the wallet. */
  reply(response: WalletResponse): void {
    this.network.answered(this, response);
  }
}

const arrive = (f: InFlight): void => f.network.wallet.handle(f);
const deliver = (f: InFlight): void => f.target.replied(f.token, f.response!);

/**
 * The simulated network between provider and wallet: a one-way delay each way. Faults act
 * here: a request held back (so a rollback overtakes it), an answer that never arrives.
 * Messages travel as clock calls with a small record each, not a closure per hop.
 */
export class SimNetwork implements Transport {
  /**
   * Answers flagged as replays (the wallet knew the txId: a duplicate prevented), counted as they
   * leave the wallet, whichever part of it answered (API or ledger), lost on the way or not.
   */
  replays = 0;

  constructor(
    private readonly clock: Clock,
    private readonly rng: Random,
    private readonly latencyMs: Sampler,
    /** @internal for InFlight */
    readonly wallet: WalletHandler,
    /** Absent when the plan has no network fault (see WorldFaults.network). */
    private readonly faults?: NetworkFaults,
    private readonly onAnswerLost?: AnswerLostListener,
  ) {}

  send(request: WalletRequest, target: ReplyTarget, token: number): void {
    const { clock, faults } = this;
    const extraMs = faults === undefined ? 0 : faults.requestDelayMs(request, clock.now());
    clock.call(this.latencyMs(this.rng) + extraMs, arrive, new InFlight(this, request, target, token));
  }

  /** @internal for InFlight */
  answered(f: InFlight, response: WalletResponse): void {
    const { clock, faults } = this;
    if (response.replay === true) this.replays++;
    if (faults !== undefined && faults.dropResponse(clock.now())) {
      this.onAnswerLost?.(f.request, f.token, response, clock.now());
      return;
    }
    f.response = response;
    clock.call(this.latencyMs(this.rng), deliver, f);
  }
}
