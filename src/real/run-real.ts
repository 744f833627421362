import { Auditor, type RunEnd } from '../check/auditor.js';
import type { LedgerSnapshot } from '../check/consistency.js';
import type { VerdictSink } from '../check/verdicts.js';
import { entryListOf } from '../domain/journal.js';
import type { LedgerEntry, PlayerAccount } from '../domain/ledger.js';
import type { MoneyRequest } from '../domain/operations.js';
import { ControlClient } from '../drivers/http/audit.js';
import { HttpTransport, type TransportStats } from '../drivers/http/client.js';
import type { KafkaTransport } from '../drivers/kafka/transport.js';
import { fromWireEntry } from '../drivers/http/protocol.js';
import { RealClock } from '../drivers/real-clock.js';
import { EXIT, WalletstormError } from '../errors.js';
import { ArrivalSchedule } from '../provider/arrivals.js';
import { Population } from '../provider/players.js';
import { Provider } from '../provider/provider.js';
import { LatencyHistogram } from '../report/histogram.js';
import type { Random } from '../ports/random.js';
import type { Transport } from '../ports/transport.js';
import type { RunReport, SendsReport } from '../report/model.js';
import type { CompiledScenario } from '../scenario/compile.js';
import { SeededRandom } from '../sim/prng.js';
import type { ModelTrace } from '../trace/model.js';
import { entrySourceOf } from '../trace/ledger-side.js';
import { observerFor, probeFor } from '../trace/recorder.js';
import type { WalletProbe } from '../models/probe.js';
import { modelTrace, type TracedLedger } from '../trace/timeline.js';
import { TrafficFaultHooks, type TrafficFaultCounts } from '../faults/traffic.js';
import { judgeBalances } from './balance-check.js';

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
 * A target whose first answers are all unreadable is something else on that port (a web server,
 * another service): it is given up after this many answers, or this long after the first one,
 * instead of running the whole scenario and its rollback retries against it.
 */
const NOT_A_WALLET_ANSWERS = 50;
const NOT_A_WALLET_AFTER_MS = 2000;

/**
 * The real world's runner: the simulator's Provider and Auditor on a real clock, sending over
 * HTTP to a wallet that runs elsewhere. Where runVirtual reads the ledger directly, this one
 * reads the wallet's audit endpoint (or balances alone) and its /healthz for queue and lag.
 */
export async function runReal(options: RealRunOptions): Promise<RealRun> {
  const { scenario } = options;
  const control = new ControlClient(options.origin);
  try {
    return await run(options, scenario, control);
  } finally {
    await control.close();
  }
}

async function run(options: RealRunOptions, scenario: CompiledScenario, control: ControlClient): Promise<RealRun> {
  const population = new Population(scenario.population);
  const health = await preflight(control, options.origin);
  const auditStart = await control.transactions(-1, 0).catch((e: Error) => {
    throw new WalletstormError('E_TARGET_PROTOCOL', `the target's audit endpoint is broken: ${e.message}`, EXIT.unreachable);
  });
  // Over HTTP the audit lists only what was applied: an operation accepted and refused when
  // applied (a late rejection) shows in the wallet's list of refusals, where it keeps one. Over
  // Kafka the results topic carries every application, refused ones too.
  const refusalsStart =
    auditStart === undefined || options.kafka !== undefined
      ? undefined
      : await control.refusals(-1, 0).catch((e: Error) => {
          throw new WalletstormError('E_TARGET_PROTOCOL', `the target's refusals endpoint is broken: ${e.message}`, EXIT.unreachable, 'see docs/protocol.md');
        });
  // Balances as the run starts: a server that served an earlier run is not at the scenario's
  // initial balances any more, and what counts is what this run did.
  const before = await control.allBalances().catch((e: Error) => {
    throw new WalletstormError('E_TARGET_PROTOCOL', `the target's balances endpoint is broken: ${e.message}`, EXIT.unreachable, 'see docs/protocol.md');
  });
  refuseUnfitTarget(options.origin, population.accounts, before, auditStart?.lastSeq);
  const players: PlayerAccount[] = population.accounts.map((p) => ({ ...p, initialBalance: before?.get(p.id) ?? p.initialBalance }));

  const rng = new SeededRandom(options.seed);
  // Unique per run, so that a wallet which served earlier runs sees new transactions.
  const txIdPrefix = options.txIdPrefix ?? `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}-`;
  const clock = new RealClock();
  clock.addLane(scenario.provider.timeoutMs);
  const schedule = new ArrivalSchedule(scenario.phases, scenario.arrivals);
  const auditor = new Auditor(scenario.phases, schedule.endMs);
  const { observer, recorder } = observerFor(auditor, options.trace);
  // The wallet's settlements as this side learns them (the results topic, or the audit at the
  // end): every one is from a log, or a refusal the wallet lists apart from its answers.
  const probe = probeFor(auditor, recorder, true);
  const kafka = options.kafka?.({ clock, rng: rng.derive('duplicate-delivery'), txIdPrefix });
  if (kafka !== undefined) {
    kafka.probe = probe;
    kafka.onAttemptDropped = recorder?.attemptDropped;
  }
  const transport: RealTransport =
    kafka ??
    new HttpTransport({
      origin: options.origin,
      connections: options.connections,
      timeoutMs: scenario.provider.timeoutMs,
      clock,
      responseLoss: scenario.faults.responseLoss,
      rng: rng.derive('response-loss'),
      txIdPrefix,
      onAnswerLost: recorder?.answerLost,
      onAttemptDropped: recorder?.attemptDropped,
    });
  const sentLatency = new LatencyHistogram();
  transport.onSentLatency = (ms) => sentLatency.recordMs(ms);
  // The traffic faults (a hot player, cancelled rounds) change what the provider sends: they apply here as in the simulator.
  const trafficCounts: TrafficFaultCounts = { hotPlayerRounds: 0, roundsCancelled: 0 };
  const traffic = new TrafficFaultHooks(scenario.faults, options.seed, trafficCounts);
  const provider = new Provider(clock, rng.derive('provider'), transport, observer, schedule, population, scenario.provider, traffic);

  let ended: RealRun['ended'] = 'completed';
  let stopReason = 'drained';
  let healthInFlight = false;
  let lastHealthAt = -Infinity;
  let lastTickAt = 0;
  const unreachableAfterMs = options.unreachableAfterMs ?? 3000;
  const walletHealth = new HealthWatch(kafka !== undefined && health !== undefined, unreachableAfterMs);
  const sampleHealth = () => {
    if (health === undefined || healthInFlight) return;
    healthInFlight = true;
    control
      .health(1000)
      .then((h) => {
        walletHealth.answered();
        if (h === undefined) return;
        const now = clock.now();
        auditor.queueDepth(h.queueDepth, now);
        if (h.logBacklog > 0 || h.logLagMs > 0) auditor.logLag(h.logLagMs, h.logBacklog, now);
        if (!h.busy) auditor.idle(now);
      })
      .catch((error: Error) => walletHealth.failed(clock.now(), error))
      .finally(() => (healthInFlight = false));
  };

  // Over HTTP a failed warm-up is the run's first figure; over Kafka the results consumer must be in place.
  if (kafka !== undefined) {
    await kafka.warmUp().catch(async (cause: Error) => {
      await kafka.close().catch(() => {});
      throw new WalletstormError('E_KAFKA', `could not start reading results from Kafka: ${cause.message}`, EXIT.unreachable, 'check that the broker is up (scripts/kafka-local.sh status)', { cause });
    });
  } else {
    await transport.warmUp().catch(() => {});
  }
  clock.restart();
  // Ctrl-C while the wallet was starting (its child, the broker's topics) asked for no traffic at all.
  if (options.signal?.aborted !== true) provider.start();
  for (;;) {
    await sleep(TICK_MS);
    const now = clock.now();
    if (now - lastHealthAt >= HEALTH_EVERY_MS) {
      lastHealthAt = now;
      sampleHealth();
    }
    if (options.onTick !== undefined && now - lastTickAt >= 1000) {
      lastTickAt = now;
      options.onTick({ nowMs: now, trafficMs: schedule.endMs, ops: auditor.ops.length, stats: transport.stats });
    }
    if (options.signal?.aborted) {
      ended = 'interrupted';
      stopReason = 'interrupted';
      break;
    }
    const verdict = goneVerdict(transport.stats, now, unreachableAfterMs) ?? walletHealth.verdict(now);
    if (verdict !== undefined) {
      ended = verdict;
      stopReason = verdict;
      break;
    }
    if (now >= schedule.endMs && clock.pending === 0 && transport.outstanding === 0) break;
    if (now > schedule.endMs + options.drainTimeoutMs) {
      stopReason = 'deadline';
      break;
    }
  }

  // Stop the provider where it stands; answers to requests in flight still count.
  auditor.sendingStopped(clock.now());
  clock.halt();
  transport.stop();
  // Attempts the provider still held back for a connection were never sent: dropped, as the sends waiting in the transport are.
  const heldAtStop = provider.heldRounds;
  // A target that is gone (or not a wallet) has nothing to drain, converge or reconcile.
  let gone = ended === 'unreachable' || ended === 'not-a-wallet';
  // Over Kafka the wallet can die while its commands still wait in the topic: given up as the
  // polling loop gives it up, without waiting for a convergence that cannot come.
  const walletDied = (): boolean => {
    sampleHealth();
    if (walletHealth.verdict(clock.now()) === undefined) return false;
    ended = 'unreachable';
    stopReason = 'unreachable';
    gone = true;
    return true;
  };
  const drainUntil = clock.now() + (ended === 'completed' ? 0 : (options.interruptDrainMs ?? 3000));
  while (transport.outstanding > 0 && clock.now() < drainUntil && !gone) await sleep(TICK_MS);

  // Convergence: the wallet may still be applying its log after the last answer.
  let busyAtEnd = false;
  // The wallet said, after the traffic, that it had nothing queued and nothing left in its log:
  // what it has neither applied nor refused by then, it never will.
  let idleAtEnd = false;
  if (health !== undefined && !gone) {
    const until = clock.now() + (ended === 'completed' ? Math.max(0, schedule.endMs + options.drainTimeoutMs - clock.now()) : 2000);
    for (;;) {
      if (options.signal?.aborted && ended === 'completed') {
        // Interrupted while waiting for the wallet to settle: whether it would have is unknown.
        ended = 'interrupted';
        stopReason = 'interrupted';
        busyAtEnd = true;
        break;
      }
      const h = await control.health(1000).then(
        (answer) => (walletHealth.answered(), answer),
        (error: Error) => void walletHealth.failed(clock.now(), error),
      );
      if (h === undefined && walletHealth.failing) {
        if (walletDied() || clock.now() >= until) break;
        await sleep(TICK_MS);
        continue;
      }
      if (h === undefined) break;
      if (!h.busy) {
        auditor.idle(clock.now());
        // A wallet whose log is on Kafka counts a record in its backlog only once a consumer has
        // fetched it, and with several instances in its group it sees its own partitions alone:
        // its busy: false may come while a command it answered `accepted` is still on the broker.
        // Convergence may take it; the rules that call an unapplied operation lost may not.
        idleAtEnd = !h.logOnKafka;
        break;
      }
      if (clock.now() >= until) {
        busyAtEnd = true;
        break;
      }
      await sleep(TICK_MS);
    }
  } else if (health === undefined) {
    auditor.idle(clock.now());
  }
  // Over Kafka the wallet's own "busy" cannot see commands it has not fetched yet (after a lost
  // broker, say): converged means its group's lag is 0, and every result has been read.
  if (kafka !== undefined && !gone) {
    const remainingMs = ended === 'completed' ? Math.max(10_000, schedule.endMs + options.drainTimeoutMs - clock.now()) : 2000;
    // Ctrl-C ends this wait as it ends the others: it can last the whole drain (a group whose
    // consumers are down). An interrupt before it still gets its 2 s.
    const interruptedNow = () => ended === 'completed' && options.signal?.aborted === true;
    if (await kafka.catchUp(remainingMs, () => walletDied() || interruptedNow())) auditor.idle(clock.now());
    else busyAtEnd = true;
    if (interruptedNow()) {
      ended = 'interrupted';
      stopReason = 'interrupted';
    }
  }
  const endMs = clock.now();
  const finalHealth = gone ? undefined : await control.health(1000).catch(() => undefined);
  await transport.close();
  const kafkaReport = kafka?.report();

  const end = {
    model: health?.model ?? 'target',
    world: 'real' as const,
    stopReason,
    completed: stopReason === 'drained',
    endMs,
    busyAtEnd,
    replays: transport.stats.replays,
    // The real world injects the response loss (client side) and the traffic faults; the others
    // act inside the simulated world, or in the wallet and the producer (crashes, redeliveries).
    faults: {
      responsesLost: transport.stats.responsesLost,
      betsDelayed: 0,
      redeliveries: kafkaReport?.producedTwice ?? 0,
      consumerCrashes: finalHealth?.consumerCrashes ?? 0,
      rebalances: 0,
      ...trafficCounts,
    },
  };
  let report: RunReport;
  // What the trace reads of the wallet: its audit entries, once read.
  let ledger: TracedLedger = { unread: auditStart === undefined ? 'the target has no audit endpoint' : "the wallet's ledger was not read" };
  let reason: string | undefined =
    ended === 'unreachable' ? `stopped answering mid-run (${walletHealth.why() ?? unreachableWhy(transport.stats, unreachableAfterMs)})` : undefined;
  const neutral = () => auditor.report(end, players, { entries: entryListOf([]), balances: new Map(players.map((p) => [p.id, p.initialBalance])) });
  if (ended === 'not-a-wallet') {
    report = unchecked(neutral(), 'the target does not speak the walletstorm protocol (docs/protocol.md)');
  } else if (gone) {
    report = unchecked(neutral());
  } else {
    // Nothing left to settle: the wallet said it was idle after the traffic, and every attempt was
    // answered (not cut at the deadline, not interrupted, over Kafka its group caught up), so no
    // reservation can be waiting for its post any more and nothing new can reach the wallet.
    const nothingLeftToSettle = idleAtEnd && !busyAtEnd && ended === 'completed' && stopReason === 'drained';
    const reconcile = async (): Promise<Reconciled> =>
      auditStart !== undefined
        ? auditedReport({
            auditor,
            probe,
            control,
            clock,
            end,
            players,
            startSeq: auditStart.lastSeq,
            txIdPrefix,
            settleFromAudit: kafka === undefined,
            refusalsStartSeq: refusalsStart?.lastSeq,
            walletIdle: idleAtEnd && ended === 'completed',
            nothingLeftToSettle,
            verdicts: recorder?.verdicts,
          })
        : { report: await balancesReport(auditor, control, end, players, recorder?.verdicts) };
    try {
      const reconciled = await unlessInterrupted(reconcile(), options.signal);
      report = reconciled.report;
      if (reconciled.entries !== undefined) ledger = { entries: entrySourceOf(reconciled.entries) };
    } catch (error) {
      // Without the wallet's final state nothing can be reconciled: the run could not complete,
      // or, interrupted, it ends as interrupted runs do (130), whatever the reading ran into.
      const why =
        options.signal?.aborted === true && ended === 'completed'
          ? 'interrupted while reading the wallet\'s final state'
          : `could not read the wallet's final state: ${(error as Error).message}`;
      report = unchecked(neutral(), why);
      if (options.signal?.aborted === true) {
        ended = 'interrupted';
        report = { ...report, stopReason: 'interrupted', completed: false };
      } else {
        ended = 'unreachable';
        reason = `could not be read at the end of the run: ${(error as Error).message}`;
      }
    }
  }
  const s = transport.stats;
  return {
    ended,
    reason,
    ...(ended === 'not-a-wallet' && { error: notAWalletError(options.origin, s) }),
    ...(recorder !== undefined && { trace: modelTrace(end.model, recorder, ledger, (id) => players.find((p) => p.id === id)?.initialBalance ?? 0) }),
    report: {
      ...report,
      // Whether a bet accepted and refused when applied could be seen: over Kafka on the results
      // topic; over HTTP only through the wallet's refusals, read at the end with the audit.
      consistency: withUnknownPlayers(
        { ...report.consistency, refusalsVisible: kafka !== undefined || (report.consistency.checkedBy === 'ledger-audit' && refusalsStart !== undefined) },
        report.results.PLAYER_NOT_FOUND ?? 0,
      ),
      transport: kafka === undefined ? 'http' : 'kafka',
      ...(kafkaReport !== undefined && { kafka: kafkaReport }),
      interrupted: ended === 'interrupted',
      sends: {
        connections: transport.connections,
        sent: s.sent,
        late: s.late,
        dropped: s.dropped + heldAtStop,
        responsesLost: s.responsesLost,
        aborted: s.aborted,
        refused: s.refused,
        socketErrors: s.socketErrors,
        unreadable: s.unreadable,
        latency: sentLatency.summary(),
      },
    },
  };
}

/**
 * Whether the target is gone: no readable answer for `unreachableAfterMs`, and only refused or
 * broken connections or unreadable answers since (an unreadable answer is no answer, see
 * docs/protocol.md). A target that never gave a readable answer is given up sooner, as not a
 * wallet: it answers, so waiting for it to come back is pointless.
 */
/** A failure this recent means the target is failing now. */
const STILL_FAILING_MS = 1000;

function goneVerdict(s: TransportStats, now: number, unreachableAfterMs: number): 'unreachable' | 'not-a-wallet' | undefined {
  if (s.lastAnswerAtMs < 0 && s.unreadable > 0 && (s.unreadable >= NOT_A_WALLET_ANSWERS || now - s.firstUnreadableAtMs >= NOT_A_WALLET_AFTER_MS)) {
    return 'not-a-wallet';
  }
  const lastFailureAtMs = Math.max(s.lastConnectionErrorAtMs, s.lastUnreadableAtMs);
  // Still failing now, not one failure followed by a quiet spell (a low rate, a tail of backoffs).
  const failingNow = now - lastFailureAtMs < STILL_FAILING_MS;
  if (lastFailureAtMs > s.lastAnswerAtMs && failingNow && now - Math.max(s.lastAnswerAtMs, 0) > unreachableAfterMs) return 'unreachable';
  return undefined;
}

/**
 * Over Kafka the producer's acks come from the broker, so a wallet that died mid-run leaves the
 * transport's figures healthy: its /healthz, failing for `afterMs`, is what tells. Over HTTP the
 * transport sees the failures itself (a busy wallet's slow /healthz is no sign there).
 *
 * A refused or broken connection is a dead wallet; a /healthz that only times out is a wallet
 * that is slow or stalled (a long GC pause, a loaded machine) and still holds its ledger, so it
 * is given up only after `slowAfterMs` (15 s by default) without an answer. The two clocks are
 * apart: timeouts that come before the first refusal are no sign of death, so the dead clock
 * starts at that refusal (5 s of timeouts and then one refusal is not a wallet refusing for 5 s),
 * while the spell as a whole, whatever its mix, is still given up after `slowAfterMs`.
 */
export class HealthWatch {
  /** The current failing spell's first failure, of any kind: the slow clock. */
  private failingSinceMs: number | undefined;
  /** The spell's first refused or broken connection (undefined while there has been none): the dead clock. */
  private refusedSinceMs: number | undefined;
  private lastError: string | undefined;
  /** The last refused or broken connection's error: what made the dead clock run. */
  private lastRefusal: string | undefined;
  private gaveUpAfterMs: number | undefined;
  private gaveUpOn: string | undefined;

  constructor(
    private readonly enabled: boolean,
    private readonly afterMs: number,
    private readonly slowAfterMs = Math.max(afterMs, 15_000),
  ) {}

  /** Failing now, where it counts (over Kafka). */
  get failing(): boolean {
    return this.enabled && this.failingSinceMs !== undefined;
  }

  answered(): void {
    this.failingSinceMs = undefined;
    this.refusedSinceMs = undefined;
  }

  failed(nowMs: number, error: Error): void {
    this.failingSinceMs ??= nowMs;
    // A DOMException's code is a number (23 for a timeout): only a string code names the error.
    const code = (error as NodeJS.ErrnoException).code;
    this.lastError = typeof code === 'string' ? code : error.message;
    if (isTimeout(error)) return;
    this.refusedSinceMs ??= nowMs;
    this.lastRefusal = this.lastError;
  }

  verdict(nowMs: number): 'unreachable' | undefined {
    if (!this.enabled || this.failingSinceMs === undefined) return undefined;
    const deadAtMs = this.refusedSinceMs === undefined ? Infinity : this.refusedSinceMs + this.afterMs;
    const slowAtMs = this.failingSinceMs + this.slowAfterMs;
    if (nowMs < Math.min(deadAtMs, slowAtMs)) return undefined;
    // The limit that ran out first is the one that gave the wallet up: why() names it.
    const dead = deadAtMs <= slowAtMs;
    this.gaveUpAfterMs = dead ? this.afterMs : this.slowAfterMs;
    this.gaveUpOn = dead ? this.lastRefusal : this.lastError;
    return 'unreachable';
  }

  /** For the message, once it gave the wallet up. */
  why(): string | undefined {
    return this.gaveUpAfterMs === undefined ? undefined : `its /healthz failed for ${this.gaveUpAfterMs / 1000} s: ${this.gaveUpOn}`;
  }
}

/** A request that got no answer in time (undici's timeouts, an AbortSignal.timeout), as opposed to a failed connection. */
function isTimeout(error: Error): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return error.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT';
}

function unreachableWhy(s: TransportStats, afterMs: number): string {
  const seconds = `${afterMs / 1000} s`;
  if (s.lastUnreadableAtMs > s.lastConnectionErrorAtMs) return `only answers without a readable result code for ${seconds}, such as: ${s.unreadableExample}`;
  // A stalled wallet (stopped, or its accept queue full) refuses nothing: its connections are not
  // accepted in time. The error names which it was.
  return `connections refused, broken or not accepted for ${seconds}${s.lastConnectionError === undefined ? '' : ` (last: ${s.lastConnectionError})`}`;
}

function notAWalletError(origin: string, s: TransportStats): WalletstormError {
  return new WalletstormError(
    'E_TARGET_NOT_WALLET',
    `the target at ${origin} answers, but does not speak the walletstorm protocol: none of its ${s.unreadable} answers had a readable result code (such as: ${s.unreadableExample})`,
    EXIT.unreachable,
    'walletstorm load drives a wallet whose answers are JSON with a result "code" (docs/protocol.md): check the port, or start the reference wallet with `walletstorm serve`',
  );
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

async function preflight(control: ControlClient, origin: string) {
  try {
    return await control.health(3000);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? (cause as Error).name;
    throw new WalletstormError(
      'E_TARGET_UNREACHABLE',
      `cannot reach the wallet at ${origin} (${code})`,
      EXIT.unreachable,
      'start it with `walletstorm serve` (or use --target local), and check the port',
      { cause },
    );
  }
}

/** The report once the wallet's final state was read, with the audit's entries when it has an audit. */
interface Reconciled {
  readonly report: RunReport;
  readonly entries?: readonly LedgerEntry[];
}

/** What the ledger audit reads and judges with. */
interface AuditInputs {
  readonly auditor: Auditor;
  /** Where the settlements read back from the audit go: the checker, and a trace's recorder beside it. */
  readonly probe: WalletProbe;
  readonly control: ControlClient;
  readonly clock: RealClock;
  readonly end: RunEnd;
  readonly players: readonly PlayerAccount[];
  /** The audit's last seq before the run: this run's entries come after it. */
  readonly startSeq: number;
  readonly txIdPrefix: string;
  /** Over HTTP the wallet's settlements come back through the audit (over Kafka, on the results topic). */
  readonly settleFromAudit: boolean;
  /** The refusals' last seq before the run; undefined: the wallet does not list its refusals. */
  readonly refusalsStartSeq: number | undefined;
  /** The wallet said it was idle after a run that completed. */
  readonly walletIdle: boolean;
  readonly nothingLeftToSettle: boolean;
  readonly verdicts: VerdictSink | undefined;
}

/** The ledger audit through GET /wallet/transactions: every entry this run added. */
async function auditedReport(a: AuditInputs): Promise<Reconciled> {
  const { auditor, control, players } = a;
  // A wallet that does not keep the op ref: the txId names the operation just as well.
  const byTxId = opsByTxId(auditor);
  const entries = await auditEntries(a, byTxId);
  // The wallet's probe lives in the server; over HTTP its settlements come back through the
  // audit (over Kafka they came on the results topic, with the failed ones too).
  if (a.settleFromAudit) await settleFromAudit(a, entries, byTxId);
  const touched = touchedPlayers(auditor);
  const listed = await control.allBalances();
  const balances = listed ?? (await control.balances(touched));
  // An idle wallet that lists its refusals has settled everything it accepted, one way or the other.
  const everySettlementListed = a.settleFromAudit && a.refusalsStartSeq !== undefined && a.walletIdle;
  // Stakes held show only where the settled balances come from the listing: without it they come
  // from GET /wallet/balance, the spendable figure itself, and there is nothing to compare. While
  // something may still settle (busy, cut at the deadline, interrupted) a stake is rightly held,
  // its post still on its way. A read that fails is an unreadable final state, as a failed
  // listing is: the run ends unchecked (exit 3) rather than pass a check it could not make.
  const held = listed !== undefined && a.nothingLeftToSettle ? await heldStakes(control, touched, listed) : undefined;
  const snapshot: LedgerSnapshot = { entries: entryListOf(entries), balances: withUntouched(balances, players), everySettlementListed, held };
  return { report: auditor.report(a.end, players, snapshot, a.verdicts), entries };
}

/** This run's entries, each with the operation it belongs to. */
async function auditEntries(a: AuditInputs, byTxId: ReadonlyMap<string, number>): Promise<LedgerEntry[]> {
  const wire = await a.control.transactionsAfter(a.startSeq);
  const epochMs = a.clock.epochMs;
  return wire.map((e) => {
    const entry = fromWireEntry(e, epochMs, undefined, a.txIdPrefix);
    return { ...entry, opRef: operationOf(e.opRef, entry.txId, byTxId) };
  });
}

/** The operation an audit row names: by its op ref when the wallet kept a usable one, else by its txId (without the run's prefix). */
function operationOf(opRef: string | number | undefined, txId: string, byTxId: ReadonlyMap<string, number>): number | undefined {
  const ref = opRef === undefined ? undefined : Number(opRef);
  return ref !== undefined && Number.isSafeInteger(ref) ? ref : byTxId.get(txId);
}

/** Every txId an attempt carried, and its operation. */
function opsByTxId(auditor: Auditor): Map<string, number> {
  const byTxId = new Map<string, number>();
  for (let op = 0; op < auditor.ops.length; op++) for (const t of auditor.ops.txIds(op)) byTxId.set(t, op);
  return byTxId;
}

/** The settlements of an HTTP run, told to the checker: the entries applied, and the refusals the wallet lists. */
async function settleFromAudit(a: AuditInputs, entries: readonly LedgerEntry[], byTxId: ReadonlyMap<string, number>): Promise<void> {
  const { probe, txIdPrefix } = a;
  for (const e of entries) {
    if (e.opRef !== undefined) probe.settled({ opRef: e.opRef } as MoneyRequest, { code: 'OK' }, e.appliedAtMs);
  }
  // The refused ones make no entry: the wallet lists them apart, when it does.
  if (a.refusalsStartSeq === undefined) return;
  for (const r of await a.control.refusalsAfter(a.refusalsStartSeq)) {
    // Another run's refusal (a wallet serving several), or not walletstorm's: not this run's business.
    if (r.code === 'OK' || !r.txId.startsWith(txIdPrefix)) continue;
    const txId = r.txId.slice(txIdPrefix.length);
    const op = operationOf(r.opRef, txId, byTxId);
    if (op === undefined) continue;
    const refusedAtMs = (r.refusedAtEpochMs ?? Date.parse(r.refusedAt)) - a.clock.epochMs;
    probe.settled({ opRef: op, txId } as MoneyRequest, { code: r.code }, refusedAtMs);
  }
}

/**
 * Stakes still held at the end, per player where there are any: the settled balance the wallet
 * lists less what GET /wallet/balance/:playerId says the player can spend. With nothing left to
 * settle every reservation has been posted, voided or has lapsed, so a stake still held is one
 * the wallet never released (below zero: released twice); judgeLedger counts it as a balance
 * mismatch, as the simulator does. A player the listing leaves out is the rest of the check's
 * business (refused before the run, or unknown: PLAYER_NOT_FOUND).
 */
async function heldStakes(control: ControlClient, playerIds: readonly string[], settled: ReadonlyMap<string, number>): Promise<Map<string, number>> {
  const spendable = await control.balances(playerIds);
  const held = new Map<string, number>();
  for (const [id, canSpend] of spendable) {
    const balance = settled.get(id);
    if (balance !== undefined && balance !== canSpend) held.set(id, balance - canSpend);
  }
  return held;
}

/** No audit endpoint: the final balances of the players this run touched, against their bounds. */
async function balancesReport(
  auditor: Auditor,
  control: ControlClient,
  end: RunEnd,
  players: readonly PlayerAccount[],
  verdicts: VerdictSink | undefined,
): Promise<RunReport> {
  const touched = touchedPlayers(auditor);
  const balances = (await control.allBalances()) ?? (await control.balances(touched));
  const neutral = auditor.report(end, players, { entries: entryListOf([]), balances: new Map(players.map((p) => [p.id, p.initialBalance])) });
  const judged = judgeBalances(auditor.ops, players, withUntouched(balances, players), verdicts);
  return {
    ...neutral,
    duplicates: 0,
    duplicateMinorUnits: 0,
    unrefundedRollbacks: 0,
    lost: 0,
    unexpected: 0,
    negativeBalances: judged.negativeBalances,
    consistency: judged.consistency,
  };
}

/**
 * A target that cannot be checked against this scenario, refused before any traffic: one that
 * lists its balances without some of the scenario's players, or one that has applied entries
 * already and does not list its balances, so that where its players start is unknown (the
 * check would count an earlier run's money as this run's and fail for no fault of the wallet).
 */
function refuseUnfitTarget(origin: string, accounts: readonly PlayerAccount[], before: ReadonlyMap<string, number> | undefined, auditLastSeq: number | undefined): void {
  if (before !== undefined) {
    const missing = accounts.filter((p) => !before.has(p.id));
    if (missing.length === 0) return;
    throw new WalletstormError(
      'E_TARGET_PLAYERS',
      `the target at ${origin} lists ${before.size} players but not ${missing.length} of the scenario's ${accounts.length}, such as ${missing[0]!.id}`,
      EXIT.invalidInput,
      'set the wallet up with the scenario\'s players (docs/protocol.md, "Players"), or lower players.count with --set',
    );
  }
  if (auditLastSeq === undefined || auditLastSeq < 0) return;
  throw new WalletstormError(
    'E_TARGET_NOT_FRESH',
    `the target at ${origin} has applied ${auditLastSeq + 1} entries before this run and does not list its balances (GET /wallet/balances): where this run's players start is unknown`,
    EXIT.invalidInput,
    'restart the wallet before each run, or implement GET /wallet/balances (docs/protocol.md)',
  );
}

/**
 * PLAYER_NOT_FOUND answers: the wallet does not know some of the scenario's players, so their
 * operations were refused, not checked. A wallet that refused most of its traffic so must not pass.
 */
function withUnknownPlayers(consistency: RunReport['consistency'], answers: number): RunReport['consistency'] {
  if (answers === 0) return consistency;
  const problem = `the wallet answered PLAYER_NOT_FOUND ${answers} times: it does not know all of the scenario's players (docs/protocol.md, "Players")`;
  return { ...consistency, ok: false, problems: [problem, ...consistency.problems] };
}

/** The run could not read the wallet at the end: nothing was reconciled, and the report says so. */
function unchecked(report: RunReport, why = 'the target could not be reached at the end of the run'): RunReport {
  return {
    ...report,
    duplicates: 0,
    duplicateMinorUnits: 0,
    unrefundedRollbacks: 0,
    lost: 0,
    unexpected: 0,
    negativeBalances: 0,
    consistency: {
      ok: false,
      checkedBy: 'none',
      balanceMismatches: 0,
      outOfBounds: 0,
      conservation: { ok: false, initialMinorUnits: report.consistency.conservation.initialMinorUnits, finalMinorUnits: 0 },
      problems: [`not checked: ${why}`],
    },
  };
}

function withUntouched(balances: ReadonlyMap<string, number>, players: readonly PlayerAccount[]): Map<string, number> {
  const out = new Map(balances);
  for (const p of players) if (!out.has(p.id)) out.set(p.id, p.initialBalance);
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The players this run's operations named, in first-use order. */
function touchedPlayers(auditor: Auditor): string[] {
  const touched = new Set<string>();
  for (let op = 0; op < auditor.ops.length; op++) touched.add(auditor.ops.playerId(op));
  return [...touched];
}
