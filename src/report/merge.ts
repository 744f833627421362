import type { Histogram } from 'hdr-histogram-js';
import { z } from 'zod';
import type { IntervalFigures, Series } from '../check/series.js';
import { usageError } from '../errors.js';
import type { FaultCounts } from '../sim/faults.js';
import { buildHdr, decodeHdr, encodeHdr, summarize, type LatencySummary } from './histogram.js';
import type { FaultWindowReport, KafkaRunReport, MergedPart, PhaseReport, Report, RunHistograms, RunReport, SendsReport } from './model.js';
import { producerInWords } from './kafka-producer.js';
import { describeProblem, expectedInWords } from './read-report.js';
import { evaluateThresholds, parseThreshold, ThresholdError } from './thresholds.js';
import { packageVersion } from '../util/package-root.js';

/*
 * `walletstorm merge`: reports of the same scenario from several load-generator processes added
 * into one. Histograms are decoded and added, so percentiles are exactly those of one histogram
 * that recorded every sample; counters are summed, maxima take the largest, rates add up (the
 * processes ran side by side), and the consistency verdict is judged again on the summed counts.
 */

export interface ReportPart {
  readonly file: string;
  readonly report: Report;
}

export function mergeReports(parts: readonly ReportPart[]): Report {
  if (parts.length === 0) throw usageError('E_MERGE_EMPTY', 'merge needs at least one report');
  const first = parts[0]!.report;
  const notes: string[] = [];
  for (const { file, report } of parts) {
    assertValid(mergeableScenario, report.scenario, `${file}: scenario`);
    if (report.runs.length === 0) throw usageError('E_MERGE_EMPTY', `${file} has no runs: nothing to merge`, 'merge reports written by simulate, compare or load with --json');
    refuseNested(file, report);
    report.runs.forEach((run, i) => assertMergeable(file, i, run));
  }
  for (const { file, report } of parts.slice(1)) {
    if (report.scenario.name !== first.scenario.name) {
      throw usageError('E_MERGE_MISMATCH', `${file} is of scenario "${report.scenario.name}", ${parts[0]!.file} of "${first.scenario.name}"`, 'merge reports of the same scenario only');
    }
    const a = first.runs.map((r) => r.model).join(',');
    const b = report.runs.map((r) => r.model).join(',');
    if (a !== b) throw usageError('E_MERGE_MISMATCH', `${file} has runs of ${b}, ${parts[0]!.file} of ${a}`, 'merge reports that ran the same models');
    if (JSON.stringify(report.scenario.overrides) !== JSON.stringify(first.scenario.overrides)) {
      notes.push(`${file} was run with other --set overrides (${report.scenario.overrides.join(' ') || 'none'}) than ${parts[0]!.file}`);
    }
  }
  refuseSameRun(parts);
  const runs = first.runs.map((_run, i) => mergeRuns(parts.map((p) => ({ file: p.file, run: p.report.runs[i]! })), notes));
  const from: MergedPart[] = parts.map((p) => ({
    file: p.file,
    seed: p.report.scenario.seed,
    models: p.report.runs.map((r) => r.model),
    ...(typeof p.report.scenario.segment === 'string' && { segment: p.report.scenario.segment }),
  }));
  // Each part's segment is in `from`: the first's alone would name a slice of the players as the whole.
  const { segment: _firstSegment, ...scenario } = first.scenario;
  return {
    tool: { name: 'walletstorm', version: packageVersion() },
    scenario: { ...scenario, ...mergeFaultWindows(parts) },
    runs,
    timing: {
      wallMs: Math.max(...parts.map((p) => p.report.timing?.wallMs ?? 0)),
      simulatedOpsPerSec: sum(parts.map((p) => p.report.timing?.simulatedOpsPerSec ?? 0)),
    },
    merged: { from, notes },
  };
}

/**
 * When a fault was on in any part, each window once: parts run with other overrides (or another
 * --duration) had their faults at other times, and the first report's alone would hide them.
 */
function mergeFaultWindows(parts: readonly ReportPart[]): { faultWindows?: FaultWindowReport[] } {
  const windows = new Map<string, FaultWindowReport>();
  for (const p of parts) for (const w of p.report.scenario.faultWindows ?? []) windows.set(JSON.stringify([w.fault, w.fromMs, w.toMs]), w);
  return windows.size === 0 ? {} : { faultWindows: [...windows.values()] };
}

/**
 * One run counted twice would double every sum: the same file given twice or copied (identical
 * runs), or two simulations of the same scenario, seed and overrides (the simulator is
 * deterministic, so they are the same run). Real runs with one seed are not the same run: each
 * load generator sends its own transactions (a txId prefix of its own), which is how several
 * processes share one load.
 */
function refuseSameRun(parts: readonly ReportPart[]): void {
  const simulated = (p: ReportPart) => p.report.runs.every((r) => r.world === 'virtual');
  const same = (a: ReportPart, b: ReportPart) =>
    JSON.stringify(a.report.runs) === JSON.stringify(b.report.runs) ||
    (simulated(a) && simulated(b) && a.report.scenario.seed === b.report.scenario.seed && JSON.stringify(a.report.scenario.overrides) === JSON.stringify(b.report.scenario.overrides));
  parts.forEach((a, i) => {
    const b = parts.slice(0, i).find((p) => same(p, a));
    if (b === undefined) return;
    // The model lists were checked equal above, so every model of one is in the other.
    throw usageError(
      'E_MERGE_SAME_RUN',
      `${b.file} and ${a.file} hold the same run: scenario ${a.report.scenario.name} seed ${a.report.scenario.seed} model ${a.report.runs[0]!.model}`,
      'merge the reports of different processes, each run with its own --seed; the same run twice would count every operation twice',
    );
  });
}

/**
 * A merged report already holds the runs of its parts, and a real run records no identity to
 * tell whether another input is one of them: merged again beside one of its parts, that part
 * would count twice with nothing to detect it. Only the original reports are accepted.
 */
function refuseNested(file: string, report: Report): void {
  if (report.merged === undefined) return;
  const from = Array.isArray(report.merged?.from) ? report.merged.from.map((p) => p?.file).join(', ') : '';
  throw usageError(
    'E_MERGE_NESTED',
    `${file} is itself a merged report${from === '' ? '' : ` (of ${from})`}: merged again, a run it holds could count twice`,
    'merge the original reports in one command: walletstorm merge a.json b.json c.json --json merged.json',
  );
}

const COUNT = 'a whole number, 0 or more';
/** Something counted: operations, retries, results, fault firings. */
const count = z.int({ error: COUNT }).min(0);
/** Milliseconds, rates and money: never below 0, not necessarily whole. */
const amount = z.number({ error: 'a number, 0 or more' }).min(0);
/** Counts by name (results by code, faults by kind), summed key by key into the merged report. */
const counts = z.record(z.string(), count, { error: 'an object of counts' });
const summary = z.object({ count, p50: amount, p90: amount, p99: amount, p999: amount, max: amount });
const interval = z.object({
  tMs: amount,
  offered: count,
  goodput: count,
  attempts: count,
  retries: count,
  timeouts: count,
  duplicates: count,
  maxQueueDepth: count,
  maxLagMs: amount,
  ackP50Ms: amount,
  ackP99Ms: amount,
});
const phase = z.object({ name: z.string(), kind: z.string(), startMs: amount, endMs: amount, bets: count, offeredPerSec: amount, goodputPerSec: amount, betAck: summary, betTimeouts: count });
const sends = z.object({
  connections: count,
  sent: count,
  late: count,
  dropped: count,
  responsesLost: count,
  aborted: count,
  refused: count,
  socketErrors: count,
  unreadable: count,
  latency: summary,
});
const encoded = z.string({ error: 'an encoded histogram (text)' });
/** A real run over Kafka: what merge adds up, takes the largest of, or compares across its inputs. */
const kafka = z.object({
  brokers: z.string(),
  topics: z.object({ commands: z.string(), results: z.string(), dlq: z.string() }),
  partitions: count,
  producer: z.object({ lingerMs: amount, batchSize: count, maxInFlight: count, idempotent: z.boolean(), acks: z.union([z.literal(-1), z.literal(1)]) }),
  produced: count,
  producedTwice: count,
  produceFailed: count,
  produceRequestsFailed: count,
  producerGaps: z.array(z.object({ fromMs: amount, toMs: amount.nullable() })),
  longestGapMs: amount,
  resultsRead: count,
  resultReplays: count,
  resultsConsumerRestarts: count,
  deadLetters: count,
  maxConsumerLagRecords: count,
  consumerLag: z.array(z.object({ tMs: amount, records: count })),
});

/** The scenario's identity, which merge compares across its inputs and records in `merged.from`. */
const mergeableScenario = z.object({
  seed: z.int({ error: 'a whole number' }),
  overrides: z.array(z.string({ error: 'a --set override (text)' }), { error: 'a list of --set overrides' }),
  faultWindows: z.array(z.object({ fault: z.string(), fromMs: amount, toMs: amount.nullable() })).optional(),
});

/**
 * Absent from reports of walletstorms that did not record histograms (E_MERGE_NO_HISTOGRAM when
 * there are samples to add); an empty histogram is absent, a phase without bets is null.
 */
const mergeableHistograms = z
  .object({
    ack: z.object({ bet: encoded.optional(), win: encoded.optional(), rollback: encoded.optional() }),
    attempt: encoded.optional(),
    settlement: encoded.optional(),
    phaseBetAck: z.array(encoded.nullable()),
  })
  .optional();

/**
 * Everything mergeRuns adds up or takes the largest of, as walletstorm writes it: a run without
 * one of them would crash the merge or have it summed as 0 (a missing `logical` made the merged
 * run count only the other part's operations), and a text or a negative count would be summed
 * into a corrupted report ("OK": "190x", duplicates -5 hiding a duplicate of the other part).
 * Anything else a run holds passes through.
 */
const mergeableRun = z.object({
  world: z.enum(['virtual', 'real'], { error: '"virtual" or "real"' }),
  transport: z.enum(['http', 'kafka'], { error: '"http" or "kafka"' }).optional(),
  stopReason: z.string(),
  completed: z.boolean(),
  trafficMs: amount,
  endMs: amount,
  operations: z.object({
    logical: count,
    attempts: count,
    acknowledged: count,
    failed: count,
    indeterminate: count,
    byKind: z.object({ bet: count, win: count, rollback: count }),
  }),
  results: counts,
  latency: z.object({ ack: z.object({ bet: summary, win: summary, rollback: summary }), attempt: summary, settlement: summary }),
  histograms: mergeableHistograms,
  phases: z.array(phase),
  sends: sends.optional(),
  kafka: kafka.optional(),
  throughput: z.object({ offeredPerSec: amount, goodputPerSec: amount }),
  retries: count,
  timeouts: count,
  lateAnswers: count,
  replays: count,
  faults: counts,
  duplicates: count,
  duplicateMinorUnits: amount,
  unrefundedRollbacks: count,
  lost: count,
  unexpected: count,
  refusedButApplied: count,
  mismatches: count,
  negativeBalances: count,
  lateRejections: count,
  failedEvents: count,
  unsettled: count,
  maxQueueDepth: count,
  maxLagMs: amount,
  maxLagRecords: count,
  convergenceMs: amount.nullable(),
  consistency: z.object({
    ok: z.boolean(),
    checkedBy: z.enum(['ledger-audit', 'balances', 'none'], { error: '"ledger-audit", "balances" or "none"' }),
    balanceMismatches: count,
    outOfBounds: count,
    // Balances, not counts: a wallet that lost money can end below what it started with, or below 0.
    conservation: z.object({ ok: z.boolean(), initialMinorUnits: z.number(), finalMinorUnits: z.number() }),
    problems: z.array(z.string()),
    refusalsVisible: z.boolean().optional(),
  }),
  series: z.object({ intervalMs: z.number({ error: 'a number above 0' }).positive(), intervals: z.array(interval) }),
  // Only the expressions are read: they are judged again on the merged figures.
  thresholds: z.array(z.object({ expression: z.string({ error: 'a threshold such as p99(ack.bet)<250 (text)' }) })).optional(),
});

const CUT_OR_EDITED = 'merge reports as walletstorm wrote them (--json); this one was cut or edited';

function assertMergeable(file: string, index: number, run: RunReport): void {
  const where = `${file}: runs[${index}] (${run.model})`;
  assertValid(mergeableRun, run, where);
  run.thresholds?.forEach((t, i) => assertThreshold(t.expression, `${where}: thresholds[${i}].expression`));
  // The kafka section goes with the transport: a run over Kafka without it was cut (its figures
  // would be left out of the sums), and another run with it was edited.
  if (run.transport === 'kafka' && run.kafka === undefined) throw usageError('E_REPORT_INVALID', `${where} has no kafka`, CUT_OR_EDITED);
  if (run.transport !== 'kafka' && run.kafka !== undefined) {
    throw usageError('E_REPORT_INVALID', `${where}: kafka is there in a run over ${run.transport ?? 'no transport (a simulation)'}: expected only in a run over Kafka`, CUT_OR_EDITED);
  }
}

/** A threshold the merge judges again must parse: its error alone named no file and no run. */
function assertThreshold(expression: string, where: string): void {
  try {
    parseThreshold(expression);
  } catch (error) {
    if (!(error instanceof ThresholdError)) throw error;
    throw usageError('E_REPORT_INVALID', `${where}: ${error.message}`, CUT_OR_EDITED);
  }
}

function assertValid(schema: z.ZodType, value: unknown, where: string): void {
  const result = schema.safeParse(value, { error: expectedInWords });
  if (result.success) return;
  throw usageError('E_REPORT_INVALID', describeProblem(where, value, result.error.issues), CUT_OR_EDITED);
}

interface RunPart {
  readonly file: string;
  readonly run: RunReport;
}

function mergeRuns(parts: readonly RunPart[], notes: string[]): RunReport {
  const runs = parts.map((p) => p.run);
  const first = runs[0]!;
  refuseOtherWorlds(parts);
  const latency = (name: string, pick: (r: RunReport) => LatencySummary, enc: (h: RunHistograms | undefined) => string | null | undefined) =>
    addLatency(
      parts.map((p) => ({ file: p.file, summary: pick(p.run), encoded: enc(p.run.histograms) })),
      `${first.model} ${name}`,
    );
  const ack = {
    bet: latency('ack.bet', (r) => r.latency.ack.bet, (h) => h?.ack.bet),
    win: latency('ack.win', (r) => r.latency.ack.win, (h) => h?.ack.win),
    rollback: latency('ack.rollback', (r) => r.latency.ack.rollback, (h) => h?.ack.rollback),
  };
  const attempt = latency('attempt', (r) => r.latency.attempt, (h) => h?.attempt);
  const settlement = latency('settlement', (r) => r.latency.settlement, (h) => h?.settlement);
  const phases = mergePhases(parts);
  const counts = {
    duplicates: sumOf(runs, (r) => r.duplicates),
    duplicateMinorUnits: sumOf(runs, (r) => r.duplicateMinorUnits),
    unrefundedRollbacks: sumOf(runs, (r) => r.unrefundedRollbacks),
    lost: sumOf(runs, (r) => r.lost),
    unexpected: sumOf(runs, (r) => r.unexpected),
    refusedButApplied: sumOf(runs, (r) => r.refusedButApplied),
    mismatches: sumOf(runs, (r) => r.mismatches),
    negativeBalances: sumOf(runs, (r) => r.negativeBalances),
    lateRejections: sumOf(runs, (r) => r.lateRejections),
    failedEvents: sumOf(runs, (r) => r.failedEvents),
    unsettled: sumOf(runs, (r) => r.unsettled),
  };
  const sends = mergeSends(parts, notes);
  const kafka = mergeKafka(parts, notes);
  const merged: RunReport = {
    model: first.model,
    world: first.world,
    ...(first.transport === undefined ? {} : { transport: first.transport }),
    ...(runs.some((r) => r.interrupted !== undefined) ? { interrupted: runs.some((r) => r.interrupted === true) } : {}),
    ...(sends === undefined ? {} : { sends }),
    ...(kafka === undefined ? {} : { kafka }),
    stopReason: [...new Set(runs.map((r) => r.stopReason))].join('+'),
    completed: runs.every((r) => r.completed),
    trafficMs: maxOf(runs, (r) => r.trafficMs),
    endMs: maxOf(runs, (r) => r.endMs),
    operations: {
      logical: sumOf(runs, (r) => r.operations.logical),
      attempts: sumOf(runs, (r) => r.operations.attempts),
      acknowledged: sumOf(runs, (r) => r.operations.acknowledged),
      failed: sumOf(runs, (r) => r.operations.failed),
      indeterminate: sumOf(runs, (r) => r.operations.indeterminate),
      byKind: {
        bet: sumOf(runs, (r) => r.operations.byKind.bet),
        win: sumOf(runs, (r) => r.operations.byKind.win),
        rollback: sumOf(runs, (r) => r.operations.byKind.rollback),
      },
    },
    results: sumRecords(runs.map((r) => r.results as Record<string, number>)),
    latency: { ack: { bet: ack.bet.summary, win: ack.win.summary, rollback: ack.rollback.summary }, attempt: attempt.summary, settlement: settlement.summary },
    histograms: {
      ack: { bet: ack.bet.encoded, win: ack.win.encoded, rollback: ack.rollback.encoded },
      attempt: attempt.encoded,
      settlement: settlement.encoded,
      phaseBetAck: phases.encoded,
    },
    phases: phases.reports,
    // The processes ran side by side: their rates add up.
    throughput: { offeredPerSec: round3(sumOf(runs, (r) => r.throughput.offeredPerSec)), goodputPerSec: round3(sumOf(runs, (r) => r.throughput.goodputPerSec)) },
    retries: sumOf(runs, (r) => r.retries),
    timeouts: sumOf(runs, (r) => r.timeouts),
    lateAnswers: sumOf(runs, (r) => r.lateAnswers),
    replays: sumOf(runs, (r) => r.replays),
    faults: sumRecords(runs.map((r) => r.faults as unknown as Record<string, number>)) as unknown as FaultCounts,
    ...counts,
    maxQueueDepth: maxOf(runs, (r) => r.maxQueueDepth),
    maxLagMs: maxOf(runs, (r) => r.maxLagMs),
    maxLagRecords: maxOf(runs, (r) => r.maxLagRecords),
    convergenceMs: runs.some((r) => r.convergenceMs === null) ? null : maxOf(runs, (r) => r.convergenceMs ?? 0),
    consistency: mergeConsistency(parts, counts),
    series: mergeSeries(parts, notes),
  };
  const expressions = [...new Set(runs.flatMap((r) => (r.thresholds ?? []).map((t) => t.expression)))];
  return expressions.length === 0 ? merged : { ...merged, thresholds: evaluateThresholds(expressions.map(parseThreshold), merged) };
}

/** A simulated run beside a real one, or a run over HTTP beside one over Kafka, measured other things under the same names. */
function refuseOtherWorlds(parts: readonly RunPart[]): void {
  const first = parts[0]!;
  for (const p of parts) {
    if (p.run.world !== first.run.world) throw usageError('E_MERGE_MISMATCH', `${p.file}: ${p.run.model} ran in the ${p.run.world} world, the first report in the ${first.run.world} world`);
    if (p.run.transport !== first.run.transport) {
      throw usageError('E_MERGE_MISMATCH', `${p.file}: ${p.run.model} reached its wallet over ${p.run.transport}, ${first.file} over ${first.run.transport}`, 'merge runs that reached the wallet the same way: all over HTTP, or all over Kafka');
    }
  }
}

/** Judged again as the checker does, on the summed counts; a part that failed keeps failing. */
function mergeConsistency(parts: readonly RunPart[], counts: Pick<RunReport, 'duplicates' | 'unrefundedRollbacks' | 'lost' | 'unexpected' | 'refusedButApplied' | 'mismatches' | 'negativeBalances'>): RunReport['consistency'] {
  const cs = parts.map((p) => p.run.consistency);
  const balanceMismatches = sumOf(cs, (c) => c.balanceMismatches);
  const outOfBounds = sumOf(cs, (c) => c.outOfBounds);
  const conservation = {
    ok: cs.every((c) => c.conservation.ok),
    initialMinorUnits: sumOf(cs, (c) => c.conservation.initialMinorUnits),
    finalMinorUnits: sumOf(cs, (c) => c.conservation.finalMinorUnits),
  };
  const judged =
    counts.duplicates === 0 &&
    counts.unrefundedRollbacks === 0 &&
    counts.lost === 0 &&
    counts.unexpected === 0 &&
    counts.refusedButApplied === 0 &&
    counts.mismatches === 0 &&
    counts.negativeBalances === 0 &&
    balanceMismatches === 0 &&
    outOfBounds === 0 &&
    conservation.ok &&
    conservation.initialMinorUnits === conservation.finalMinorUnits;
  // The weakest check any part could make is the one the union was checked by.
  const strength = ['none', 'balances', 'ledger-audit'] as const;
  const checkedBy = strength[Math.min(...cs.map((c) => strength.indexOf(c.checkedBy)))] ?? 'none';
  return {
    ok: judged && cs.every((c) => c.ok),
    checkedBy,
    balanceMismatches,
    outOfBounds,
    conservation,
    problems: parts.flatMap((p) => p.run.consistency.problems.map((text) => `${p.file}: ${text}`)).slice(0, 20),
    // Seen in the union only if seen in every part that says (a simulated part sees them all).
    ...(cs.some((c) => c.refusalsVisible !== undefined) ? { refusalsVisible: cs.every((c) => c.refusalsVisible !== false) } : {}),
  };
}

/** "phases warm-up, storm", or "no phases" (a list that reads as nothing otherwise). */
function phaseList(phases: readonly PhaseReport[]): string {
  return phases.length === 0 ? 'no phases' : `phases ${phases.map((ph) => ph.name).join(', ')}`;
}

function mergePhases(parts: readonly RunPart[]): { reports: PhaseReport[]; encoded: (string | null)[] } {
  const first = parts[0]!.run.phases;
  for (const p of parts) {
    if (p.run.phases.map((ph) => ph.name).join() !== first.map((ph) => ph.name).join()) {
      throw usageError(
        'E_MERGE_MISMATCH',
        `${p.file}: ${p.run.model} has ${phaseList(p.run.phases)}, the first report ${phaseList(first)}`,
        'merge reports of one scenario run with the same traffic phases (the same file and --set flags)',
      );
    }
  }
  const reports: PhaseReport[] = [];
  const encoded: (string | null)[] = [];
  first.forEach((phase, i) => {
    const list = parts.map((p) => p.run.phases[i]!);
    const ack = addLatency(
      parts.map((p) => ({ file: p.file, summary: p.run.phases[i]!.betAck, encoded: p.run.histograms?.phaseBetAck[i] })),
      `${parts[0]!.run.model} phase ${phase.name} bet ack`,
    );
    reports.push({
      name: phase.name,
      kind: phase.kind,
      startMs: phase.startMs,
      endMs: phase.endMs,
      bets: sumOf(list, (ph) => ph.bets),
      offeredPerSec: round3(sumOf(list, (ph) => ph.offeredPerSec)),
      goodputPerSec: round3(sumOf(list, (ph) => ph.goodputPerSec)),
      betAck: ack.summary,
      betTimeouts: sumOf(list, (ph) => ph.betTimeouts),
    });
    encoded.push(ack.encoded ?? null);
  });
  return { reports, encoded };
}

/**
 * Per-interval counts add up exactly; per-interval ack percentiles are not carried as
 * histograms (they would bloat the report), so the merge keeps the largest of the parts.
 */
function mergeSeries(parts: readonly RunPart[], notes: string[]): Series {
  const intervalMs = parts[0]!.run.series.intervalMs;
  for (const p of parts) {
    if (p.run.series.intervalMs !== intervalMs) {
      throw usageError('E_MERGE_MISMATCH', `${p.file}: series interval ${p.run.series.intervalMs} ms, the first report ${intervalMs} ms`);
    }
  }
  const length = Math.max(...parts.map((p) => p.run.series.intervals.length));
  const intervals: IntervalFigures[] = [];
  for (let i = 0; i < length; i++) {
    const at = parts.map((p) => p.run.series.intervals[i]).filter((x): x is IntervalFigures => x !== undefined);
    intervals.push({
      tMs: i * intervalMs,
      offered: sumOf(at, (x) => x.offered),
      goodput: sumOf(at, (x) => x.goodput),
      attempts: sumOf(at, (x) => x.attempts),
      retries: sumOf(at, (x) => x.retries),
      timeouts: sumOf(at, (x) => x.timeouts),
      duplicates: sumOf(at, (x) => x.duplicates),
      maxQueueDepth: maxOf(at, (x) => x.maxQueueDepth),
      maxLagMs: maxOf(at, (x) => x.maxLagMs),
      ackP50Ms: maxOf(at, (x) => x.ackP50Ms),
      ackP99Ms: maxOf(at, (x) => x.ackP99Ms),
    });
  }
  if (parts.length > 1) addNote(notes, 'series: per-interval ack p50/p99 are the largest of the parts (an upper bound); the run-wide percentiles are exact');
  return { intervalMs, intervals };
}

function mergeSends(parts: readonly RunPart[], notes: string[]): SendsReport | undefined {
  const sends = parts.map((p) => p.run.sends).filter((s): s is SendsReport => s !== undefined);
  if (sends.length === 0) return undefined;
  if (sends.length > 1) addNote(notes, 'sends.latency: the load generators do not export this histogram, so its percentiles are the largest of the parts (an upper bound)');
  const l = sends.map((s) => s.latency);
  return {
    connections: sumOf(sends, (s) => s.connections),
    sent: sumOf(sends, (s) => s.sent),
    late: sumOf(sends, (s) => s.late),
    dropped: sumOf(sends, (s) => s.dropped),
    responsesLost: sumOf(sends, (s) => s.responsesLost),
    aborted: sumOf(sends, (s) => s.aborted),
    refused: sumOf(sends, (s) => s.refused),
    socketErrors: sumOf(sends, (s) => s.socketErrors),
    unreadable: sumOf(sends, (s) => s.unreadable),
    latency: {
      count: sumOf(l, (x) => x.count),
      p50: maxOf(l, (x) => x.p50),
      p90: maxOf(l, (x) => x.p90),
      p99: maxOf(l, (x) => x.p99),
      p999: maxOf(l, (x) => x.p999),
      max: maxOf(l, (x) => x.max),
    },
  };
}

/**
 * Runs over Kafka whose load generators shared one wallet (other topics are refused): what each
 * produced and read is its own and adds up; the wallet's dead letters and lag each part saw over
 * its own run, so those take the largest (summed, each would count once per process). Gaps and
 * lag samples are kept from every part, in run-time order, as the series' intervals are aligned.
 */
function mergeKafka(parts: readonly RunPart[], notes: string[]): KafkaRunReport | undefined {
  if (parts[0]!.run.transport !== 'kafka') return undefined;
  // Every part ran over Kafka (refuseOtherWorlds) and has its section (assertMergeable).
  const ks = parts.map((p) => p.run.kafka!);
  const first = ks[0]!;
  for (const p of parts.slice(1)) sameWallet(parts[0]!, p, notes);
  if (ks.length > 1) addNote(notes, 'kafka.deadLetters and maxConsumerLagRecords are the shared wallet\'s as each load generator saw it over its own run: the largest of the parts (a lower bound when the runs did not start together)');
  return {
    // The same cluster may be reached through other brokers from other hosts.
    brokers: [...new Set(ks.flatMap((k) => k.brokers.split(',')))].join(','),
    topics: first.topics,
    partitions: first.partitions,
    producer: first.producer,
    produced: sumOf(ks, (k) => k.produced),
    producedTwice: sumOf(ks, (k) => k.producedTwice),
    produceFailed: sumOf(ks, (k) => k.produceFailed),
    produceRequestsFailed: sumOf(ks, (k) => k.produceRequestsFailed),
    producerGaps: ks.flatMap((k) => k.producerGaps).sort((x, y) => x.fromMs - y.fromMs),
    longestGapMs: maxOf(ks, (k) => k.longestGapMs),
    resultsRead: sumOf(ks, (k) => k.resultsRead),
    resultReplays: sumOf(ks, (k) => k.resultReplays),
    resultsConsumerRestarts: sumOf(ks, (k) => k.resultsConsumerRestarts),
    deadLetters: maxOf(ks, (k) => k.deadLetters),
    maxConsumerLagRecords: maxOf(ks, (k) => k.maxConsumerLagRecords),
    consumerLag: ks.flatMap((k) => k.consumerLag).sort((x, y) => x.tMs - y.tMs),
  };
}

/**
 * The topics name the wallet whose dead letters and lag the section reports: runs on other topics
 * loaded other wallets. Producer settings come from the scenario and its overrides, which differ
 * with a note (as other --set overrides do).
 */
function sameWallet(first: RunPart, p: RunPart, notes: string[]): void {
  const [a, b] = [first.run.kafka!, p.run.kafka!];
  const on = (k: KafkaRunReport) => `${k.topics.commands}, ${k.topics.results}, ${k.topics.dlq} (${k.partitions} partitions)`;
  if (on(a) !== on(b)) {
    throw usageError(
      'E_MERGE_MISMATCH',
      `${p.file}: ${p.run.model} ran on the Kafka topics ${on(b)}, ${first.file} on ${on(a)}`,
      'merge the runs of load generators that shared one wallet (load --target kafka://... --wallet URL in each); a load that started its own wallet has topics, dead letters and lag of its own',
    );
  }
  if (JSON.stringify(a.producer) === JSON.stringify(b.producer)) return;
  notes.push(`${p.file}: ${p.run.model}: kafka producer ${producerInWords(b.producer)}; ${first.file}: ${producerInWords(a.producer)}; the merged report keeps the first`);
}

interface LatencyPart {
  readonly file: string;
  readonly summary: LatencySummary;
  readonly encoded: string | null | undefined;
}

/**
 * Adds histograms. The exact maximum comes from the summaries: a decoded histogram only knows
 * the top of the bucket its largest value fell in.
 */
export function addLatency(parts: readonly LatencyPart[], what: string): { summary: LatencySummary; encoded?: string } {
  const sumHdr: Histogram = buildHdr();
  let maxUs = 0;
  for (const p of parts) {
    if (p.summary.count === 0) continue;
    if (typeof p.encoded !== 'string') {
      throw usageError(
        'E_MERGE_NO_HISTOGRAM',
        `${p.file}: ${what} has ${p.summary.count} samples but no encoded histogram, so percentiles cannot be added exactly`,
        'merge reports written by a walletstorm that records histograms (the "histograms" section of each run)',
      );
    }
    let h: Histogram;
    try {
      h = decodeHdr(p.encoded);
    } catch (e) {
      throw usageError(
        'E_REPORT_INVALID',
        `${p.file}: ${what}: the encoded histogram cannot be read (${(e as Error).message})`,
        'the report was changed after walletstorm wrote it: write it again with --json',
      );
    }
    if (h.totalCount !== p.summary.count) {
      throw usageError('E_REPORT_INVALID', `${p.file}: ${what}: the histogram holds ${h.totalCount} samples but the summary says ${p.summary.count}`);
    }
    sumHdr.add(h);
    maxUs = Math.max(maxUs, Math.round(p.summary.max * 1000));
  }
  if (sumHdr.totalCount === 0) return { summary: summarize(sumHdr, 0) };
  return { summary: summarize(sumHdr, maxUs), encoded: encodeHdr(sumHdr) };
}

function addNote(notes: string[], text: string): void {
  if (!notes.includes(text)) notes.push(text);
}

function sumRecords(records: readonly (Record<string, number> | undefined)[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r ?? {})) out[k] = (out[k] ?? 0) + v;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

function sumOf<T>(items: readonly T[], pick: (t: T) => number | undefined): number {
  return sum(items.map((t) => pick(t) ?? 0));
}

function maxOf<T>(items: readonly T[], pick: (t: T) => number | undefined): number {
  return items.reduce((m, t) => Math.max(m, pick(t) ?? 0), 0);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
