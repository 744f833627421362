import type { WalletRequest } from '../domain/operations.js';
import type { WalletResponse } from '../domain/results.js';
import type { Clock } from '../ports/clock.js';
import type { Random } from '../ports/random.js';
import type { Transport, WalletHandler } from '../ports/transport.js';
import type { Sampler } from './distributions.js';

/** The simulated network between provider and wallet: a one-way delay each way. */
export class SimNetwork implements Transport {
  constructor(
    private readonly clock: Clock,
    private readonly rng: Random,
    private readonly latencyMs: Sampler,
    private readonly wallet: WalletHandler,
  ) {}

  send(request: WalletRequest, onReply: (response: WalletResponse) => void): void {
    const { clock, rng, latencyMs, wallet } = this;
    clock.after(latencyMs(rng), () =>
      wallet.handle(request, (response) => {
        clock.after(latencyMs(rng), () => onReply(response));
      }),
    );
  }
}
