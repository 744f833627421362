import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../src/sim/prng.js';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import { runVirtual } from '../src/sim/world.js';
import { decodeHdr, LatencyHistogram } from '../src/report/histogram.js';
import { WalletstormError } from '../src/errors.js';
import { mergeReports, type ReportPart } from '../src/report/merge.js';
import type { FaultWindowReport, KafkaRunReport, Report, RunReport } from '../src/report/model.js';

const SMALL = ['traffic.phases.0.durationSec=1', 'traffic.phases.0.roundsPerSec=100', 'players.count=100'];

function report(seed: number): Report {
  const loaded = loadScenario('steady', SMALL);
  return {
    tool: { name: 'walletstorm', version: 'test' },
    scenario: { name: 'steady', seed, overrides: loaded.overrides },
    runs: [runVirtual(compileScenario(loaded.scenario), 'request', seed).report],
    timing: { wallMs: 10, simulatedOpsPerSec: 100 },
  };
}

/** Latencies with a long tail, as a stalled wallet makes them: mostly milliseconds, some seconds. */
function latencies(n: number, seed: number): number[] {
  const rng = new SeededRandom(seed);
  return Array.from({ length: n }, () => {
    const u = rng.next();
    return u < 0.97 ? 0.2 + 20 * rng.next() : 200 + 9000 * rng.next() ** 3;
  });
}

/** The report as written to disk and read back. */
const viaJson = (r: Report): Report => JSON.parse(JSON.stringify(r, null, 2));

/** Puts a histogram into the bet-ack slot of a real run, summary and encoding together. */
function withBetAck(run: RunReport, h: LatencyHistogram): RunReport {
  return {
    ...run,
    latency: { ...run.latency, ack: { ...run.latency.ack, bet: h.summary() } },
    histograms: { ...run.histograms!, ack: { ...run.histograms!.ack, bet: h.encoded() } },
  };
}

/** The WalletstormError mergeReports throws for these parts. */
function refusal(parts: ReportPart[]): WalletstormError {
  try {
    mergeReports(parts);
  } catch (e) {
    expect(e).toBeInstanceOf(WalletstormError);
    return e as WalletstormError;
  }
  throw new Error('merged');
}

describe('merge: two halves give the percentiles of one histogram of both', () => {
  const values = latencies(40_000, 7);
  const whole = new LatencyHistogram();
  const first = new LatencyHistogram();
  const second = new LatencyHistogram();
  values.forEach((v, i) => {
    whole.recordMs(v);
    (i % 2 === 0 ? first : second).recordMs(v);
  });

  it('directly from LatencyHistogram halves, through the JSON report', () => {
    const a = report(1);
    const b = report(2);
    const halves = [viaJson({ ...a, runs: [withBetAck(a.runs[0]!, first)] }), viaJson({ ...b, runs: [withBetAck(b.runs[0]!, second)] })];
    const merged = mergeReports(halves.map((report, i) => ({ file: `half-${i}.json`, report })));
    const expected = whole.summary();
    expect(merged.runs[0]!.latency.ack.bet).toEqual(expected);
    // Not a coincidence of five figures: the encoded sum has the whole's distribution at every percentile.
    const spectrum = (encoded: string) => decodeHdr(encoded).outputPercentileDistribution(20, 1000);
    expect(spectrum(merged.runs[0]!.histograms!.ack.bet!)).toBe(spectrum(whole.encoded()));
    expect(expected.count).toBe(40_000);
    expect(expected.p999).toBeGreaterThan(expected.p99);
  });

  it('the same for halves split by time (the first 20,000 samples, then the rest)', () => {
    const early = new LatencyHistogram();
    const late = new LatencyHistogram();
    values.forEach((v, i) => (i < 20_000 ? early : late).recordMs(v));
    const [a, b] = [report(1), report(2)];
    const merged = mergeReports([
      { file: 'early.json', report: viaJson({ ...a, runs: [withBetAck(a.runs[0]!, early)] }) },
      { file: 'late.json', report: viaJson({ ...b, runs: [withBetAck(b.runs[0]!, late)] }) },
    ]);
    expect(merged.runs[0]!.latency.ack.bet).toEqual(whole.summary());
  });
});

describe('merge of real runs', () => {
  const a = viaJson(report(1));
  const b = viaJson(report(2));
  const merged = mergeReports([
    { file: 'a.json', report: a },
    { file: 'b.json', report: b },
  ]);
  const [ra, rb, m] = [a.runs[0]!, b.runs[0]!, merged.runs[0]!];

  it('sums counters, adds rates, keeps maxima, and says what it merged', () => {
    expect(m.operations.logical).toBe(ra.operations.logical + rb.operations.logical);
    expect(m.operations.byKind.bet).toBe(ra.operations.byKind.bet + rb.operations.byKind.bet);
    expect(m.results.OK).toBe((ra.results.OK ?? 0) + (rb.results.OK ?? 0));
    expect(m.latency.ack.bet.count).toBe(ra.latency.ack.bet.count + rb.latency.ack.bet.count);
    expect(m.latency.ack.bet.max).toBe(Math.max(ra.latency.ack.bet.max, rb.latency.ack.bet.max));
    expect(m.latency.settlement.count).toBe(ra.latency.settlement.count + rb.latency.settlement.count);
    expect(m.phases[0]!.betAck.count).toBe(ra.phases[0]!.betAck.count + rb.phases[0]!.betAck.count);
    expect(m.throughput.offeredPerSec).toBeCloseTo(ra.throughput.offeredPerSec + rb.throughput.offeredPerSec, 3);
    expect(m.maxQueueDepth).toBe(Math.max(ra.maxQueueDepth, rb.maxQueueDepth));
    expect(m.series.intervals[0]!.offered).toBe(ra.series.intervals[0]!.offered + rb.series.intervals[0]!.offered);
    expect(m.consistency.ok).toBe(true);
    expect(m.consistency.conservation.initialMinorUnits).toBe(2 * ra.consistency.conservation.initialMinorUnits);
    expect(merged.merged!.from).toEqual([
      { file: 'a.json', seed: 1, models: ['request'] },
      { file: 'b.json', seed: 2, models: ['request'] },
    ]);
  });

  it('judges consistency again on the union: a duplicate in one part fails the whole', () => {
    const bad = { ...b, runs: [{ ...rb, duplicates: 1, consistency: { ...rb.consistency, ok: false, problems: ['bet tx-1 of p-1 applied 2 times'] } }] };
    const m2 = mergeReports([
      { file: 'a.json', report: a },
      { file: 'b.json', report: bad },
    ]).runs[0]!;
    expect(m2.duplicates).toBe(1);
    expect(m2.consistency.ok).toBe(false);
    expect(m2.consistency.problems).toEqual(['b.json: bet tx-1 of p-1 applied 2 times']);
  });

  it('settlement refusals were visible in the union only if they were in every part that says', () => {
    const seen = (r: Report, refusalsVisible: boolean | undefined): Report => ({ ...r, runs: r.runs.map((run) => ({ ...run, consistency: { ...run.consistency, refusalsVisible } })) });
    const merged = (x: boolean | undefined, y: boolean | undefined) =>
      mergeReports([
        { file: 'a.json', report: seen(a, x) },
        { file: 'b.json', report: seen(b, y) },
      ]).runs[0]!.consistency.refusalsVisible;
    expect(merged(true, false)).toBe(false);
    expect(merged(true, true)).toBe(true);
    expect(merged(undefined, true)).toBe(true);
    expect(merged(undefined, undefined)).toBeUndefined();
  });

  it('re-evaluates thresholds on the merged figures', () => {
    const t = (r: Report): Report => ({ ...r, runs: r.runs.map((run) => ({ ...run, thresholds: [{ expression: 'count(ack.bet)>0', metric: 'count(ack.bet)', value: run.latency.ack.bet.count, ok: true }] })) });
    const m3 = mergeReports([
      { file: 'a.json', report: t(a) },
      { file: 'b.json', report: t(b) },
    ]).runs[0]!;
    expect(m3.thresholds).toEqual([{ expression: 'count(ack.bet)>0', metric: 'count(ack.bet)', value: m.latency.ack.bet.count, ok: true }]);
  });

  it('refuses reports it cannot add exactly: another scenario, other models, no histograms', () => {
    expect(() => mergeReports([{ file: 'a.json', report: a }, { file: 'x.json', report: { ...b, scenario: { ...b.scenario, name: 'other' } } }])).toThrow(/x\.json is of scenario "other"/);
    expect(() => mergeReports([{ file: 'a.json', report: a }, { file: 'x.json', report: { ...b, runs: [{ ...rb, model: 'event' }] } }])).toThrow(/x\.json has runs of event/);
    const { histograms: _none, ...old } = rb;
    expect(() => mergeReports([{ file: 'a.json', report: a }, { file: 'old.json', report: { ...b, runs: [old as RunReport] } }])).toThrow(/old\.json: request ack\.bet has \d+ samples but no encoded histogram/);
  });

  /** b with one path of its run deleted, as a hand-edited or cut report has it. */
  const without = (path: string): Report => {
    const copy = structuredClone(b) as unknown as { runs: Record<string, unknown>[] };
    const keys = path.split('.');
    let at: Record<string, unknown> = copy.runs[0]!;
    for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
    delete at[keys.at(-1)!];
    return copy as unknown as Report;
  };

  it.each([
    'series',
    'phases',
    'latency',
    'consistency',
    'operations',
    'duplicates',
    'latency.ack.win',
    'consistency.conservation',
    'series.intervals',
    // Counters summed as 0 when missing, before: the merged run counted only the other part's.
    'operations.logical',
    'operations.byKind.bet',
    'throughput.offeredPerSec',
    'retries',
    'lateRejections',
    'maxQueueDepth',
    'consistency.conservation.finalMinorUnits',
  ])(
    'refuses a run without %s as invalid input (E_REPORT_INVALID, exit 2), naming file, run and field',
    (path) => {
      const e = refusal([{ file: 'a.json', report: a }, { file: 'b.json', report: without(path) }]);
      expect([e.code, e.exitCode]).toEqual(['E_REPORT_INVALID', 2]);
      expect(e.message).toMatch(new RegExp(`^b\\.json: runs\\[0\\] \\(request\\) has no ${path.replace(/\./g, '\\.')}(\\.count)?$`));
    },
  );

  /** b with one path set to a value, as a hand-edited report has it ('scenario.overrides', or a path in its run). */
  const withValue = (path: string, value: unknown): Report => {
    const copy = structuredClone(b) as unknown as Record<string, unknown> & { runs: Record<string, unknown>[] };
    const keys = path.split('.');
    let at: Record<string, unknown> = keys[0] === 'scenario' ? copy : copy.runs[0]!;
    for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
    at[keys.at(-1)!] = value;
    return copy as unknown as Report;
  };

  it.each([
    ['histograms', {}, 'runs[0] (request) has no histograms.ack'],
    ['histograms', null, 'runs[0] (request): histograms is null: expected an object'],
    ['histograms', 'x', 'runs[0] (request): histograms is "x": expected an object'],
    ['histograms', [], 'runs[0] (request): histograms is []: expected an object'],
    ['histograms.ack', null, 'runs[0] (request): histograms.ack is null: expected an object'],
    ['histograms.ack.bet', 5, 'runs[0] (request): histograms.ack.bet is 5: expected an encoded histogram (text)'],
    ['histograms.phaseBetAck', {}, 'runs[0] (request): histograms.phaseBetAck is {}: expected a list'],
    ['scenario.overrides', null, 'scenario: overrides is null: expected a list of --set overrides'],
    ['scenario.overrides', 5, 'scenario: overrides is 5: expected a list of --set overrides'],
    ['scenario.overrides', {}, 'scenario: overrides is {}: expected a list of --set overrides'],
    ['scenario.overrides', [7], 'scenario: overrides[0] is 7: expected a --set override (text)'],
  ])('refuses %s set to %j as invalid input (E_REPORT_INVALID, exit 2), not a TypeError', (path, value, message) => {
    const e = refusal([{ file: 'a.json', report: a }, { file: 'b.json', report: withValue(path, value) }]);
    expect([e.code, e.exitCode, e.message]).toEqual(['E_REPORT_INVALID', 2, `b.json: ${message}`]);
  });

  it.each([
    ['results', { OK: 'x' }, 'results.OK is "x": expected a whole number, 0 or more'],
    ['results', null, 'results is null: expected an object of counts'],
    ['results', [], 'results is []: expected an object of counts'],
    ['faults.rebalances', -1, 'faults.rebalances is -1: expected a whole number, 0 or more'],
    ['duplicates', -5, 'duplicates is -5: expected a whole number, 0 or more'],
    ['duplicates', 0.5, 'duplicates is 0.5: expected a whole number, 0 or more'],
    ['operations.logical', '2070', 'operations.logical is "2070": expected a whole number, 0 or more'],
    ['endMs', 'abc', 'endMs is "abc": expected a number, 0 or more'],
    ['throughput.goodputPerSec', -1, 'throughput.goodputPerSec is -1: expected a number, 0 or more'],
    ['latency.ack.bet.p99', -3, 'latency.ack.bet.p99 is -3: expected a number, 0 or more'],
    // 1e400 in the file: the message said "is null", what JSON writes for it.
    ['latency.ack.bet.p99', Infinity, 'latency.ack.bet.p99 is Infinity: expected a number, 0 or more'],
    ['latency.settlement.count', -1, 'latency.settlement.count is -1: expected a whole number, 0 or more'],
    ['phases.0.bets', null, 'phases[0].bets is null: expected a whole number, 0 or more'],
    ['series.intervals.0.offered', -1, 'series.intervals[0].offered is -1: expected a whole number, 0 or more'],
    ['series.intervalMs', 0, 'series.intervalMs is 0: expected a number above 0'],
    ['convergenceMs', 'x', 'convergenceMs is "x": expected a number, 0 or more'],
    ['consistency.checkedBy', 'eyeballed', 'consistency.checkedBy is "eyeballed": expected "ledger-audit", "balances" or "none"'],
    ['consistency.problems', [5], 'consistency.problems[0] is 5: expected a text'],
    ['world', 'moon', 'world is "moon": expected "virtual" or "real"'],
    ['completed', 'yes', 'completed is "yes": expected true or false'],
    // Judged again on the merged figures: a TypeError before (thresholds.map is not a function).
    ['thresholds', 'p99(ack.bet)<250', 'thresholds is "p99(ack.bet)<250": expected a list'],
    ['thresholds', [null], 'thresholds[0] is null: expected an object'],
    ['thresholds', [{ expression: 5 }], 'thresholds[0].expression is 5: expected a threshold such as p99(ack.bet)<250 (text)'],
  ])('refuses %s set to %j (E_REPORT_INVALID, exit 2): it would be summed into a corrupted report', (path, value, message) => {
    const e = refusal([{ file: 'a.json', report: a }, { file: 'b.json', report: withValue(path, value) }]);
    expect([e.code, e.exitCode, e.message]).toEqual(['E_REPORT_INVALID', 2, `b.json: runs[0] (request): ${message}`]);
  });

  it('refuses a threshold it cannot read (E_REPORT_INVALID, exit 2) naming file, run and field: before, only the expression, as if typed on the command line', () => {
    const e = refusal([{ file: 'a.json', report: a }, { file: 'b.json', report: withValue('thresholds', [{ expression: 'p99(ack.bet)<<1' }]) }]);
    expect([e.code, e.exitCode]).toEqual(['E_REPORT_INVALID', 2]);
    expect(e.message.split('\n')[0]).toBe('b.json: runs[0] (request): thresholds[0].expression: invalid threshold "p99(ack.bet)<<1": unknown operator "<<" (use one of < <= > >= == !=)');
  });

  it('takes what a run may hold: a run that never converged (null), a wallet that ended with less money than it started', () => {
    const m2 = mergeReports([{ file: 'a.json', report: a }, { file: 'b.json', report: withValue('convergenceMs', null) }]).runs[0]!;
    expect(m2.convergenceMs).toBeNull();
    const poorer = withValue('consistency.conservation', { ok: false, initialMinorUnits: 100, finalMinorUnits: -20 });
    expect(mergeReports([{ file: 'a.json', report: a }, { file: 'b.json', report: poorer }]).runs[0]!.consistency.ok).toBe(false);
  });

  it('takes a run whose histograms lack an empty latency, and a phase without bets as null', () => {
    const noRollbacks = (r: Report): Report => {
      const copy = structuredClone(r) as unknown as { runs: { latency: { ack: { rollback: { count: number } } }; histograms: { ack: Record<string, unknown>; phaseBetAck: unknown[] } }[] };
      copy.runs[0]!.latency.ack.rollback = { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 } as never;
      delete copy.runs[0]!.histograms.ack.rollback;
      return copy as unknown as Report;
    };
    const merged = mergeReports([{ file: 'a.json', report: noRollbacks(a) }, { file: 'b.json', report: noRollbacks(b) }]).runs[0]!;
    expect(merged.latency.ack.rollback.count).toBe(0);
    expect(merged.histograms!.ack.rollback).toBeUndefined();
  });

  it('refuses a phase or an interval that is null, naming it', () => {
    const broken = structuredClone(b);
    (broken.runs[0]!.phases as unknown[])[0] = null;
    expect(refusal([{ file: 'a.json', report: a }, { file: 'b.json', report: broken }]).message).toBe('b.json: runs[0] (request): phases[0] is null: expected an object');
    const gap = structuredClone(b);
    (gap.runs[0]!.series.intervals as unknown[])[1] = null;
    expect(refusal([{ file: 'a.json', report: a }, { file: 'b.json', report: gap }]).message).toBe('b.json: runs[0] (request): series.intervals[1] is null: expected an object');
  });

  it('keeps the fault windows of every part, once each: parts run with other overrides had their faults at other times', () => {
    const loss = { fault: 'responseLoss', fromMs: 0, toMs: 1000 };
    const slow = { fault: 'walletSlowdown', fromMs: 500, toMs: null };
    const windows = (r: Report, faultWindows: FaultWindowReport[] | undefined): Report => ({ ...r, scenario: { ...r.scenario, faultWindows } });
    const merge = (x: FaultWindowReport[] | undefined, y: FaultWindowReport[] | undefined) =>
      mergeReports([
        { file: 'a.json', report: windows(a, x) },
        { file: 'b.json', report: windows(b, y) },
      ]).scenario.faultWindows;
    expect(merge([loss], [loss, slow])).toEqual([loss, slow]);
    expect(merge(undefined, [slow])).toEqual([slow]);
    expect(merge(undefined, undefined)).toBeUndefined();
    expect(refusal([{ file: 'a.json', report: a }, { file: 'b.json', report: withValue('scenario.faultWindows', [{ fault: 'x', fromMs: -1, toMs: null }]) }]).message).toBe(
      'b.json: scenario: faultWindows[0].fromMs is -1: expected a number, 0 or more',
    );
  });

  it('refuses runs of other phases (E_MERGE_MISMATCH) naming both lists, "no phases" for an empty one, with a hint', () => {
    const phaseless = { ...b, runs: b.runs.map((run) => ({ ...run, phases: [] })) };
    const e = refusal([{ file: 'a.json', report: a }, { file: 'b.json', report: phaseless }]);
    expect([e.code, e.exitCode, e.message]).toEqual(['E_MERGE_MISMATCH', 2, `b.json: request has no phases, the first report phases ${ra.phases.map((ph) => ph.name).join(', ')}`]);
    expect(e.hint).toMatch(/same traffic phases/);
  });

  it('refuses an encoded histogram it cannot decode (E_REPORT_INVALID) with a hint to write the report again', () => {
    const damaged = { ...b, runs: b.runs.map((run) => ({ ...run, histograms: { ...run.histograms!, ack: { ...run.histograms!.ack, bet: 'not-a-histogram' } } })) };
    const e = refusal([{ file: 'a.json', report: a }, { file: 'b.json', report: damaged }]);
    expect([e.code, e.exitCode]).toEqual(['E_REPORT_INVALID', 2]);
    expect(e.message).toMatch(/^b\.json: request ack\.bet: the encoded histogram cannot be read/);
    expect(e.hint).toMatch(/--json/);
  });

  it('refuses reports without runs: nothing to merge', () => {
    const none = { ...a, runs: [] };
    const e = refusal([{ file: 'a.json', report: none }, { file: 'b.json', report: { ...b, runs: [] } }]);
    expect([e.code, e.exitCode, e.message]).toEqual(['E_MERGE_EMPTY', 2, 'a.json has no runs: nothing to merge']);
  });

  it('refuses a merged report as an input (E_MERGE_NESTED, exit 2): beside one of its parts, that part would count twice', () => {
    const merged = viaJson(mergeReports([{ file: 'a.json', report: a }, { file: 'b.json', report: b }]));
    const e = refusal([{ file: 'm.json', report: merged }, { file: 'b.json', report: b }]);
    expect([e.code, e.exitCode, e.message]).toEqual(['E_MERGE_NESTED', 2, 'm.json is itself a merged report (of a.json, b.json): merged again, a run it holds could count twice']);
    expect(e.hint).toMatch(/^merge the original reports in one command/);
    expect(refusal([{ file: 'a.json', report: a }, { file: 'm.json', report: merged }]).code).toBe('E_MERGE_NESTED');
  });

  it('refuses the same run twice (same file, or the same scenario, seed and model): it would count every operation twice', () => {
    const twice = refusal([{ file: 'a.json', report: a }, { file: 'a.json', report: a }]);
    expect([twice.code, twice.exitCode, twice.message]).toEqual(['E_MERGE_SAME_RUN', 2, 'a.json and a.json hold the same run: scenario steady seed 1 model request']);
    const copy = refusal([{ file: 'a.json', report: a }, { file: 'b.json', report: b }, { file: 'c.json', report: viaJson(a) }]);
    expect(copy.message).toBe('a.json and c.json hold the same run: scenario steady seed 1 model request');
    // A simulation with other overrides is another run; so is a real run of another load generator with the same seed.
    const other = (r: typeof a, world: 'virtual' | 'real', n: number) => ({ ...r, runs: r.runs.map((run) => ({ ...run, world, operations: { ...run.operations, logical: run.operations.logical + n } })) });
    const tuned = { ...other(a, 'virtual', 1), scenario: { ...a.scenario, overrides: ['players.count=500'] } };
    expect(mergeReports([{ file: 'a.json', report: a }, { file: 't.json', report: tuned }]).runs).toHaveLength(1);
    expect(refusal([{ file: 'a.json', report: a }, { file: 's.json', report: other(a, 'virtual', 1) }]).code).toBe('E_MERGE_SAME_RUN');
    expect(mergeReports([{ file: 'g1.json', report: other(a, 'real', 0) }, { file: 'g2.json', report: other(a, 'real', 1) }]).runs).toHaveLength(1);
  });
});

describe('merge of real runs over Kafka', () => {
  /** A load generator's run against the shared wallet: its own produce figures, the wallet's DLQ and lag as it saw them. */
  const kafkaReport = (seed: number, kafka: Partial<KafkaRunReport>): Report => {
    const r = viaJson(report(seed));
    const section: KafkaRunReport = {
      brokers: '127.0.0.1:9092',
      topics: { commands: 'ws-a.wallet.commands', results: 'ws-a.wallet.results', dlq: 'ws-a.wallet.dlq' },
      partitions: 16,
      producer: { lingerMs: 5, batchSize: 2000, maxInFlight: 5, idempotent: false, acks: -1 },
      produced: 0,
      producedTwice: 0,
      produceFailed: 0,
      produceRequestsFailed: 0,
      producerGaps: [],
      longestGapMs: 0,
      resultsRead: 0,
      resultReplays: 0,
      resultsConsumerRestarts: 0,
      deadLetters: 0,
      maxConsumerLagRecords: 0,
      consumerLag: [],
      ...kafka,
    };
    return { ...r, runs: r.runs.map((run) => ({ ...run, model: 'event', world: 'real', transport: 'kafka', kafka: section })) };
  };
  const a = kafkaReport(1, {
    produced: 1000,
    producedTwice: 10,
    produceFailed: 1,
    produceRequestsFailed: 2,
    producerGaps: [{ fromMs: 3000, toMs: 5500 }],
    longestGapMs: 2500,
    resultsRead: 990,
    resultReplays: 4,
    resultsConsumerRestarts: 1,
    deadLetters: 3,
    maxConsumerLagRecords: 700,
    consumerLag: [
      { tMs: 500, records: 100 },
      { tMs: 1000, records: 700 },
    ],
  });
  const b = kafkaReport(2, {
    brokers: '127.0.0.1:9093',
    produced: 2000,
    producedTwice: 20,
    produceRequestsFailed: 1,
    producerGaps: [{ fromMs: 2800, toMs: 4000 }, { fromMs: 9000, toMs: null }],
    longestGapMs: 3000,
    resultsRead: 1990,
    resultReplays: 6,
    deadLetters: 2,
    maxConsumerLagRecords: 650,
    consumerLag: [
      { tMs: 700, records: 650 },
      { tMs: 1200, records: 20 },
    ],
  });
  const ab = () => [
    { file: 'a.json', report: a },
    { file: 'b.json', report: b },
  ];

  it('carries the kafka section: what each load generator produced and read is summed, the one wallet\'s dead letters and lag are the largest seen', () => {
    const merged = mergeReports(ab());
    expect(merged.runs[0]!.transport).toBe('kafka');
    expect(merged.runs[0]!.kafka).toEqual({
      brokers: '127.0.0.1:9092,127.0.0.1:9093',
      topics: a.runs[0]!.kafka!.topics,
      partitions: 16,
      producer: a.runs[0]!.kafka!.producer,
      produced: 3000,
      producedTwice: 30,
      produceFailed: 1,
      produceRequestsFailed: 3,
      producerGaps: [
        { fromMs: 2800, toMs: 4000 },
        { fromMs: 3000, toMs: 5500 },
        { fromMs: 9000, toMs: null },
      ],
      longestGapMs: 3000,
      resultsRead: 2980,
      resultReplays: 10,
      resultsConsumerRestarts: 1,
      deadLetters: 3,
      maxConsumerLagRecords: 700,
      consumerLag: [
        { tMs: 500, records: 100 },
        { tMs: 700, records: 650 },
        { tMs: 1000, records: 700 },
        { tMs: 1200, records: 20 },
      ],
    });
    expect(merged.merged!.notes.some((n) => n.startsWith('kafka.deadLetters'))).toBe(true);
  });

  it('re-evaluates kafka thresholds on the carried section: dead letters in a part fail the merged gate', () => {
    const gated = (r: Report): Report => ({ ...r, runs: r.runs.map((run) => ({ ...run, thresholds: [{ expression: 'kafka.deadLetters==0', metric: 'kafka.deadLetters', value: 0, ok: true }] })) });
    const m = mergeReports([
      { file: 'a.json', report: gated(kafkaReport(1, {})) },
      { file: 'b.json', report: gated(kafkaReport(2, { deadLetters: 4 })) },
    ]).runs[0]!;
    expect(m.thresholds).toEqual([{ expression: 'kafka.deadLetters==0', metric: 'kafka.deadLetters', value: 4, ok: false }]);
  });

  it('refuses runs of other wallets (other topics or partitions, E_MERGE_MISMATCH): their dead letters and lag are not one figure', () => {
    const other = kafkaReport(2, { topics: { commands: 'ws-b.wallet.commands', results: 'ws-b.wallet.results', dlq: 'ws-b.wallet.dlq' } });
    const topics = refusal([{ file: 'a.json', report: a }, { file: 'b.json', report: other }]);
    expect([topics.code, topics.exitCode, topics.message]).toEqual(['E_MERGE_MISMATCH', 2, 'b.json: event ran on the Kafka topics ws-b.wallet.commands, ws-b.wallet.results, ws-b.wallet.dlq (16 partitions), a.json on ws-a.wallet.commands, ws-a.wallet.results, ws-a.wallet.dlq (16 partitions)']);
    expect(topics.hint).toMatch(/--wallet/);
    expect(refusal([{ file: 'a.json', report: a }, { file: 'b.json', report: kafkaReport(2, { partitions: 8 }) }]).message).toMatch(/^b\.json: event ran on .* \(8 partitions\), a\.json on .* \(16 partitions\)$/);
  });

  it('notes producer settings that differ (as it notes other --set overrides) and keeps the first report\'s', () => {
    const tuned = kafkaReport(2, { producer: { lingerMs: 50, batchSize: 2000, maxInFlight: 5, idempotent: false, acks: -1 } });
    const merged = mergeReports([{ file: 'a.json', report: a }, { file: 'b.json', report: tuned }]);
    expect(merged.runs[0]!.kafka!.producer.lingerMs).toBe(5);
    // In the scenario's words (acks all), as load's summary says it: not the JSON's -1.
    expect(merged.merged!.notes).toContain(
      'b.json: event: kafka producer linger 50 ms, batch 2000, 5 in flight, idempotent off, acks all; a.json: linger 5 ms, batch 2000, 5 in flight, idempotent off, acks all; the merged report keeps the first',
    );
    const leader = kafkaReport(2, { producer: { lingerMs: 5, batchSize: 2000, maxInFlight: 5, idempotent: false, acks: 1 } });
    expect(mergeReports([{ file: 'a.json', report: a }, { file: 'b.json', report: leader }]).merged!.notes.join('\n')).toMatch(/acks leader; a\.json: .*acks all;/);
  });

  it('refuses a run over HTTP beside one over Kafka (E_MERGE_MISMATCH), and a Kafka run without its kafka section (E_REPORT_INVALID)', () => {
    const http = { ...b, runs: b.runs.map(({ kafka: _k, ...run }) => ({ ...run, transport: 'http' as const })) };
    const mixed = refusal([{ file: 'a.json', report: a }, { file: 'b.json', report: http }]);
    expect([mixed.code, mixed.message]).toEqual(['E_MERGE_MISMATCH', 'b.json: event reached its wallet over http, a.json over kafka']);
    const cut = { ...b, runs: b.runs.map(({ kafka: _k, ...run }) => run) };
    const e = refusal([{ file: 'a.json', report: a }, { file: 'b.json', report: cut }]);
    expect([e.code, e.message]).toEqual(['E_REPORT_INVALID', 'b.json: runs[0] (event) has no kafka']);
    const edited = { ...http, runs: http.runs.map((run) => ({ ...run, kafka: b.runs[0]!.kafka })) };
    const e2 = refusal([{ file: 'a.json', report: a }, { file: 'b.json', report: edited }]);
    expect([e2.code, e2.message]).toEqual(['E_REPORT_INVALID', 'b.json: runs[0] (event): kafka is there in a run over http: expected only in a run over Kafka']);
  });

  it.each([
    ['produced', 'x', 'kafka.produced is "x": expected a whole number, 0 or more'],
    ['deadLetters', -1, 'kafka.deadLetters is -1: expected a whole number, 0 or more'],
    ['longestGapMs', -5, 'kafka.longestGapMs is -5: expected a number, 0 or more'],
    ['consumerLag', null, 'kafka.consumerLag is null: expected a list'],
    ['topics', 'x', 'kafka.topics is "x": expected an object'],
  ])('refuses kafka.%s set to %j (E_REPORT_INVALID)', (field, value, message) => {
    const broken = structuredClone(b) as unknown as { runs: { kafka: Record<string, unknown> }[] };
    broken.runs[0]!.kafka[field] = value;
    const e = refusal([{ file: 'a.json', report: a }, { file: 'b.json', report: broken as unknown as Report }]);
    expect([e.code, e.message]).toEqual(['E_REPORT_INVALID', `b.json: runs[0] (event): ${message}`]);
  });
});
