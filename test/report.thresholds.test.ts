import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EXIT, WalletstormError } from '../src/errors.js';
import type { LatencySummary } from '../src/report/histogram.js';
import type { RunReport } from '../src/report/model.js';
import {
  evaluateThresholds,
  parseThreshold,
  THRESHOLD_FIELDS,
  ThresholdError,
  type Threshold,
} from '../src/report/thresholds.js';

function latency(count: number, p50: number): LatencySummary {
  return { count, p50, p90: p50 * 2, p99: p50 * 4, p999: p50 * 8, max: p50 * 16 };
}

/** A run with every field filled, most with distinct values so a wrong path shows. */
function makeRun(overrides: Partial<RunReport> = {}): RunReport {
  return {
    model: 'request-driven',
    world: 'virtual',
    stopReason: 'drained',
    completed: true,
    trafficMs: 60_000,
    endMs: 61_500,
    operations: { logical: 10_000, attempts: 12_000, acknowledged: 9_900, failed: 60, indeterminate: 40, byKind: { bet: 5_000, win: 4_500, rollback: 500 } },
    results: { OK: 9_800, INSUFFICIENT_FUNDS: 100 },
    latency: {
      ack: { bet: latency(5_000, 20), win: latency(4_500, 15), rollback: latency(500, 30) },
      attempt: latency(12_000, 5),
      settlement: latency(9_900, 100),
    },
    phases: [{ name: 'steady', kind: 'steady', startMs: 0, endMs: 60_000, bets: 5_000, offeredPerSec: 166.667, goodputPerSec: 166, betAck: latency(5_000, 20), betTimeouts: 40 }],
    throughput: { offeredPerSec: 166.667, goodputPerSec: 1_200.5 },
    retries: 2_000,
    timeouts: 60,
    lateAnswers: 7,
    replays: 11,
    duplicates: 0,
    duplicateMinorUnits: 0,
    unrefundedRollbacks: 0,
    faults: { responsesLost: 0, betsDelayed: 0, redeliveries: 0, consumerCrashes: 0, rebalances: 0, hotPlayerRounds: 0, roundsCancelled: 0 },
    lost: 0,
    unexpected: 0,
    refusedButApplied: 0,
    mismatches: 0,
    negativeBalances: 0,
    lateRejections: 0,
    failedEvents: 3,
    unsettled: 2,
    maxQueueDepth: 64,
    maxLagMs: 1_500,
    maxLagRecords: 120,
    convergenceMs: 12_000,
    consistency: {
      ok: true,
      checkedBy: 'ledger-audit',
      balanceMismatches: 0,
      outOfBounds: 0,
      conservation: { ok: true, initialMinorUnits: 1_000_000, finalMinorUnits: 990_000 },
      problems: [],
    },
    series: { intervalMs: 1000, intervals: [] },
    ...overrides,
  };
}

function evaluate(source: string, run: RunReport = makeRun()) {
  return evaluateThresholds([parseThreshold(source)], run)[0]!;
}

describe('parseThreshold', () => {
  it.each<[string, Omit<Threshold, 'expression'>]>([
    ['p99(ack.bet)<250', { metric: { kind: 'latency', stat: 'p99', latency: 'ack.bet' }, op: '<', target: 250 }],
    ['p99.9(settlement) <= 1000', { metric: { kind: 'latency', stat: 'p999', latency: 'settlement' }, op: '<=', target: 1000 }],
    ['p999(settlement)<=1000', { metric: { kind: 'latency', stat: 'p999', latency: 'settlement' }, op: '<=', target: 1000 }],
    [' max ( ack.win ) < 5000 ', { metric: { kind: 'latency', stat: 'max', latency: 'ack.win' }, op: '<', target: 5000 }],
    ['count(ack.rollback)>=1', { metric: { kind: 'latency', stat: 'count', latency: 'ack.rollback' }, op: '>=', target: 1 }],
    ['duplicates==0', { metric: { kind: 'field', path: 'duplicates' }, op: '==', target: 0 }],
    ['consistency.ok==true', { metric: { kind: 'field', path: 'consistency.ok' }, op: '==', target: true }],
    ['consistency.ok', { metric: { kind: 'field', path: 'consistency.ok' }, op: '==', target: true }],
    ['completed != false', { metric: { kind: 'field', path: 'completed' }, op: '!=', target: false }],
    ['rate(timeouts)<.01', { metric: { kind: 'rate', path: 'timeouts' }, op: '<', target: 0.01 }],
    ['maxLagMs>-1.5e3', { metric: { kind: 'field', path: 'maxLagMs' }, op: '>', target: -1500 }],
    ['results.DUPLICATE_MISMATCH==0', { metric: { kind: 'field', path: 'results.DUPLICATE_MISMATCH' }, op: '==', target: 0 }],
  ])('%s', (source, expected) => {
    expect(parseThreshold(source)).toEqual({ expression: source.trim(), ...expected });
  });
});

describe('evaluateThresholds', () => {
  it.each<[string, string, number | boolean | null, boolean]>([
    // expression, canonical metric, value, ok
    ['p99(ack.bet)<250', 'p99(ack.bet)', 80, true],
    ['p99(ack.bet)<80', 'p99(ack.bet)', 80, false],
    ['p99.9(settlement) <= 800', 'p99.9(settlement)', 800, true],
    ['p999(settlement)<800', 'p99.9(settlement)', 800, false],
    ['max(ack.win)<5000', 'max(ack.win)', 240, true],
    ['max(ack.win)<200', 'max(ack.win)', 240, false],
    ['p50(attempt)<10', 'p50(attempt)', 5, true],
    ['p50(attempt)>10', 'p50(attempt)', 5, false],
    ['p90(ack.rollback)==60', 'p90(ack.rollback)', 60, true],
    ['count(settlement)>=10000', 'count(settlement)', 9_900, false],
    ['duplicates==0', 'duplicates', 0, true],
    ['duplicates!=0', 'duplicates', 0, false],
    ['lost==0', 'lost', 0, true],
    ['timeouts<100', 'timeouts', 60, true],
    ['timeouts<60', 'timeouts', 60, false],
    ['lateRejections==0', 'lateRejections', 0, true],
    ['consistency.ok==true', 'consistency.ok', true, true],
    ['consistency.ok', 'consistency.ok', true, true],
    ['consistency.ok==false', 'consistency.ok', true, false],
    ['consistency.conservation.ok!=false', 'consistency.conservation.ok', true, true],
    ['maxLagMs<2000', 'maxLagMs', 1_500, true],
    ['maxLagMs<1000', 'maxLagMs', 1_500, false],
    ['convergenceMs<=30000', 'convergenceMs', 12_000, true],
    ['convergenceMs<=10000', 'convergenceMs', 12_000, false],
    ['throughput.goodputPerSec>=1000', 'throughput.goodputPerSec', 1_200.5, true],
    ['throughput.goodputPerSec>=2000', 'throughput.goodputPerSec', 1_200.5, false],
    ['operations.indeterminate<=40', 'operations.indeterminate', 40, true],
    ['operations.byKind.rollback>500', 'operations.byKind.rollback', 500, false],
    ['rate(timeouts)<0.01', 'rate(timeouts)', 0.005, true],
    ['rate(timeouts)<0.001', 'rate(timeouts)', 0.005, false],
    ['results.OK>9000', 'results.OK', 9_800, true],
    ['results.DUPLICATE_MISMATCH==0', 'results.DUPLICATE_MISMATCH', 0, true],
  ])('%s', (expression, metric, value, ok) => {
    expect(evaluate(expression)).toEqual({ expression, metric, value, ok });
  });

  it('keeps the order of the thresholds given', () => {
    const thresholds = ['lost==0', 'p99(ack.bet)<10', 'consistency.ok'].map(parseThreshold);
    expect(evaluateThresholds(thresholds, makeRun()).map((r) => [r.expression, r.ok])).toEqual([
      ['lost==0', true],
      ['p99(ack.bet)<10', false],
      ['consistency.ok', true],
    ]);
  });

  it('fails every comparison with a null value, shown as null', () => {
    const run = makeRun({ convergenceMs: null });
    for (const op of ['<', '<=', '>', '>=', '==', '!=']) {
      expect(evaluate(`convergenceMs${op}30000`, run)).toMatchObject({ value: null, ok: false });
    }
  });

  it('gives null for a figure counted from the entries of a run checked by balances alone or not at all: a 0 nobody counted does not pass', () => {
    for (const checkedBy of ['balances', 'none'] as const) {
      const run = makeRun({ world: 'real', consistency: { ...makeRun().consistency, checkedBy } });
      for (const expression of ['duplicates==0', 'lost<1', 'unexpected==0', 'unrefundedRollbacks==0', 'duplicateMinorUnits==0', 'consistency.balanceMismatches==0', 'consistency.conservation.ok', 'rate(duplicates)<0.01']) {
        expect(evaluate(expression, run), `${checkedBy}: ${expression}`).toMatchObject({ value: null, ok: false });
      }
      // What balances alone do check still reads.
      expect(evaluate('consistency.outOfBounds==0', run)).toMatchObject({ value: 0, ok: true });
    }
    // Read from a ledger audit, the same figures gate as before.
    expect(evaluate('duplicates==0', makeRun())).toMatchObject({ value: 0, ok: true });
  });

  it('gives null for percentiles of an empty histogram, but counts it as 0', () => {
    const run = makeRun({ latency: { ...makeRun().latency, settlement: latency(0, 0) } });
    expect(evaluate('p99(settlement)<250', run)).toMatchObject({ value: null, ok: false });
    expect(evaluate('max(settlement)<250', run)).toMatchObject({ value: null, ok: false });
    expect(evaluate('count(settlement)==0', run)).toMatchObject({ value: 0, ok: true });
  });

  it('gives null for a rate when there were no attempts', () => {
    const run = makeRun({ operations: { ...makeRun().operations, attempts: 0 } });
    expect(evaluate('rate(timeouts)<0.01', run)).toMatchObject({ value: null, ok: false });
  });

  it('reads a result code the run never produced as 0', () => {
    expect(evaluate('results.OVERLOADED==0')).toMatchObject({ value: 0, ok: true });
  });

  it('resolves every known field to a value of its kind', () => {
    const run = makeRun();
    for (const { path, kind } of THRESHOLD_FIELDS) {
      const { value } = evaluate(kind === 'boolean' ? path : `${path}>=0`, run);
      expect([path, typeof value]).toEqual([path, kind]);
    }
  });
});

describe('invalid thresholds', () => {
  /** The column of the caret in the message, relative to the echoed expression. */
  function caretColumn(error: ThresholdError): number {
    const lines = error.message.split('\n');
    expect(lines[1]).toBe(`  ${error.expression.replace(/\s/g, ' ')}`);
    return lines[2]!.indexOf('^') - 2;
  }

  function parseError(source: string): ThresholdError {
    try {
      parseThreshold(source);
    } catch (error) {
      expect(error).toBeInstanceOf(ThresholdError);
      return error as ThresholdError;
    }
    throw new Error(`expected "${source}" to be rejected`);
  }

  it('points at the offending character', () => {
    expect(parseError('p99(ack.bett)<250').message).toBe(
      [
        'invalid threshold "p99(ack.bett)<250": unknown latency "ack.bett" (known: ack.bet, ack.win, ack.rollback, settlement, attempt)',
        '  p99(ack.bett)<250',
        '      ^',
      ].join('\n'),
    );
  });

  it.each<[string, string, number, string]>([
    // case, source, caret column, part of the reason
    ['empty', '', 0, 'empty threshold'],
    ['blank', '   ', 3, 'empty threshold'],
    ['not a metric', '<250', 0, 'expected a metric'],
    ['unknown function', 'p95(ack.bet)<250', 0, 'unknown function "p95"'],
    ['prototype key as function', 'toString(ack.bet)<1', 0, 'unknown function "toString"'],
    ['unknown latency', 'p99( ack.bett )<250', 5, 'unknown latency "ack.bett"'],
    ['missing latency', 'p99()<250', 4, 'expected a latency'],
    ['unclosed call', 'p99(ack.bet<250', 11, 'expected ")"'],
    ['unknown field', 'duplicate==0', 0, 'did you mean duplicates'],
    ['unknown nested field', 'consistency.okay', 0, 'unknown field "consistency.okay"'],
    ['short field name', 'ok', 0, 'did you mean consistency.ok, consistency.conservation.ok'],
    ['latency without function', 'ack.bet<250', 0, 'apply a function, e.g. p99(ack.bet)'],
    ['function without call', 'p99<250', 0, 'is a function'],
    ['rate of a boolean', 'rate(consistency.ok)<1', 5, 'rate() needs a numeric field'],
    ['rate of a latency', 'rate(ack.bet)<1', 5, 'is a latency'],
    ['missing operator', 'duplicates 0', 11, 'missing operator'],
    ['missing operator at end', 'duplicates', 10, 'missing operator'],
    ['unknown operator', 'lost=0', 4, 'unknown operator "="'],
    ['missing value', 'lost== ', 7, 'expected a number, true or false'],
    ['bad number', 'p99(ack.bet)<abc', 13, 'got "abc"'],
    ['number with a unit', 'p99(ack.bet)<250ms', 16, 'bad number "250ms"'],
    ['two decimal points', 'maxLagMs<1.5.2', 12, 'bad number "1.5.2"'],
    ['number too large', 'lost<1e999', 5, 'too large'],
    ['trailing garbage', 'lost==0 && duplicates==0', 8, 'unexpected "&& duplicates==0"'],
    ['trailing parenthesis', 'lost==0)', 7, 'unexpected ")"'],
    ['boolean compared with <', 'consistency.ok<1', 14, 'compare it with == or !='],
    ['boolean compared with a number', 'consistency.ok==1', 16, 'cannot be compared with 1'],
    ['number compared with a boolean', 'lost==true', 6, 'cannot be compared with true'],
    ['latency compared with a boolean', 'p99(ack.bet)!=false', 14, 'cannot be compared with false'],
  ])('%s: %s', (_case, source, column, reason) => {
    const error = parseError(source);
    expect(error).toBeInstanceOf(WalletstormError);
    expect(error.code).toBe('E_THRESHOLD_INVALID');
    expect(error.exitCode).toBe(EXIT.invalidInput);
    expect(error.exitCode).toBe(2);
    expect(error.column).toBe(column);
    expect(caretColumn(error)).toBe(column);
    expect(error.message).toContain(reason);
  });

  it('points at a character no name holds, not at the start of the name cut before it', () => {
    const error = parseError('p99(ack.bé😀t)<1');
    expect(error.message).toContain('"é" cannot be part of a name');
    expect(caretColumn(error)).toBe(9);
    expect(parseError('duplicatesé==0').message).toMatch(/"é" cannot be part of a name[^]*\n {12}\^$/);
    // After an emoji (two UTF-16 units) the caret still sits under the character at fault.
    const after = parseError('p99(😀)<1');
    expect(after.message.split('\n')[2]).toBe(`  ${' '.repeat(4)}^`);
    const behind = parseError('lost😀x==0');
    expect(behind.message).toContain('"😀" cannot be part of a name');
  });

  it('any text, from the grammar\'s pieces or not: a threshold that evaluates, or an error with its caret inside the expression', () => {
    const pieces = ['p99', 'p99.9', 'rate', 'count', '(', ')', 'ack.bet', 'settlement', 'duplicates', 'consistency.ok', 'results.OK', 'sends.late', '<', '<=', '==', '!=', '!', ' ', '\t', '1', '-2.5', '1e999', '.5', 'true', 'é', '😀', '\u0000', '\u2028', 'toString', '__proto__'];
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.array(fc.constantFrom(...pieces), { maxLength: 7 }).map((p) => p.join('')));
    fc.assert(
      fc.property(text, (source) => {
        let threshold: Threshold;
        try {
          threshold = parseThreshold(source);
        } catch (error) {
          if (!(error instanceof ThresholdError)) throw error;
          expect(caretColumn(error)).toBeGreaterThanOrEqual(0);
          expect(caretColumn(error)).toBeLessThanOrEqual([...source].length);
          return;
        }
        expect(evaluateThresholds([threshold], makeRun())).toHaveLength(1);
      }),
      { numRuns: 2000, seed: 42 },
    );
  });

  it('keeps the caret aligned when the expression holds a tab', () => {
    const error = parseError('lost\t==\tx');
    expect(caretColumn(error)).toBe(8);
  });
});
