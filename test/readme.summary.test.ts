import { describe, expect, it } from 'vitest';
import type { Report, RunReport } from '../src/report/model.js';
import { renderCompact } from '../src/report/reporters/terminal.js';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import { runVirtual } from '../src/sim/world.js';

const SMALL = ['traffic.phases.0.durationSec=1', 'traffic.phases.0.roundsPerSec=100', 'players.count=100'];
const run = runVirtual(compileScenario(loadScenario('steady', SMALL).scenario), 'request', 1).report;

function compactLine(r: RunReport): string {
  const report: Report = { tool: { name: 'walletstorm', version: 'test' }, scenario: { name: 'steady', seed: 1, overrides: SMALL }, runs: [r], timing: { wallMs: 1, simulatedOpsPerSec: 1 } };
  return renderCompact(report, { color: false }).split('\n')[1]!;
}

describe('the summary line names failing figures in the order README gives', () => {
  it('conservation before PLAYER_NOT_FOUND answers, as the table, the JUnit checks and consistency.ok list them', () => {
    const initialMinorUnits = run.consistency.conservation.initialMinorUnits;
    const failed: RunReport = {
      ...run,
      world: 'real',
      consistency: { ...run.consistency, ok: false, balanceMismatches: 2, conservation: { ok: false, initialMinorUnits, finalMinorUnits: initialMinorUnits - 300 } },
      results: { ...run.results, PLAYER_NOT_FOUND: 12 },
    };
    expect(compactLine(failed)).toContain('✘ consistency FAILED · balance mismatches 2 · conservation off by -300 minor units · PLAYER_NOT_FOUND answers 12 · p99 ack bet ');
  });
});
