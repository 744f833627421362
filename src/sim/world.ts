import { Auditor } from '../check/auditor.js';
import type { MoneyRequest } from '../domain/operations.js';
import type { ModelName, WalletModel, WalletSettings } from '../models/config.js';
import { EventDrivenWallet } from '../models/event-driven.js';
import { RequestDrivenWallet } from '../models/request-driven.js';
import { ArrivalSchedule } from '../provider/arrivals.js';
import { Population } from '../provider/players.js';
import { Provider } from '../provider/provider.js';
import type { RunReport } from '../report/model.js';
import type { CompiledScenario } from '../scenario/compile.js';
import { EmbeddedLog } from './embedded-log.js';
import { VirtualClock } from './event-queue.js';
import { SimNetwork } from './network.js';
import { SeededRandom } from './prng.js';

export interface VirtualRun {
  readonly report: RunReport;
  readonly eventsRun: number;
}

/**
 * One model, one seed, one scenario in the virtual world: a discrete-event loop where hours of
 * traffic take seconds and the same inputs always give the same report.
 */
export function runVirtual(scenario: CompiledScenario, model: ModelName, seed: number): VirtualRun {
  const clock = new VirtualClock();
  clock.addLane(scenario.provider.timeoutMs);
  const rng = new SeededRandom(seed);
  const schedule = new ArrivalSchedule(scenario.phases, scenario.arrivals);
  const population = new Population(scenario.population);
  const auditor = new Auditor(scenario.phases, schedule.endMs);
  const settings: WalletSettings = { ...scenario.wallet, players: population.accounts };
  const wallet = buildWallet(model, clock, rng.derive('wallet'), settings, auditor);
  const network = new SimNetwork(clock, rng.derive('network'), scenario.networkLatencyMs, wallet);
  const provider = new Provider(clock, rng.derive('provider'), network, auditor, schedule, population, scenario.provider);

  provider.start();
  const stop = clock.run(schedule.endMs + scenario.drainTimeoutMs, scenario.maxEvents);
  const report = auditor.report(
    {
      model,
      world: 'virtual',
      stopReason: stop,
      completed: stop === 'drained',
      endMs: clock.now(),
      busyAtEnd: wallet.busy(),
      replays: wallet.ledger.replays,
    },
    population.accounts,
    { entries: wallet.ledger.entries, balances: wallet.ledger.playerBalances(), houseBalance: wallet.ledger.houseBalance },
  );
  return { report, eventsRun: clock.eventsRun };
}

function buildWallet(model: ModelName, clock: VirtualClock, rng: SeededRandom, settings: WalletSettings, auditor: Auditor): WalletModel {
  if (model === 'request') return new RequestDrivenWallet(clock, rng, settings, auditor);
  let wallet: EventDrivenWallet | undefined;
  const log = new EmbeddedLog<MoneyRequest>(clock, {
    partitions: settings.event.partitions,
    consumers: settings.event.consumers,
    commitEvery: settings.event.commitEvery,
    onLag: (lagMs, backlog, now) => auditor.logLag(lagMs, backlog, now),
    onDrained: (now) => wallet?.checkIdle(now),
  });
  wallet = new EventDrivenWallet(clock, rng, settings, log, auditor);
  return wallet;
}
