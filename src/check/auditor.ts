import type { LedgerEntry, PlayerAccount } from '../domain/ledger.js';
import type { MoneyRequest, OpKind } from '../domain/operations.js';
import { RESULT_CODES, type ResultCode, type WalletResponse } from '../domain/results.js';
import type { WalletProbe } from '../models/probe.js';
import type { FaultCounts } from '../sim/faults.js';
import type { Phase } from '../provider/arrivals.js';
import type { OpInfo, Outcome, ProviderObserver } from '../provider/observer.js';
import { LatencyHistogram } from '../report/histogram.js';
import type { PhaseReport, RunReport } from '../report/model.js';
import { judgeLedger, type LedgerSnapshot, type Verdict as LedgerVerdict } from './consistency.js';
import { OpTable } from './op-table.js';
import type { VerdictSink } from './verdicts.js';
import { COUNTER, SeriesRecorder, type IntervalFigures } from './series.js';

export interface RunEnd {
  readonly model: string;
  readonly world: 'virtual' | 'real';
  readonly stopReason: string;
  readonly completed: boolean;
  readonly endMs: number;
  /** Work still queued or in the log when the run ended. */
  readonly busyAtEnd: boolean;
  readonly replays: number;
  /** How often each fault fired. */
  readonly faults: FaultCounts;
}

/** A run's report, with what the CLI's hint needs of it as data. */
export interface Audit {
  readonly report: RunReport;
  /** The player of the first problem about one of the scenario's players; none when no problem is (or none at all). */
  readonly firstProblemPlayer?: string;
}

/**
 * The checker's live half: it observes the provider (every attempt and answer) and the wallet
 * (every settlement, queue and lag sample), records latencies from the intended send time, and
 * at the end hands the audit of the ledger to the consistency judge.
 */
export class Auditor implements ProviderObserver, WalletProbe {
  readonly ops = new OpTable();
  private readonly ack = { bet: new LatencyHistogram(), win: new LatencyHistogram(), rollback: new LatencyHistogram() };
  private readonly attemptLatency = new LatencyHistogram();
  /** Replaced by an empty one when the times it was built from are impossible (see settlementNotMeasured). */
  private settlement = new LatencyHistogram();
  private readonly phaseAck: LatencyHistogram[];
  private readonly phaseTimeouts: number[];
  private readonly phaseBets: number[];
  /** Per phase: operations intended in it, and operations that ended OK in it (by time, not by round). */
  private readonly phaseOffered: number[];
  private readonly phaseGoodput: number[];
  /** Answers by result code, indexed as RESULT_CODES. */
  private readonly results = RESULT_CODES.map(() => 0);
  private attempts = 0;
  private retries = 0;
  private timeouts = 0;
  private lateAnswers = 0;
  private mismatchAnswers = 0;
  private maxQueue = 0;
  private maxLagMs = 0;
  private maxLagRecords = 0;
  /**
   * The first moment at or after the end of the traffic when the wallet had nothing queued and
   * no record unapplied: convergence. Undefined until then (a wallet idle when the traffic ended
   * and never busy again reports no such moment: it had converged already).
   */
  private firstIdleAfterTrafficMs: number | undefined;
  private goodputInWindow = 0;
  /** The end of the window the rates are over and goodput is counted in: the schedule's, or the moment a real run stopped sending before it. */
  private rateWindowEndMs: number;

  private readonly series: SeriesRecorder;
  private liveDuplicates = 0;

  constructor(
    private readonly phases: readonly Phase[],
    private readonly trafficEndMs: number,
    options: { readonly intervalMs?: number; readonly onInterval?: (figures: IntervalFigures) => void } = {},
  ) {
    this.rateWindowEndMs = trafficEndMs;
    this.series = new SeriesRecorder(options.intervalMs ?? 1000, options.onInterval);
    this.phaseAck = phases.map(() => new LatencyHistogram());
    this.phaseTimeouts = phases.map(() => 0);
    this.phaseBets = phases.map(() => 0);
    this.phaseOffered = phases.map(() => 0);
    this.phaseGoodput = phases.map(() => 0);
  }

  // ---- provider side -------------------------------------------------------------------

  opened(info: OpInfo): number {
    const id = this.ops.open(info);
    if (info.kind === 'bet') this.phaseBets[info.phase]!++;
    this.series.count(COUNTER.offered, info.intendedAtMs);
    this.countInPhase(this.phaseOffered, info.intendedAtMs);
    return id;
  }

  attemptSent(opId: number, txId: string, attempt: number, sentAtMs: number): void {
    this.ops.attemptSent(opId, txId);
    this.attempts++;
    // A held round's attempt was asked for earlier: it counts in the interval open now.
    this.series.count(COUNTER.attempts, sentAtMs);
    if (attempt > 1) {
      this.retries++;
      this.series.count(COUNTER.retries, sentAtMs);
    }
  }

  answered(opId: number, response: WalletResponse, sentAtMs: number, nowMs: number): void {
    this.attemptLatency.recordMs(nowMs - sentAtMs);
    this.count(response.code);
    if (response.code === 'DUPLICATE_MISMATCH') {
      this.mismatchAnswers++;
      this.ops.markMismatchAnswered(opId);
    }
  }

  timedOut(opId: number, nowMs: number): void {
    this.timeouts++;
    this.series.count(COUNTER.timeouts, nowMs);
    const { ops } = this;
    ops.markAnswerUnknown(opId);
    if (ops.kind(opId) === 'bet') this.phaseTimeouts[ops.phase(opId)]!++;
  }

  lateAnswer(): void {
    this.lateAnswers++;
  }

  finished(opId: number, outcome: Outcome, response: WalletResponse | undefined, nowMs: number): void {
    const { ops } = this;
    ops.finish(opId, outcome, response?.accepted === true, response?.code);
    if (outcome === 'ok') {
      this.series.count(COUNTER.goodput, nowMs);
      // After a real run stopped sending early, what ends OK in its drain is goodput of no phase,
      // as it is not of the run's window (a completed run's phases end with its window).
      if (nowMs <= this.rateWindowEndMs) {
        this.countInPhase(this.phaseGoodput, nowMs);
        this.goodputInWindow++;
      }
    }
    if (response === undefined || outcome === 'indeterminate') return;
    // Answered: the user-visible latency, from when the schedule meant it to go out.
    const latency = nowMs - ops.intendedAtMs(opId);
    const kind = ops.kind(opId);
    this.ackOf(kind).recordMs(latency);
    this.series.ackLatency(latency, nowMs);
    if (kind === 'bet') this.phaseAck[ops.phase(opId)]?.recordMs(latency);
  }

  /** By comparison, not `this.ack[kind]`: a load by a key that varies is megamorphic (see op-table.ts). */
  private ackOf(kind: OpKind): LatencyHistogram {
    return kind === 'bet' ? this.ack.bet : kind === 'win' ? this.ack.win : this.ack.rollback;
  }

  // ---- wallet side ---------------------------------------------------------------------

  settled(request: MoneyRequest, response: WalletResponse, nowMs: number): void {
    const { ops } = this;
    const id = request.opRef;
    if (!ops.has(id) || response.replay === true) return;
    if (ops.settledOk(id)) {
      // Applied again: a duplicate, visible the moment it happens (the audit confirms it). Counted
      // once per operation, as the audit counts them, so the live and final figures agree; and,
      // as the audit, only if it moved money: a repeated rollback refunds nothing (the bet is
      // refunded once), nor does a zero win.
      if (response.code === 'OK' && movesMoney(request) && !ops.duplicateSeen(id)) {
        ops.markDuplicateSeen(id);
        this.liveDuplicates++;
        this.series.count(COUNTER.duplicates, nowMs);
      }
      return;
    }
    ops.settle(id, response.code);
    if (response.code === 'OK') this.settlement.recordMs(nowMs - ops.intendedAtMs(id));
  }

  /**
   * A real wallet's audit dates entries before their operations were sent (a clock or a unit
   * wrong): the settlement latencies read from it are not measurements. Reported as none
   * (count 0), so a threshold on them has no value and fails instead of passing on zeros.
   */
  settlementNotMeasured(): void {
    this.settlement = new LatencyHistogram();
  }

  queueDepth(depth: number, nowMs: number): void {
    if (depth > this.maxQueue) this.maxQueue = depth;
    this.series.queueDepth(depth, nowMs);
  }

  logLag(lagMs: number, backlogRecords: number, nowMs: number): void {
    if (lagMs > this.maxLagMs) this.maxLagMs = lagMs;
    this.series.lag(lagMs, nowMs);
    if (backlogRecords > this.maxLagRecords) this.maxLagRecords = backlogRecords;
  }

  /**
   * A real run stopped sending (the end of its schedule, or earlier: interrupted, a target lost).
   * Its rates are over the traffic until then, so what ends OK after it (the drain) is not goodput
   * of that window either.
   */
  sendingStopped(nowMs: number): void {
    if (nowMs < this.rateWindowEndMs) this.rateWindowEndMs = nowMs;
  }

  idle(nowMs: number): void {
    if (nowMs >= this.trafficEndMs) this.firstIdleAfterTrafficMs ??= nowMs;
  }

  // ---- the end -------------------------------------------------------------------------

  /** `verdicts`: for a traced run, where the audit's findings about the traced players go as data (see VerdictSink). */
  report(end: RunEnd, players: readonly PlayerAccount[], ledger: LedgerSnapshot, verdicts?: VerdictSink): RunReport {
    return this.audit(end, players, ledger, verdicts).report;
  }

  /** The report, and beside it (not in it: the JSON stays as it is) the player of its first problem about one (see ProblemList). */
  audit(end: RunEnd, players: readonly PlayerAccount[], ledger: LedgerSnapshot, verdicts?: VerdictSink): Audit {
    const verdict = judgeLedger(this.ops, players, ledger, this.mismatchAnswers, verdicts);
    const report = this.runReport(end, verdict);
    return verdict.firstProblemPlayer === undefined ? { report } : { report, firstProblemPlayer: verdict.firstProblemPlayer };
  }

  private runReport(end: RunEnd, verdict: LedgerVerdict): RunReport {
    const series = this.series.finish(end.endMs);
    const tally = this.tally();
    // A run stopped before its schedule ended (q, Ctrl-C, a lost target) offered traffic only
    // until then: its rates are over that part, not over a schedule it never reached.
    // (A real run stopped early said when it stopped sending: see sendingStopped.)
    const windowMs = end.completed ? this.trafficEndMs : Math.min(this.rateWindowEndMs, end.endMs);
    const trafficSec = windowMs / 1000;
    return {
      model: end.model,
      world: end.world,
      stopReason: end.stopReason,
      completed: end.completed,
      trafficMs: round3(this.trafficEndMs),
      endMs: round3(end.endMs),
      operations: { logical: this.ops.length, attempts: this.attempts, ...tally },
      results: Object.fromEntries(
        RESULT_CODES.map((code, i) => [code, this.results[i]!] as const)
          .filter(([, n]) => n > 0)
          .sort(([a], [b]) => (a < b ? -1 : 1)),
      ),
      latency: {
        ack: { bet: this.ack.bet.summary(), win: this.ack.win.summary(), rollback: this.ack.rollback.summary() },
        attempt: this.attemptLatency.summary(),
        settlement: this.settlement.summary(),
      },
      histograms: {
        ack: { bet: encoded(this.ack.bet), win: encoded(this.ack.win), rollback: encoded(this.ack.rollback) },
        attempt: encoded(this.attemptLatency),
        settlement: encoded(this.settlement),
        phaseBetAck: this.phaseAck.map((h) => encoded(h) ?? null),
      },
      phases: this.phaseReports(end.completed ? Infinity : windowMs),
      throughput: {
        offeredPerSec: round3(trafficSec > 0 ? this.countIntendedBefore(windowMs) / trafficSec : 0),
        goodputPerSec: round3(trafficSec > 0 ? this.goodputInWindow / trafficSec : 0),
      },
      retries: this.retries,
      timeouts: this.timeouts,
      lateAnswers: this.lateAnswers,
      replays: end.replays,
      faults: { ...end.faults },
      ...verdict.counts,
      maxQueueDepth: this.maxQueue,
      maxLagMs: round3(this.maxLagMs),
      maxLagRecords: this.maxLagRecords,
      convergenceMs: this.convergenceMs(end),
      consistency: verdict.consistency,
      series,
    };
  }

  /**
   * After the traffic stops (the schedule's end: no new round starts), how long until the
   * wallet first had nothing queued and no record unapplied (DESIGN: until the log lag is zero).
   * The wins of rounds still being played come after it and are work like any other: a wallet
   * with a backlog when the traffic ends converges when it has caught up with them too.
   */
  private convergenceMs(end: RunEnd): number | null {
    // A run stopped before its traffic ended never got there, whether or not its wallet happened
    // to be idle at that instant; a wallet still busy at the end never converged.
    if (end.busyAtEnd || (!end.completed && end.endMs < this.trafficEndMs)) return null;
    const at = this.firstIdleAfterTrafficMs;
    // Busy at the end of the traffic, it would have said when it became idle: it was idle then.
    return at === undefined ? 0 : round3(at - this.trafficEndMs);
  }

  private tally() {
    let acknowledged = 0;
    let failed = 0;
    let indeterminate = 0;
    let bets = 0;
    let wins = 0;
    const { ops } = this;
    for (let i = 0; i < ops.length; i++) {
      // Compared, not counted in byKind[kind]: see ackOf.
      const kind = ops.kind(i);
      if (kind === 'bet') bets++;
      else if (kind === 'win') wins++;
      const status = ops.status(i);
      if (status === 'ok') acknowledged++;
      else if (status === 'failed') failed++;
      else indeterminate++;
    }
    return { acknowledged, failed, indeterminate, byKind: { bet: bets, win: wins, rollback: ops.length - bets - wins } };
  }

  private countIntendedBefore(ms: number): number {
    let n = 0;
    for (let i = 0; i < this.ops.length; i++) if (this.ops.intendedAtMs(i) < ms) n++;
    return n;
  }

  /**
   * Counts one in the phase whose [startMs, endMs) holds atMs, if any. Twice per operation, over
   * as many phases as a scenario has (bench:sim repeats retry-storm's three to thirty): a binary
   * search over their ends, which are in order.
   */
  private countInPhase(counts: number[], atMs: number): void {
    const { phases } = this;
    let lo = 0;
    let hi = phases.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (atMs < phases[mid]!.endMs) hi = mid;
      else lo = mid + 1;
    }
    if (lo < phases.length && atMs >= phases[lo]!.startMs) counts[lo]!++;
  }

  /**
   * `windowEndMs`: where a run stopped early (q, Ctrl-C, a lost target) stopped offering traffic.
   * A phase's rates are over the part of it the run reached, as the run's own are: a phase cut
   * at 3.4 s of its 30 is not offered a ninth of its load, and one never reached has no rates (0).
   */
  private phaseReports(windowEndMs: number): PhaseReport[] {
    return this.phases.map((p, i) => ({
      ...rates(this.phaseOffered[i]!, this.phaseGoodput[i]!, Math.min(p.endMs, windowEndMs) - p.startMs),
      name: p.name,
      kind: p.kind,
      startMs: round3(p.startMs),
      endMs: round3(p.endMs),
      bets: this.phaseBets[i]!,
      betAck: this.phaseAck[i]!.summary(),
      betTimeouts: this.phaseTimeouts[i]!,
    }));
  }

  private count(code: ResultCode): void {
    // Most answers are OK (index 0): skip the search for them.
    this.results[code === 'OK' ? 0 : RESULT_CODES.indexOf(code)]!++;
  }
}

/**
 * A phase's offered and good operations per second: counted in the phase itself, not summed
 * from the series' whole-second intervals, which skewed phases that do not start and end on a
 * whole second (two equal halves of 2.5 s read 239 and 160 per second).
 */
function rates(offered: number, goodput: number, lengthMs: number): { offeredPerSec: number; goodputPerSec: number } {
  const sec = lengthMs / 1000;
  // A phase too short to have a length in floating point (durationSec 1e-16) has no rate, not NaN (null in JSON).
  if (!(sec > 0)) return { offeredPerSec: 0, goodputPerSec: 0 };
  return { offeredPerSec: round3(offered / sec), goodputPerSec: round3(goodput / sec) };
}

/** Empty histograms are left out of the report: nothing to add up. */
function encoded(h: LatencyHistogram): string | undefined {
  return h.count === 0 ? undefined : h.encoded();
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export type { LedgerEntry };

/** Whether applying the request again would move money in a wallet that keeps the rules (see settled). */
function movesMoney(request: MoneyRequest): boolean {
  return request.kind === 'bet' || (request.kind === 'win' && request.amount !== 0);
}
