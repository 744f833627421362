import type { WalletRequest } from '../domain/operations.js';
import type { WalletResponse } from '../domain/results.js';
import type { Clock } from '../ports/clock.js';
import type { Random } from '../ports/random.js';
import type { Transport, WalletHandler } from '../ports/transport.js';
import type { Sampler } from './distributions.js';
import type { WorldFaults } from './faults.js';

/**
 * The simulated network between provider and wallet: a one-way delay each way. Faults act
 * here: a request held back (so a rollback overtakes it), an answer that never arrives.
 */
export class SimNetwork implements Transport {
  constructor(
    private readonly clock: Clock,
    private readonly rng: Random,
    private readonly latencyMs: Sampler,
    private readonly wallet: WalletHandler,
    private readonly faults?: WorldFaults,
  ) {}

  send(request: WalletRequest, onReply: (response: WalletResponse) => void): void {
    const { clock, rng, latencyMs, wallet, faults } = this;
    const extraMs = faults === undefined ? 0 : faults.requestDelayMs(request, clock.now());
    clock.after(latencyMs(rng) + extraMs, () =>
      wallet.handle(request, (response) => {
        if (faults !== undefined && faults.dropResponse(clock.now())) return;
        clock.after(latencyMs(rng), () => onReply(response));
      }),
    );
  }
}
