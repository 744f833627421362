import { describe, expect, it } from 'vitest';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import { runVirtual } from '../src/sim/world.js';
import type { Report, RunReport } from '../src/report/model.js';
import { renderMarkdown } from '../src/report/reporters/markdown.js';
import { renderCompact, renderSummary } from '../src/report/reporters/terminal.js';

const SMALL = ['traffic.phases.0.durationSec=1', 'traffic.phases.0.roundsPerSec=100', 'players.count=100'];
const run = runVirtual(compileScenario(loadScenario('steady', SMALL).scenario), 'request', 1).report;

/** The compact line of one run, without the verdict lines under it. */
function compactLine(r: RunReport): string {
  const report: Report = { tool: { name: 'walletstorm', version: 'test' }, scenario: { name: 'steady', seed: 1, overrides: SMALL }, runs: [r], timing: { wallMs: 1, simulatedOpsPerSec: 1 } };
  return renderCompact(report, { color: false }).split('\n')[1]!;
}

/** The run as a wallet whose balances did not reconcile left it: no duplicate, nothing lost. */
const unreconciled = (consistency: Partial<RunReport['consistency']>): RunReport => ({ ...run, consistency: { ...run.consistency, ok: false, ...consistency } });

describe('compact summary line', () => {
  it('a consistent run names no failing figure', () => {
    expect([run.consistency.ok, run.duplicates, run.lost]).toEqual([true, 0, 0]);
    expect(compactLine(run)).toMatch(/^request {2}✔ consistent · p99 ack bet /);
  });

  it('a run failing only on balances names them, as it names duplicates and lost', () => {
    expect(compactLine(unreconciled({ balanceMismatches: 2 }))).toMatch(/^request {2}✘ consistency FAILED · balance mismatches 2 · p99 ack bet /);
    expect(compactLine(unreconciled({ outOfBounds: 1 }))).toMatch(/^request {2}✘ consistency FAILED · balances out of bounds 1 · p99 ack bet /);
    const initialMinorUnits = run.consistency.conservation.initialMinorUnits;
    const lostMoney = unreconciled({ conservation: { ok: false, initialMinorUnits, finalMinorUnits: initialMinorUnits - 1500 } });
    expect(compactLine(lostMoney)).toMatch(/^request {2}✘ consistency FAILED · conservation off by -1,500 minor units · p99 ack bet /);
    const madeMoney = unreconciled({ conservation: { ok: false, initialMinorUnits, finalMinorUnits: initialMinorUnits + 20 } });
    expect(compactLine(madeMoney)).toContain(' · conservation off by +20 minor units · ');
    // Totals that agree while the players' balances do not add up to their entries.
    expect(compactLine(unreconciled({ balanceMismatches: 1, conservation: { ok: false, initialMinorUnits, finalMinorUnits: initialMinorUnits } }))).toContain(
      ' · balance mismatches 1 · conservation broken · ',
    );
  });

  it('names duplicates and lost first; without them, every other figure that failed', () => {
    const others = { ...unreconciled({ balanceMismatches: 3, outOfBounds: 8 }), unrefundedRollbacks: 1, unexpected: 5, mismatches: 6, negativeBalances: 7 };
    expect(compactLine(others)).toContain(
      '✘ consistency FAILED · unrefunded rollbacks 1 · unexpected entries 5 · mismatches 6 · negative balances 7 · balance mismatches 3 · balances out of bounds 8 · p99 ack bet ',
    );
    // Balances out of bounds follow from a bet applied twice: the duplicates say why.
    expect(compactLine({ ...others, duplicates: 2, lost: 4 })).toContain('✘ consistency FAILED · duplicates 2 · lost 4 · p99 ack bet ');
    expect(compactLine({ ...unreconciled({}), results: { ...run.results, PLAYER_NOT_FOUND: 12 } })).toContain('✘ consistency FAILED · PLAYER_NOT_FOUND answers 12 · ');
  });

  it('names late rejections and failed events: accepted, counted in goodput, refused when applied', () => {
    // An event-driven wallet on low-balance: "goodput 997.3/s of 997.3/s" alone read as the best line of the three.
    const line = compactLine({ ...run, model: 'event', lateRejections: 16960, failedEvents: 33920 });
    expect(line).toMatch(/· retries 0 · late rejections 16,960 · failed events 33,920/);
    expect(compactLine(run)).not.toMatch(/late rejections|failed events/);
  });

  it('a threshold value that is a time carries its unit, as the figures beside it do', () => {
    const thresholds = [
      { expression: 'p99(ack.bet)<250', metric: 'p99(ack.bet)', value: 3002.367, ok: false },
      { expression: 'maxLagMs<1', metric: 'maxLagMs', value: 3.182, ok: false },
      { expression: 'count(ack.bet)>1', metric: 'count(ack.bet)', value: 2526, ok: true },
      { expression: 'timeouts==0', metric: 'timeouts', value: 0, ok: true },
      { expression: 'consistency.ok', metric: 'consistency.ok', value: true, ok: true },
    ];
    const report: Report = { tool: { name: 'walletstorm', version: 'test' }, scenario: { name: 'steady', seed: 1, overrides: SMALL }, runs: [{ ...run, thresholds }], timing: { wallMs: 1, simulatedOpsPerSec: 1 } };
    const lines = renderCompact(report, { color: false }).split('\n').filter((l) => l.includes('threshold'));
    expect(lines).toEqual([
      '✘ request: threshold p99(ack.bet)<250  (p99(ack.bet) = 3002.367 ms)',
      '✘ request: threshold maxLagMs<1  (maxLagMs = 3.182 ms)',
      '✔ request: threshold count(ack.bet)>1  (count(ack.bet) = 2526)',
      '✔ request: threshold timeouts==0  (timeouts = 0)',
      '✔ request: threshold consistency.ok  (consistency.ok = true)',
    ]);
  });

  it('a rate or time below 0.05 keeps two significant digits instead of reading 0', () => {
    // A week of 0.001 rounds per second: "goodput 0/s of 0/s" before.
    const slow = { ...run, throughput: { offeredPerSec: 0.002, goodputPerSec: 0.00198 } };
    expect(compactLine(slow)).toContain(' · goodput 0.002/s of 0.002/s · ');
    expect(compactLine({ ...run, latency: { ...run.latency, ack: { ...run.latency.ack, bet: { ...run.latency.ack.bet, p99: 0.0123 } } } })).toContain('p99 ack bet 0.012 ms');
  });

  it('a run whose wallet could not be read says it was not checked, not that its money is gone', () => {
    // As run-real's unchecked() leaves it: a target lost mid-run, or one that is not a wallet.
    const initialMinorUnits = run.consistency.conservation.initialMinorUnits;
    const unchecked = unreconciled({ checkedBy: 'none', conservation: { ok: false, initialMinorUnits, finalMinorUnits: 0 } });
    const line = compactLine(unchecked);
    expect(line).toMatch(/^request {2}✘ consistency FAILED · not checked · p99 ack bet /);
    expect(line).not.toContain('conservation');
    expect(compactLine({ ...unchecked, results: { ...run.results, PLAYER_NOT_FOUND: 3 } })).toContain('✘ consistency FAILED · not checked · PLAYER_NOT_FOUND answers 3 · ');
  });
});

/** The full table's row of one figure: its label, then one cell per run. */
function tableRow(runs: RunReport[], label: string): string {
  const report: Report = { tool: { name: 'walletstorm', version: 'test' }, scenario: { name: 'steady', seed: 1, overrides: SMALL }, runs, timing: { wallMs: 1, simulatedOpsPerSec: 1 } };
  const row = renderSummary(report, { color: false }).split('\n').find((line) => line.startsWith(`${label}  `));
  expect(row, `no row ${label}`).toBeDefined();
  return row!.slice(label.length).trim();
}

describe('full table', () => {
  it('has a row for each figure a run can fail on through its balances alone, shown when 0 as well', () => {
    expect(tableRow([run], 'balance mismatches')).toBe('0');
    expect(tableRow([run], 'balances out of bounds')).toBe('0');
    expect(tableRow([run], 'conservation')).toBe('ok');
    const initialMinorUnits = run.consistency.conservation.initialMinorUnits;
    const failing = unreconciled({ balanceMismatches: 2, outOfBounds: 1, conservation: { ok: false, initialMinorUnits, finalMinorUnits: initialMinorUnits - 1500 } });
    expect(tableRow([run, failing], 'balance mismatches')).toMatch(/^0 +2$/);
    expect(tableRow([run, failing], 'balances out of bounds')).toMatch(/^0 +1$/);
    expect(tableRow([run, failing], 'conservation')).toMatch(/^ok +off by -1,500 minor units$/);
    const broken = unreconciled({ balanceMismatches: 1, conservation: { ok: false, initialMinorUnits, finalMinorUnits: initialMinorUnits } });
    expect(tableRow([broken], 'conservation')).toBe('broken');
  });

  it('says - where the check could not count the figure', () => {
    const byBalances = unreconciled({ checkedBy: 'balances', outOfBounds: 3 });
    expect([tableRow([byBalances], 'balance mismatches'), tableRow([byBalances], 'balances out of bounds'), tableRow([byBalances], 'conservation')]).toEqual(['-', '3', '-']);
    // Counted from entries too: without them a 0 would read as checked.
    expect(['duplicates', 'unrefunded rollbacks', 'lost', 'unexpected entries', 'mismatches', 'negative balances'].map((row) => tableRow([byBalances], row))).toEqual(['-', '-', '-', '-', '0', '0']);
    expect(tableRow([run], 'duplicates')).toBe('0');
    const unchecked = unreconciled({ checkedBy: 'none', conservation: { ok: false, initialMinorUnits: 1000, finalMinorUnits: 0 } });
    expect([tableRow([unchecked], 'balance mismatches'), tableRow([unchecked], 'balances out of bounds'), tableRow([unchecked], 'conservation')]).toEqual(['-', '-', '-']);
  });
});

describe('the header of a merged report', () => {
  const merged = (seeds: number[]): Report => ({
    tool: { name: 'walletstorm', version: 'test' },
    scenario: { name: 'steady', seed: seeds[0]!, overrides: SMALL },
    runs: [run],
    timing: { wallMs: 1, simulatedOpsPerSec: 1 },
    merged: { from: seeds.map((seed, i) => ({ file: `part${i}.json`, seed, models: ['request'] })), notes: [] },
  });

  it('names every seed its parts ran with, not the first part\'s alone', () => {
    // Before: "seed 1" for the sum of runs of seeds 1 and 2.
    expect(renderCompact(merged([1, 2]), { color: false }).split('\n')[0]).toBe('walletstorm test · scenario steady · seeds 1, 2');
    expect(renderSummary(merged([1, 2]), { color: false }).split('\n')[0]).toBe('walletstorm test · scenario steady · seeds 1, 2');
    expect(renderMarkdown(merged([1, 2])).split('\n')[0]).toBe('### walletstorm · steady · seeds 1, 2');
    // Load generators that shared a seed: one seed, said once.
    expect(renderCompact(merged([7, 7]), { color: false }).split('\n')[0]).toBe('walletstorm test · scenario steady · seed 7');
  });
});

describe('the max log lag row', () => {
  const row = (r: RunReport) => {
    const report: Report = { tool: { name: 'walletstorm', version: 'test' }, scenario: { name: 'steady', seed: 1, overrides: SMALL }, runs: [r], timing: { wallMs: 1, simulatedOpsPerSec: 1 } };
    return renderSummary(report, { color: false }).split('\n').find((line) => line.startsWith('max log lag'))!;
  };

  it('reads - for a request-driven wallet, which has no log, not a lag of 0 ms that looks like a log that kept up', () => {
    expect(run.model).toBe('request');
    expect(row(run)).toMatch(/^max log lag +-$/);
    expect(renderMarkdown({ tool: { name: 'walletstorm', version: 'test' }, scenario: { name: 'steady', seed: 1, overrides: SMALL }, runs: [run], timing: { wallMs: 1, simulatedOpsPerSec: 1 } })).toContain('| max log lag | - |');
    expect(row({ ...run, model: 'event', maxLagMs: 0, maxLagRecords: 0 })).toMatch(/^max log lag +0 ms \(0 records\)$/);
  });
});
