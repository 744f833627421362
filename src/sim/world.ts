import { Auditor } from '../check/auditor.js';
import type { MoneyRequest } from '../domain/operations.js';
import type { LogSettings, ModelName, WalletModel, WalletSettings } from '../models/config.js';
import { EventDrivenWallet } from '../models/event-driven.js';
import { HybridWallet, type HybridRecord } from '../models/hybrid.js';
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
  // The log tells the wallet when it drains; the wallet exists only after the log, hence `idle`.
  let idle: (nowMs: number) => void = () => {};
  if (model === 'event') {
    const wallet = new EventDrivenWallet(clock, rng, settings, embeddedLog<MoneyRequest>(clock, settings.event, auditor, (now) => idle(now)), auditor);
    idle = (now) => wallet.checkIdle(now);
    return wallet;
  }
  const wallet = new HybridWallet(clock, rng, settings, embeddedLog<HybridRecord>(clock, settings.hybrid, auditor, (now) => idle(now)), auditor);
  idle = (now) => wallet.checkIdle(now);
  return wallet;
}

function embeddedLog<T>(clock: VirtualClock, settings: LogSettings, auditor: Auditor, onDrained: (nowMs: number) => void): EmbeddedLog<T> {
  return new EmbeddedLog<T>(clock, {
    partitions: settings.partitions,
    consumers: settings.consumers,
    commitEvery: settings.commitEvery,
    onLag: (lagMs, backlog, now) => auditor.logLag(lagMs, backlog, now),
    onDrained,
  });
}
