import { Auditor, type RunEnd } from '../check/auditor.js';
import { entryListOf } from '../domain/journal.js';
import { ControlClient, type Health } from '../drivers/http/audit.js';
import { HttpTransport, type TransportStats } from '../drivers/http/client.js';
import type { KafkaTransport } from '../drivers/kafka/transport.js';
import { RealClock } from '../drivers/real-clock.js';
import { EXIT, WalletstormError } from '../errors.js';
import { trafficFaultHooks, type TrafficFaultCounts } from '../faults/traffic.js';
import type { WalletProbe } from '../models/probe.js';
import type { Random } from '../ports/random.js';
import type { Transport } from '../ports/transport.js';
import { ArrivalSchedule } from '../provider/arrivals.js';
import { ofOtherSegment, Population, type Segment } from '../provider/players.js';
import { Provider } from '../provider/provider.js';
import { LatencyHistogram } from '../report/histogram.js';
import type { KafkaRunReport, RunReport, SendsReport } from '../report/model.js';
import type { CompiledScenario } from '../scenario/compile.js';
import { SeededRandom } from '../sim/prng.js';
import { entrySourceOf } from '../trace/ledger-side.js';
import type { ModelTrace } from '../trace/model.js';
import { observerFor, probeFor, type TraceRecorder } from '../trace/recorder.js';
import { modelTrace, type TracedLedger } from '../trace/timeline.js';
import { goneVerdict, HealthWatch, notAWalletError, unreachableWhy } from './health-watch.js';
import { auditedReport, balancesReport, type Reconciled, unchecked, withUnknownPlayers } from './reconcile.js';
import { readTargetStart, type TargetStart } from './target-start.js';

export interface RealRunOptions {
  readonly scenario: CompiledScenario;
  /** http://127.0.0.1:PORT of the wallet. */
  readonly origin: string;
  readonly connections: number;
  readonly seed: number;
  /** How long the run may go on after the traffic to finish retries and settlements. */
  readonly drainTimeoutMs: number;
  /** After an interrupt: how long requests in flight may take to answer. */
  readonly interruptDrainMs?: number;
  /** No readable answer, and only connection errors or unreadable answers, for this long: the target is gone. */
  readonly unreachableAfterMs?: number;
  /** Aborted: stop sending, drain briefly, report what happened (SIGINT or SIGTERM). */
  readonly signal?: AbortSignal;
  /** Put before every txId on the wire (default: one made for the run from the time and a random draw). */
  readonly txIdPrefix?: string;
  /** Called about once a second with the run's clock and counts, for a progress line. */
  readonly onTick?: (tick: { nowMs: number; trafficMs: number; ops: number; stats: TransportStats }) => void;
  /**
   * Send over Kafka instead of HTTP: the provider's attempts become command records; the
   * wallet at `origin` (a `serve --brokers`) is still read for health and the audit.
   */
  readonly kafka?: (ctx: { clock: RealClock; rng: Random; txIdPrefix: string }) => KafkaTransport;
  /** Players whose story to record (--trace), the wallet's side read from its audit endpoint. */
  readonly trace?: readonly string[];
  /** This load generator's share of the players, when several drive the wallet at once (--segment). */
  readonly segment?: Segment;
}

/** What the runner needs of a transport: HTTP and Kafka both provide it. */
interface RealTransport extends Transport {
  /** Its own connection count for the report: --connections over HTTP, 0 over Kafka (no pool). */
  readonly connections: number;
  readonly stats: TransportStats;
  readonly outstanding: number;
  onSentLatency: (ms: number) => void;
  warmUp(): Promise<void>;
  stop(): void;
  close(): Promise<void>;
}

/** A report of a real run: the simulator's, with the real world's fields always present. */
export type RealRunReport = RunReport & { readonly transport: 'http' | 'kafka'; readonly interrupted: boolean; readonly sends: SendsReport };

export interface RealRun {
  readonly report: RealRunReport;
  /**
   * Why it ended, when not on its own: the command maps these to 130 and 3. 'not-a-wallet': the
   * target answered, but never with a result code (docs/protocol.md), so it is not a wallet.
   */
  readonly ended: 'completed' | 'interrupted' | 'unreachable' | 'not-a-wallet';
  /** For 'unreachable': what failed, for the message. */
  readonly reason?: string;
  /** For 'not-a-wallet': the typed error to report once the partial report is written. */
  readonly error?: WalletstormError;
  /** The story of each traced player (RealRunOptions.trace), when any was asked for. */
  readonly trace?: ModelTrace;
}

const TICK_MS = 50;
const HEALTH_EVERY_MS = 100;

/**
 * The real world's runner: the simulator's Provider and Auditor on a real clock, sending over
 * HTTP (or Kafka) to a wallet that runs elsewhere. Where runVirtual reads the ledger directly, this one
 * reads the wallet's audit endpoint (or balances alone) and its /healthz for queue and lag.
 */
export async function runReal(options: RealRunOptions): Promise<RealRun> {
  const control = new ControlClient(options.origin);
  try {
    const population = new Population(options.scenario.population, options.segment);
    const start = await readTargetStart(control, options.origin, population.accounts, options.kafka !== undefined);
    return await new RealRunSession(options, control, start, population).run();
  } finally {
    await control.close();
  }
}

type Ended = RealRun['ended'];

/**
 * One real run, phase by phase: the traffic, the drain of what is in flight, the wait for the
 * wallet to settle, the reading of its final state. What the phases learn (why the run ended,
 * whether the wallet is gone or still busy) is kept here and decides what the next ones do.
 */
class RealRunSession {
  private readonly clock = new RealClock();
  private readonly schedule: ArrivalSchedule;
  private readonly auditor: Auditor;
  private readonly recorder: TraceRecorder | undefined;
  /** The wallet's settlements as this side learns them (the results topic, or the audit at the end). */
  private readonly probe: WalletProbe;
  private readonly kafka: KafkaTransport | undefined;
  private readonly transport: RealTransport;
  private readonly provider: Provider;
  private readonly txIdPrefix: string;
  private readonly sentLatency = new LatencyHistogram();
  private readonly trafficCounts: TrafficFaultCounts = { hotPlayerRounds: 0, roundsCancelled: 0 };
  private readonly unreachableAfterMs: number;
  private readonly walletHealth: HealthWatch;
  private healthInFlight = false;

  private ended: Ended = 'completed';
  private stopReason = 'drained';
  /** For 'unreachable': what failed. */
  private reason: string | undefined;
  /** A target that is gone (or not a wallet) has nothing to drain, converge or reconcile. */
  private gone = false;
  /** The wallet still had work when the run stopped waiting for it. */
  private busyAtEnd = false;
  /**
   * The wallet said, after the traffic, that it had nothing queued and nothing left in its log:
   * what it has neither applied nor refused by then, it never will.
   */
  private idleAtEnd = false;
  /** Attempts the provider still held back for a connection when sending stopped: never sent. */
  private heldAtStop = 0;

  constructor(
    private readonly options: RealRunOptions,
    private readonly control: ControlClient,
    private readonly start: TargetStart,
    population: Population,
  ) {
    const { scenario } = options;
    const rng = new SeededRandom(options.seed);
    this.txIdPrefix = options.txIdPrefix ?? runTxIdPrefix();
    this.clock.addLane(scenario.provider.timeoutMs);
    this.schedule = new ArrivalSchedule(scenario.phases, scenario.arrivals);
    this.auditor = new Auditor(scenario.phases, this.schedule.endMs);
    const { observer, recorder } = observerFor(this.auditor, options.trace);
    this.recorder = recorder;
    this.probe = probeFor(this.auditor, recorder, true);
    this.kafka = options.kafka?.({ clock: this.clock, rng: rng.derive('duplicate-delivery'), txIdPrefix: this.txIdPrefix });
    this.transport = this.kafka ?? this.httpTransport(scenario, rng);
    if (this.kafka !== undefined) {
      this.kafka.probe = this.probe;
      this.kafka.onAttemptDropped = recorder?.attemptDropped;
    }
    this.transport.onSentLatency = (ms) => this.sentLatency.recordMs(ms);
    // The traffic faults (a hot player, cancelled rounds) change what the provider sends: they apply here as in the simulator.
    const traffic = trafficFaultHooks(scenario.faults, options.seed, this.trafficCounts);
    this.provider = new Provider(this.clock, rng.derive('provider'), this.transport, observer, this.schedule, population, scenario.provider, traffic);
    this.unreachableAfterMs = options.unreachableAfterMs ?? 3000;
    this.walletHealth = new HealthWatch(this.kafka !== undefined && start.health !== undefined, this.unreachableAfterMs);
  }

  async run(): Promise<RealRun> {
    await this.warmUp();
    await this.sendTraffic();
    this.stopSending();
    await this.drainInFlight();
    await this.awaitWalletIdle();
    await this.awaitKafkaCaughtUp();
    return this.finish();
  }

  private httpTransport(scenario: CompiledScenario, rng: Random): HttpTransport {
    return new HttpTransport({
      origin: this.options.origin,
      connections: this.options.connections,
      timeoutMs: scenario.provider.timeoutMs,
      clock: this.clock,
      responseLoss: scenario.faults.responseLoss,
      rng: rng.derive('response-loss'),
      txIdPrefix: this.txIdPrefix,
      onAnswerLost: this.recorder?.answerLost,
      onAttemptDropped: this.recorder?.attemptDropped,
    });
  }

  /** Over HTTP a failed warm-up is the run's first figure; over Kafka the results consumer must be in place. */
  private async warmUp(): Promise<void> {
    const { kafka } = this;
    if (kafka === undefined) {
      await this.transport.warmUp().catch(() => {});
      return;
    }
    await kafka.warmUp().catch(async (cause: Error) => {
      await kafka.close().catch(() => {});
      throw new WalletstormError('E_KAFKA', `could not start reading results from Kafka: ${cause.message}`, EXIT.unreachable, 'check that the broker is up (scripts/kafka-local.sh status)', { cause });
    });
  }

  /** The traffic on the real clock, until it is over and answered, or the run is cut short. */
  private async sendTraffic(): Promise<void> {
    const { clock, options, schedule, transport } = this;
    clock.restart();
    // Ctrl-C while the wallet was starting (its child, the broker's topics) asked for no traffic at all.
    if (options.signal?.aborted !== true) this.provider.start();
    let lastHealthAt = -Infinity;
    let lastTickAt = 0;
    for (;;) {
      await sleep(TICK_MS);
      const now = clock.now();
      if (now - lastHealthAt >= HEALTH_EVERY_MS) {
        lastHealthAt = now;
        this.sampleHealth();
      }
      if (options.onTick !== undefined && now - lastTickAt >= 1000) {
        lastTickAt = now;
        options.onTick({ nowMs: now, trafficMs: schedule.endMs, ops: this.auditor.ops.length, stats: transport.stats });
      }
      if (options.signal?.aborted) return this.endAs('interrupted');
      const verdict = goneVerdict(transport.stats, now, this.unreachableAfterMs) ?? this.walletHealth.verdict(now);
      if (verdict !== undefined) return this.endAs(verdict);
      if (now >= schedule.endMs && clock.pending === 0 && transport.outstanding === 0) return;
      if (now > schedule.endMs + options.drainTimeoutMs) {
        this.stopReason = 'deadline';
        return;
      }
    }
  }

  private endAs(ended: Exclude<Ended, 'completed'>): void {
    this.ended = ended;
    this.stopReason = ended;
  }

  /** The wallet's queue and lag, sampled in the background (one request at a time). */
  private sampleHealth(): void {
    const { auditor, clock } = this;
    if (this.start.health === undefined || this.healthInFlight) return;
    this.healthInFlight = true;
    void this.healthNow()
      .then((h) => {
        if (h === undefined) return;
        const now = clock.now();
        auditor.queueDepth(h.queueDepth, now);
        if (h.logBacklog > 0 || h.logLagMs > 0) auditor.logLag(h.logLagMs, h.logBacklog, now);
        if (!h.busy) auditor.idle(now);
      })
      .finally(() => (this.healthInFlight = false));
  }

  /** Stops the provider where it stands; answers to requests in flight still count. */
  private stopSending(): void {
    this.auditor.sendingStopped(this.clock.now());
    this.clock.halt();
    this.transport.stop();
    // Attempts held back for a connection were never sent: dropped, as the sends waiting in the transport are.
    this.heldAtStop = this.provider.heldRounds;
    this.gone = this.ended === 'unreachable' || this.ended === 'not-a-wallet';
  }

  /** A run cut short gives what is in flight a few seconds to answer. */
  private async drainInFlight(): Promise<void> {
    const { clock, transport } = this;
    const drainUntil = clock.now() + (this.ended === 'completed' ? 0 : (this.options.interruptDrainMs ?? 3000));
    while (transport.outstanding > 0 && clock.now() < drainUntil && !this.gone) await sleep(TICK_MS);
  }

  /**
   * Over Kafka the wallet can die while its commands still wait in the topic: given up as the
   * polling loop gives it up, without waiting for a convergence that cannot come.
   */
  private walletDied(): boolean {
    this.sampleHealth();
    if (this.walletHealth.verdict(this.clock.now()) === undefined) return false;
    this.endAs('unreachable');
    this.gone = true;
    return true;
  }

  /** Convergence: the wallet may still be applying its log after the last answer. */
  private async awaitWalletIdle(): Promise<void> {
    const { auditor, clock, options } = this;
    if (this.start.health === undefined) return auditor.idle(clock.now());
    if (this.gone) return;
    const until = clock.now() + (this.ended === 'completed' ? Math.max(0, this.schedule.endMs + options.drainTimeoutMs - clock.now()) : 2000);
    for (;;) {
      if (options.signal?.aborted && this.ended === 'completed') {
        // Interrupted while waiting for the wallet to settle: whether it would have is unknown.
        this.endAs('interrupted');
        this.busyAtEnd = true;
        return;
      }
      const h = await this.healthNow();
      if (h === undefined && this.walletHealth.failing) {
        if (this.walletDied() || clock.now() >= until) return;
      } else if (h === undefined) {
        return;
      } else if (!h.busy) {
        auditor.idle(clock.now());
        // A wallet whose log is on Kafka counts a record in its backlog only once a consumer has
        // fetched it, and with several instances in its group it sees its own partitions alone:
        // its busy: false may come while a command it answered `accepted` is still on the broker.
        // Convergence may take it; the rules that call an unapplied operation lost may not.
        this.idleAtEnd = !h.logOnKafka;
        return;
      } else if (clock.now() >= until) {
        this.gaveUpWaiting();
        return;
      }
      await sleep(TICK_MS);
    }
  }

  /** The wallet's /healthz now, its answer or failure told to the health watch; undefined when it failed or has none. */
  private healthNow(): Promise<Health | undefined> {
    return this.control.health(1000).then(
      (answer) => (this.walletHealth.answered(), answer),
      (error: Error) => void this.walletHealth.failed(this.clock.now(), error),
    );
  }

  /**
   * Over Kafka the wallet's own "busy" cannot see commands it has not fetched yet (after a lost
   * broker, say): converged means its group's lag is 0, and every result has been read.
   */
  private async awaitKafkaCaughtUp(): Promise<void> {
    const { kafka, clock, options } = this;
    if (kafka === undefined || this.gone) return;
    const remainingMs = this.ended === 'completed' ? Math.max(10_000, this.schedule.endMs + options.drainTimeoutMs - clock.now()) : 2000;
    // Ctrl-C ends this wait as it ends the others: it can last the whole drain (a group whose
    // consumers are down). An interrupt before it still gets its 2 s.
    const interruptedNow = () => this.ended === 'completed' && options.signal?.aborted === true;
    if (await kafka.catchUp(remainingMs, () => this.walletDied() || interruptedNow())) this.auditor.idle(clock.now());
    else this.gaveUpWaiting();
    if (interruptedNow()) this.endAs('interrupted');
  }

  /**
   * The wallet still had work when the wait for it ran out. A run that was not cut short ends at
   * its drain deadline then, as the simulator's does when its wallet's log is still busy there:
   * not drained, whatever the provider's side finished.
   */
  private gaveUpWaiting(): void {
    this.busyAtEnd = true;
    if (this.ended === 'completed') this.stopReason = 'deadline';
  }

  private async finish(): Promise<RealRun> {
    const endMs = this.clock.now();
    const finalHealth = this.gone ? undefined : await this.control.health(1000).catch(() => undefined);
    await this.transport.close();
    const kafkaReport = this.kafka?.report();
    const end = this.runEnd(endMs, finalHealth, kafkaReport);
    const { report, ledger } = await this.checkedReport(end);
    return this.realRun(end, report, ledger, kafkaReport);
  }

  private runEnd(endMs: number, finalHealth: Health | undefined, kafkaReport: KafkaRunReport | undefined): RunEnd {
    return {
      model: this.start.health?.model ?? 'target',
      world: 'real',
      stopReason: this.stopReason,
      completed: this.stopReason === 'drained',
      endMs,
      busyAtEnd: this.busyAtEnd,
      replays: this.transport.stats.replays,
      // The real world injects the response loss (client side) and the traffic faults; the others
      // act inside the simulated world, or in the wallet and the producer (crashes, redeliveries).
      faults: {
        responsesLost: this.transport.stats.responsesLost,
        betsDelayed: 0,
        redeliveries: kafkaReport?.producedTwice ?? 0,
        // The wallet counts its crashes since it started: a wallet given with --wallet may have
        // crashed before this run, and those are not this run's.
        consumerCrashes: Math.max(0, (finalHealth?.consumerCrashes ?? 0) - (this.start.health?.consumerCrashes ?? 0)),
        rebalances: 0,
        ...this.trafficCounts,
      },
    };
  }

  /** The report, checked against the wallet's final state where it could be read. */
  private async checkedReport(end: RunEnd): Promise<{ report: RunReport; ledger: TracedLedger }> {
    // What the trace reads of the wallet: its audit entries, once read.
    const unread: TracedLedger = { unread: this.start.auditStartSeq === undefined ? 'the target has no audit endpoint' : "the wallet's ledger was not read" };
    if (this.ended === 'unreachable') {
      this.reason = `stopped answering mid-run (${this.walletHealth.why() ?? unreachableWhy(this.transport.stats, this.unreachableAfterMs)})`;
    }
    if (this.ended === 'not-a-wallet') return { report: unchecked(this.neutral(end), 'the target does not speak the walletstorm protocol (docs/protocol.md)'), ledger: unread };
    if (this.gone) return { report: unchecked(this.neutral(end)), ledger: unread };
    try {
      const reconciled = await unlessInterrupted(this.reconcile(end), this.options.signal);
      return { report: reconciled.report, ledger: reconciled.entries === undefined ? unread : { entries: entrySourceOf(reconciled.entries) } };
    } catch (error) {
      return { report: this.unreadFinalState(end, error as Error), ledger: unread };
    }
  }

  /** The report with nothing reconciled: every player where it started. */
  private neutral(end: RunEnd): RunReport {
    const { players } = this.start;
    return this.auditor.report(end, players, { entries: entryListOf([]), balances: new Map(players.map((p) => [p.id, p.initialBalance])) });
  }

  private async reconcile(end: RunEnd): Promise<Reconciled> {
    const { auditor, control, start, ended } = this;
    const verdicts = this.recorder?.verdicts;
    if (start.auditStartSeq === undefined) return { report: await balancesReport(auditor, control, end, start.players, verdicts) };
    // Nothing left to settle: the wallet said it was idle after the traffic, and every attempt was
    // answered (not cut at the deadline, not interrupted, over Kafka its group caught up), so no
    // reservation can be waiting for its post any more and nothing new can reach the wallet.
    const nothingLeftToSettle = this.idleAtEnd && !this.busyAtEnd && ended === 'completed' && this.stopReason === 'drained';
    return auditedReport({
      auditor,
      probe: this.probe,
      control,
      clock: this.clock,
      end,
      players: start.players,
      startSeq: start.auditStartSeq,
      txIdPrefix: this.txIdPrefix,
      othersPlayer: (playerId) => ofOtherSegment(playerId, this.options.scenario.population.count, this.options.segment),
      settleFromAudit: this.kafka === undefined,
      refusalsStartSeq: start.refusalsStartSeq,
      walletIdle: this.idleAtEnd && ended === 'completed',
      nothingLeftToSettle,
      verdicts,
    });
  }

  /**
   * Without the wallet's final state nothing can be reconciled: the run could not complete, or,
   * interrupted, it ends as interrupted runs do (130), whatever the reading ran into.
   */
  private unreadFinalState(end: RunEnd, error: Error): RunReport {
    const interrupted = this.options.signal?.aborted === true;
    const why = interrupted && this.ended === 'completed' ? "interrupted while reading the wallet's final state" : `could not read the wallet's final state: ${error.message}`;
    const report = unchecked(this.neutral(end), why);
    if (interrupted) {
      this.ended = 'interrupted';
      return { ...report, stopReason: 'interrupted', completed: false };
    }
    this.ended = 'unreachable';
    this.reason = `could not be read at the end of the run: ${error.message}`;
    return report;
  }

  private realRun(end: RunEnd, report: RunReport, ledger: TracedLedger, kafkaReport: KafkaRunReport | undefined): RealRun {
    const { ended, kafka, recorder } = this;
    const { players } = this.start;
    const s = this.transport.stats;
    return {
      ended,
      reason: this.reason,
      ...(ended === 'not-a-wallet' && { error: notAWalletError(this.options.origin, s) }),
      ...(recorder !== undefined && { trace: modelTrace(end.model, recorder, ledger, (id) => players.find((p) => p.id === id)?.initialBalance ?? 0) }),
      report: {
        ...report,
        // Whether a bet accepted and refused when applied could be seen: over Kafka on the results
        // topic; over HTTP only through the wallet's refusals, read at the end with the audit.
        consistency: withUnknownPlayers(
          { ...report.consistency, refusalsVisible: kafka !== undefined || (report.consistency.checkedBy === 'ledger-audit' && this.start.refusalsStartSeq !== undefined) },
          report.results.PLAYER_NOT_FOUND ?? 0,
        ),
        transport: kafka === undefined ? 'http' : 'kafka',
        ...(kafkaReport !== undefined && { kafka: kafkaReport }),
        interrupted: ended === 'interrupted',
        sends: this.sends(),
      },
    };
  }

  private sends(): SendsReport {
    const s = this.transport.stats;
    return {
      connections: this.transport.connections,
      sent: s.sent,
      late: s.late,
      dropped: s.dropped + this.heldAtStop,
      responsesLost: s.responsesLost,
      aborted: s.aborted,
      refused: s.refused,
      socketErrors: s.socketErrors,
      unreadable: s.unreadable,
      latency: this.sentLatency.summary(),
    };
  }
}

/** Unique per run, so that a wallet which served earlier runs sees new transactions. */
function runTxIdPrefix(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}-`;
}

/**
 * The promise, or a rejection as soon as the run is interrupted. A run interrupted before is read
 * to the end: its partial report is worth the wait, which its own timeouts bound.
 */
function unlessInterrupted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined || signal.aborted) return promise;
  // What is abandoned still settles (the control client is closed under it): never unhandled.
  promise.catch(() => {});
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('interrupted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
