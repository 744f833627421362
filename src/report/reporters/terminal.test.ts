import { describe, expect, it } from 'vitest';
import { compileScenario } from '../../scenario/compile.js';
import { loadScenario } from '../../scenario/load.js';
import { runVirtual } from '../../sim/world.js';
import type { Report, RunReport } from '../model.js';
import { renderCompact } from './terminal.js';

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
});
