/**
 * What the provider concludes when a retry is refused: a refusal answers for its own txId only.
 * Retried under the same txId it answers for every attempt (the wallet's idempotency replays
 * the first one's fate); under a new txId the first attempt, timed out, may have been applied,
 * so the operation ends open (indeterminate) and a bet is rolled back.
 */
import { describe, expect, it } from 'vitest';
import type { WalletRequest } from '../src/domain/operations.js';
import type { WalletResponse } from '../src/domain/results.js';
import type { OpInfo, Outcome, ProviderObserver } from '../src/provider/observer.js';
import { ArrivalSchedule } from '../src/provider/arrivals.js';
import { Population } from '../src/provider/players.js';
import { Provider } from '../src/provider/provider.js';
import type { ReplyTarget, Transport } from '../src/ports/transport.js';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import { VirtualClock } from '../src/sim/event-queue.js';
import { SeededRandom } from '../src/sim/prng.js';

/** The first attempt of the bet goes unanswered (its answer lost); every later one is refused. */
class FirstLostThenRefused implements Transport {
  readonly sent: WalletRequest[] = [];
  constructor(
    private readonly clock: VirtualClock,
    private readonly refusal: WalletResponse,
  ) {}
  send(request: WalletRequest, target: ReplyTarget, token: number): void {
    this.sent.push(request);
    if (request.kind === 'bet' && token === 1) return;
    const answer: WalletResponse = request.kind === 'bet' ? this.refusal : { code: 'OK', balance: 0 };
    this.clock.call(5, () => target.replied(token, answer), undefined);
  }
}

class Outcomes implements ProviderObserver {
  readonly kinds: string[] = [];
  readonly finishes: { op: number; outcome: Outcome }[] = [];
  opened(info: OpInfo): number {
    this.kinds.push(info.kind);
    return this.kinds.length - 1;
  }
  attemptSent(): void {}
  answered(): void {}
  timedOut(): void {}
  lateAnswer(): void {}
  finished(op: number, outcome: Outcome): void {
    this.finishes.push({ op, outcome });
  }
}

function oneBet(txIds: 'reuse' | 'new') {
  const scenario = compileScenario(
    loadScenario('steady', [
      'traffic.arrivals=uniform',
      'traffic.phases=[{kind: steady, durationSec: 1.5, roundsPerSec: 1}]',
      'provider.timeoutMs=100',
      'provider.retry.maxAttempts=2',
      `provider.retry.txId=${txIds}`,
    ]).scenario,
  );
  const clock = new VirtualClock();
  const transport = new FirstLostThenRefused(clock, { code: 'INSUFFICIENT_FUNDS', balance: 0 });
  const observer = new Outcomes();
  const schedule = new ArrivalSchedule(scenario.phases, scenario.arrivals);
  new Provider(clock, new SeededRandom(1), transport, observer, schedule, new Population(scenario.population), scenario.provider).start();
  clock.run(60_000, 1_000_000);
  return { observer, transport };
}

describe('a retried bet refused after its first attempt timed out', () => {
  it('under a new txId ends open and is rolled back: the first attempt may have taken the money', () => {
    const { observer, transport } = oneBet('new');
    expect(transport.sent.filter((r) => r.kind === 'bet').map((r) => (r as { txId: string }).txId)).toEqual(['b0', 'b0.2']);
    expect(observer.finishes[0]).toEqual({ op: 0, outcome: 'indeterminate' });
    expect(observer.kinds).toEqual(['bet', 'rollback']);
  });

  it('under the same txId is failed, as the refusal answers for every attempt, and nothing is rolled back', () => {
    const { observer } = oneBet('reuse');
    expect(observer.finishes[0]).toEqual({ op: 0, outcome: 'failed' });
    expect(observer.kinds).toEqual(['bet']);
  });
});
