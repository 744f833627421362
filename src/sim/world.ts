import { Auditor } from '../check/auditor.js';
import type { IntervalFigures } from '../check/series.js';
import { buildWallet } from '../models/build.js';
import type { ModelName, WalletModel, WalletSettings } from '../models/config.js';
import { ArrivalSchedule } from '../provider/arrivals.js';
import { Population } from '../provider/players.js';
import { Provider } from '../provider/provider.js';
import type { RunReport } from '../report/model.js';
import type { CompiledScenario } from '../scenario/compile.js';
import type { ModelTrace } from '../trace/model.js';
import { observerFor, probeFor, type TraceRecorder } from '../trace/recorder.js';
import { modelTrace } from '../trace/timeline.js';
import { VirtualClock, type StopReason } from './event-queue.js';
import { WorldFaults } from './faults.js';
import { SimNetwork } from './network.js';
import { SeededRandom } from './prng.js';

export interface VirtualRun {
  readonly report: RunReport;
  readonly eventsRun: number;
  /** The story of each traced player (VirtualOptions.trace), when any was asked for. */
  readonly trace?: ModelTrace;
  /** The player of the report's first problem about one (see Audit): the one `trace it:` names. */
  readonly firstProblemPlayer?: string;
}

export interface VirtualOptions {
  /** Length of one interval of the report's series, in run milliseconds. */
  readonly intervalMs?: number;
  /** Called as each interval closes: live figures for a dashboard. */
  readonly onInterval?: (figures: IntervalFigures) => void;
  /** Test-only: a ledger safety mechanism switched off (the swarm must notice). */
  readonly safety?: WalletSettings['safety'];
  /** Players whose story to record (--trace). None: the provider reports to the checker alone. */
  readonly trace?: readonly string[];
}

/**
 * One model, one seed, one scenario in the virtual world: a discrete-event loop where hours of
 * traffic take seconds and the same inputs always give the same report. It can run in one go
 * or in slices of virtual time (a paced dashboard); slicing never changes the result.
 */
export class VirtualWorld {
  readonly clock = new VirtualClock();
  readonly deadlineMs: number;
  readonly faults: WorldFaults;
  private readonly auditor: Auditor;
  private readonly wallet: WalletModel;
  private readonly population: Population;
  private readonly network: SimNetwork;
  private readonly recorder: TraceRecorder | undefined;
  private stop: StopReason | undefined;

  constructor(
    private readonly scenario: CompiledScenario,
    private readonly model: ModelName,
    seed: number,
    options: VirtualOptions = {},
  ) {
    const { clock } = this;
    clock.addLane(scenario.provider.timeoutMs);
    const rng = new SeededRandom(seed);
    const schedule = new ArrivalSchedule(scenario.phases, scenario.arrivals);
    this.deadlineMs = schedule.endMs + scenario.drainTimeoutMs;
    this.population = new Population(scenario.population);
    this.faults = new WorldFaults(scenario.faults, rng.derive('faults'), seed);
    this.auditor = new Auditor(scenario.phases, schedule.endMs, options);
    const { observer, recorder } = observerFor(this.auditor, options.trace);
    this.recorder = recorder;
    const settings: WalletSettings = { ...scenario.wallet, players: this.population.accounts, safety: options.safety };
    const probe = probeFor(this.auditor, recorder, model !== 'request');
    const built = buildWallet(model, clock, rng.derive('wallet'), settings, probe, this.faults.walletHooks);
    this.wallet = built.wallet;
    this.faults.schedule(clock, built.log, schedule.endMs, this.deadlineMs);
    this.network = new SimNetwork(clock, rng.derive('network'), scenario.networkLatencyMs, this.wallet, this.faults.network, recorder?.answerLost);
    new Provider(clock, rng.derive('provider'), this.network, observer, schedule, this.population, scenario.provider, this.faults.traffic).start();
    // Convergence counts from the end of the traffic: a wallet idle at that moment has converged,
    // even if the wins of rounds still being played keep it busy now and then afterwards.
    clock.call(schedule.endMs, (auditor: Auditor) => {
      if (!this.wallet.busy()) auditor.idle(clock.now());
    }, this.auditor);
  }

  /** Runs events up to untilMs (virtual); true once the run is over. */
  advance(untilMs: number): boolean {
    if (this.stop !== undefined) return true;
    const reason = this.clock.run(Math.min(untilMs, this.deadlineMs), this.scenario.maxEvents);
    if (reason === 'deadline' && untilMs < this.deadlineMs) return false;
    this.stop = reason;
    return true;
  }

  finish(): VirtualRun {
    this.advance(Infinity);
    const { clock, wallet, stop } = this;
    const { report, firstProblemPlayer } = this.auditor.audit(
      {
        model: this.model,
        world: 'virtual',
        stopReason: stop!,
        completed: stop === 'drained',
        // Cut at the deadline: the run lasted until it, though the clock stays at its last event
        // (a worker busy past it schedules nothing before), as a real run's end is its deadline.
        endMs: stop === 'deadline' ? this.deadlineMs : clock.now(),
        busyAtEnd: wallet.busy(),
        replays: this.network.replays,
        faults: this.faults.counts,
      },
      this.population.accounts,
      {
        entries: wallet.ledger.journal,
        balances: wallet.ledger.playerBalances(),
        houseBalance: wallet.ledger.houseBalance,
        // Only a run that drained has nothing left to settle. One stopped early (q, Ctrl-C, its
        // deadline, the event limit) may hold a stake rightly, its post still on its way to the
        // log, even at a moment when the wallet's queues and log are empty (not busy).
        held: stop === 'drained' ? wallet.ledger.heldStakes() : undefined,
      },
      this.recorder?.verdicts,
    );
    return { report, eventsRun: clock.eventsRun, ...this.traced(), ...(firstProblemPlayer !== undefined && { firstProblemPlayer }) };
  }

  private traced(): { trace?: ModelTrace } {
    if (this.recorder === undefined) return {};
    const initialBalance = (id: string) => this.population.byId.get(id)?.initialBalance ?? 0;
    return { trace: modelTrace(this.model, this.recorder, { entries: this.wallet.ledger.journal }, initialBalance) };
  }
}

export function runVirtual(scenario: CompiledScenario, model: ModelName, seed: number, options: VirtualOptions = {}): VirtualRun {
  return new VirtualWorld(scenario, model, seed, options).finish();
}
