import { describe, expect, it } from 'vitest';
import type { Report, RunReport } from '../src/report/model.js';
import { renderHtml } from '../src/report/reporters/html.js';
import { renderMarkdown } from '../src/report/reporters/markdown.js';
import { renderCompact, renderSummary } from '../src/report/reporters/terminal.js';
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

describe('a run stopped with q is neither passed nor failed (README, Live dashboard)', () => {
  const table = (r: RunReport) => {
    const report: Report = { tool: { name: 'walletstorm', version: 'test' }, scenario: { name: 'steady', seed: 1, overrides: SMALL }, runs: [r], timing: { wallMs: 1, simulatedOpsPerSec: 1 } };
    return renderSummary(report, { color: true }).split('\n').find((line) => line.includes('convergence'))!;
  };

  it("its convergence row reads '-' (not measured), not a red 'never', as its summary line names no convergence", () => {
    const stopped: RunReport = { ...run, stopReason: 'stopped', completed: false, convergenceMs: null };
    expect(compactLine(stopped)).not.toContain('converged');
    const row = table(stopped);
    expect(row).toMatch(/^convergence +-$/);
    // A run that did not converge on its own still reads never, in red.
    expect(table({ ...run, stopReason: 'deadline', completed: false, convergenceMs: null })).toMatch(/never/);
    expect(table({ ...run, stopReason: 'deadline', completed: false, convergenceMs: null })).toContain('\u001b[31m');
  });
});

describe("an interrupted run's convergence is not measured, as a q-stopped run's (README, convergenceMs)", () => {
  const report = (r: RunReport): Report => ({ tool: { name: 'walletstorm', version: 'test' }, scenario: { name: 'steady', seed: 1, overrides: SMALL }, runs: [r], timing: { wallMs: 1, simulatedOpsPerSec: 1 } });
  const interrupted: RunReport = { ...run, stopReason: 'interrupted', interrupted: true, completed: false, convergenceMs: null };

  it("its summary line says no 'never converged' and its table row reads '-', not a red 'never'", () => {
    expect(compactLine(interrupted)).not.toContain('converged');
    // Still no pass: its mark says it ended early.
    expect(compactLine(interrupted)).toContain('✘ ended early (interrupted)');
    const row = renderSummary(report(interrupted), { color: true }).split('\n').find((line) => line.includes('convergence'))!;
    expect(row).toMatch(/^convergence +-$/);
  });

  it("its Markdown verdict says it ended early, not that it did not converge", () => {
    const md = renderMarkdown(report(interrupted));
    expect(md).toContain('| verdict | ❌ ended early |');
    expect(md).toMatch(/- request: interrupted at \d+(\.\d+)? s, before the run completed/);
    expect(md).not.toMatch(/not converged|did not converge/);
  });
});

describe('a real run whose attempts were all answered but whose wallet never caught up exits 1, and says so', () => {
  // load over Kafka after a broker came back: every attempt answered (stopReason drained), the
  // group's lag or the results still not read when the drain deadline came (convergenceMs null).
  const stuck: RunReport = { ...run, world: 'real', stopReason: 'drained', completed: true, convergenceMs: null, endMs: 45_075.322 };
  const report: Report = { tool: { name: 'walletstorm', version: 'test' }, scenario: { name: 'steady', seed: 1, overrides: SMALL }, runs: [stuck], timing: { wallMs: 1, simulatedOpsPerSec: 1 } };

  it('is not marked ✔ consistent in the summary line nor in the table, and its failure has a line', () => {
    const compact = renderCompact(report, { color: false });
    expect(compact.split('\n')[1]).toMatch(/^request {2}✘ consistent, but never converged · p99 ack bet /);
    expect(compact).toContain('\n✘ request: consistent, but never converged: the wallet still had work when the run gave up waiting, at 45.075 s\n');
    const table = renderSummary(report, { color: false });
    expect(table).not.toContain('✔ request');
    expect(table).toContain('✘ request: consistent, but never converged: the wallet still had work');
    // Markdown said so already.
    expect(renderMarkdown(report)).toContain('| verdict | ❌ not converged |');
  });
});

describe('a wallet without the audit (README, Real wallets over HTTP): checked by balances, not presented as counted', () => {
  const byBalances: RunReport = { ...run, world: 'real', consistency: { ...run.consistency, checkedBy: 'balances' } };
  const one = (r: RunReport): Report => ({ tool: { name: 'walletstorm', version: 'test' }, scenario: { name: 'steady', seed: 1, overrides: SMALL }, runs: [r], timing: { wallMs: 1, simulatedOpsPerSec: 1 } });

  it("the Markdown summary says the balances alone were checked, and '-' for duplicates and lost", () => {
    const md = renderMarkdown(one(byBalances));
    expect(md).toContain('| verdict | ✅ consistent (balances only) |');
    expect(md).toContain('| duplicates | - |');
    expect(md).toContain('| lost | - |');
    expect(renderMarkdown(one(run))).toContain('| duplicates | 0 |');
  });

  it('the HTML verdict card does not say nothing was duplicated or lost', () => {
    const html = renderHtml(one(byBalances));
    expect(html).toContain('consistent by balances alone');
    expect(html).not.toContain('nothing duplicated, lost, unexpected or applied though refused');
  });
});
