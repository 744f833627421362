import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import { runVirtual } from '../src/sim/world.js';
import { WalletstormError } from '../src/errors.js';
import { compareReports, describeChange, describeMissing, FIGURE_NAMES, parseMaxRegression } from '../src/report/diff.js';
import type { Report, RunReport } from '../src/report/model.js';
import { readReport } from '../src/report/read-report.js';
import { diffCommand, renderDiff } from '../src/cli/diff-command.js';

const SMALL = ['traffic.phases.0.durationSec=1', 'traffic.phases.0.roundsPerSec=100', 'players.count=100'];

function report(models: readonly ('request' | 'event' | 'hybrid')[] = ['request', 'event'], overrides: string[] = []): Report {
  const loaded = loadScenario('steady', [...SMALL, ...overrides]);
  const compiled = compileScenario(loaded.scenario);
  return {
    tool: { name: 'walletstorm', version: 'test' },
    scenario: { name: 'steady', seed: 1, overrides: loaded.overrides },
    runs: models.map((m) => runVirtual(compiled, m, 1).report),
    timing: { wallMs: 1, simulatedOpsPerSec: 1 },
  };
}

/** A copy of the report with one run changed. */
function withRun(r: Report, model: string, change: (run: RunReport) => RunReport): Report {
  return { ...r, runs: r.runs.map((run) => (run.model === model ? change(run) : run)) };
}

/** The report with one figure of a model's run (at a dotted path) set to `value`, whatever its kind: a hand edit. */
function withFigure(r: Report, model: string, path: string, value: unknown): Report {
  const keys = path.split('.');
  return withRun(r, model, (run) => {
    const copy = structuredClone(run) as unknown as Record<string, Record<string, unknown>>;
    const parent = keys.slice(0, -1).reduce<Record<string, unknown>>((at, k) => at[k] as Record<string, unknown>, copy);
    parent[keys.at(-1)!] = value;
    return copy as unknown as RunReport;
  });
}

const base = report();
const bet = (run: RunReport) => run.latency.ack.bet;

describe('compareReports', () => {
  it('a report against itself: every figure the same, no regression', () => {
    const c = compareReports(base, structuredClone(base));
    expect(c.ok).toBe(true);
    expect(c.regressions).toEqual([]);
    expect(c.improvements).toEqual([]);
    expect(c.changes.every((x) => x.status === 'same')).toBe(true);
    expect(c.changes).toHaveLength(FIGURE_NAMES.length * 2);
    expect(c.models).toEqual([
      { model: 'request', status: 'compared' },
      { model: 'event', status: 'compared' },
    ]);
  });

  it('a latency beyond the allowance regresses; within it is the same; below it improves', () => {
    const slower = (factor: number) => withRun(base, 'request', (run) => ({ ...run, latency: { ...run.latency, ack: { ...run.latency.ack, bet: { ...bet(run), p99: bet(run).p99 * factor } } } }));
    const p99 = (f: number) => compareReports(base, slower(f)).changes.find((c) => c.model === 'request' && c.figure === 'p99(ack.bet)')!;
    expect(p99(1.5).status).toBe('regression');
    expect(p99(1.09).status).toBe('same');
    expect(p99(0.5).status).toBe('improvement');
    expect(compareReports(base, slower(1.5)).ok).toBe(false);
    // A wider allowance for that figure alone absorbs it.
    expect(compareReports(base, slower(1.5), parseMaxRegression(['p99(ack.bet)=60%'])).ok).toBe(true);
    expect(compareReports(base, slower(1.5), parseMaxRegression(['60%'])).ok).toBe(true);
    expect(describeChange(p99(1.5))).toMatch(/^request: p99\(ack\.bet\) [\d.]+ ms → [\d.]+ ms \(\+[\d.]+ ms, \+50%, allowed 10%\)$/);
  });

  it('duplicates, lost and consistency are strict: any increase regresses, whatever the allowance', () => {
    const worse = withRun(base, 'event', (run) => ({ ...run, duplicates: 1, lost: 2, consistency: { ...run.consistency, ok: false } }));
    const c = compareReports(base, worse, parseMaxRegression(['1000%']));
    expect(c.ok).toBe(false);
    expect(c.regressions.map((x) => `${x.model} ${x.figure}`)).toEqual(['event consistency.ok', 'event duplicates', 'event lost']);
    expect(describeChange(c.regressions[1]!)).toBe('event: duplicates 0 → 1 (+1, no increase allowed)');
    expect(() => parseMaxRegression(['duplicates=5%'])).toThrow(/no allowance/);
  });

  it('lower goodput regresses; timeouts from zero regress unless an absolute allowance covers them', () => {
    const worse = withRun(base, 'request', (run) => ({ ...run, timeouts: 3, throughput: { ...run.throughput, goodputPerSec: run.throughput.goodputPerSec * 0.5 } }));
    const c = compareReports(base, worse);
    expect(c.regressions.map((x) => x.figure)).toEqual(['throughput.goodputPerSec', 'timeouts']);
    expect(compareReports(base, worse, parseMaxRegression(['timeouts=+5'])).regressions.map((x) => x.figure)).toEqual(['throughput.goodputPerSec']);
  });

  it('a run that stops converging regresses', () => {
    const c = compareReports(base, withRun(base, 'event', (run) => ({ ...run, convergenceMs: null })));
    expect(c.regressions.map((x) => `${x.figure} ${describeChange(x)}`)).toEqual([expect.stringMatching(/^convergenceMs event: convergenceMs [\d.]+ ms → never$/)]);
  });

  it('figures and models new in the current report are listed, not failed on', () => {
    const older = withRun(report(['request']), 'request', (run) => {
      const { settlement: _gone, ...latency } = run.latency as unknown as Record<string, unknown>;
      const copy = { ...run, latency } as unknown as Record<string, unknown>;
      delete copy.timeouts;
      return copy as unknown as RunReport;
    });
    const c = compareReports(older, report(['request', 'hybrid']));
    expect(c.ok).toBe(true);
    expect(c.missing).toEqual([]);
    expect(c.models).toEqual([
      { model: 'request', status: 'compared' },
      { model: 'hybrid', status: 'only-current' },
    ]);
    const only = c.changes.filter((x) => x.status === 'only-current').map((x) => x.figure);
    expect(only).toEqual(['p50(settlement)', 'p99(settlement)', 'p99.9(settlement)', 'timeouts']);
    expect(c.notes).toEqual(['hybrid: not in the baseline, nothing to compare']);
  });

  it('a model of the baseline that the new report lacks fails the gate, by name', () => {
    const c = compareReports(base, report(['request', 'hybrid']));
    expect(c.ok).toBe(false);
    expect(c.regressions).toEqual([]);
    expect(c.missing).toEqual([{ model: 'event' }]);
    expect(c.missing.map(describeMissing)).toEqual(['missing in the new report: event']);
    const none = compareReports(base, { ...base, runs: [] });
    expect(none.ok).toBe(false);
    expect(none.missing.map(describeMissing)).toEqual(['missing in the new report: request', 'missing in the new report: event']);
  });

  it('a figure or section of the baseline that the new report lacks fails the gate, by name', () => {
    const drop = (key: string) => withRun(base, 'request', (run) => {
      const copy = { ...run } as unknown as Record<string, unknown>;
      delete copy[key];
      return copy as unknown as RunReport;
    });
    const noConsistency = compareReports(base, drop('consistency'));
    expect(noConsistency.ok).toBe(false);
    expect(noConsistency.missing.map(describeMissing)).toEqual([
      'missing in the new report: request consistency.ok',
      'missing in the new report: request consistency.balanceMismatches',
      'missing in the new report: request consistency.outOfBounds',
    ]);
    expect(compareReports(base, drop('duplicates')).missing).toEqual([{ model: 'request', figure: 'duplicates' }]);
    expect(compareReports(base, drop('latency')).missing.map((m) => m.figure)).toEqual(FIGURE_NAMES.filter((f) => /\((ack\.\w+|settlement)\)$/.test(f)));
    expect(compareReports(base, drop('convergenceMs')).ok).toBe(false);
  });

  it('a wallet checked by balances alone (no audit) has no duplicates or lost to compare: missing against an audited baseline, not "the same"', () => {
    const byBalances = withRun(base, 'request', (run) => ({ ...run, world: 'real', consistency: { ...run.consistency, checkedBy: 'balances' } }));
    const c = compareReports(base, byBalances);
    expect(c.ok).toBe(false);
    expect(c.missing.filter((m) => m.model === 'request').map((m) => m.figure)).toEqual(['duplicates', 'lost', 'unexpected', 'refusedButApplied', 'unrefundedRollbacks', 'consistency.balanceMismatches']);
    expect(c.notes.join('\n')).toContain('request: checked by balances alone (the wallet has no audit endpoint)');
    // What balances do show is still compared; and the other way round the audit's figures are new, not failed on.
    expect(c.changes.find((x) => x.model === 'request' && x.figure === 'consistency.outOfBounds')?.status).toBe('same');
    expect(compareReports(byBalances, base).ok).toBe(true);
    expect(compareReports(byBalances, structuredClone(byBalances)).ok).toBe(true);
  });

  it('an empty histogram now is "no samples", not missing: no rollback timed out this time', () => {
    const rollback = (run: RunReport) => run.latency.ack.rollback;
    const before = withRun(base, 'request', (run) => ({ ...run, latency: { ...run.latency, ack: { ...run.latency.ack, rollback: { ...rollback(run), count: 3, p99: 1000 } } } }));
    const after = withRun(base, 'request', (run) => ({ ...run, latency: { ...run.latency, ack: { ...run.latency.ack, rollback: { ...rollback(run), count: 0 } } } }));
    const c = compareReports(before, after);
    expect(c.changes.find((x) => x.model === 'request' && x.figure === 'p99(ack.rollback)')!.status).toBe('only-baseline');
    expect(c.ok).toBe(true);
  });

  it('refuses a baseline with nothing to compare: no runs, or a run without any figure (E_BASELINE_UNUSABLE)', () => {
    const unusable = (r: Report) => {
      try {
        compareReports(r, base, undefined, { baseline: 'min.json' });
      } catch (e) {
        return e as WalletstormError;
      }
      throw new Error('accepted');
    };
    const noRuns = unusable({ ...base, runs: [] });
    expect([noRuns.code, noRuns.exitCode, noRuns.message]).toEqual(['E_BASELINE_UNUSABLE', 2, 'baseline min.json has no runs: there is nothing to compare with']);
    const bare = unusable({ ...base, runs: [{ model: 'request' } as RunReport, base.runs[1]!] });
    expect(bare.code).toBe('E_BASELINE_UNUSABLE');
    expect(bare.message).toMatch(/^baseline min\.json: runs\[0\] \(request\) has none of the figures the gate compares/);
  });

  it.each([
    ['duplicates', '0', '"0"', 'a number'],
    ['latency.ack.bet.p99', Infinity, 'Infinity', 'a number'],
    ['latency.ack.bet.count', null, 'null', 'a number'],
    ['convergenceMs', [], '[]', 'a number or null (never converged)'],
    ['consistency.ok', 'true', '"true"', 'true or false'],
  ])('refuses a baseline whose %s is %j (E_BASELINE_UNUSABLE, exit 2): read as absent, the gate passed any value now', (path, value, shown, expected) => {
    const edited = withFigure(base, 'event', path, value);
    let error: WalletstormError | undefined;
    try {
      compareReports(edited, base, undefined, { baseline: 'old.json' });
    } catch (e) {
      error = e as WalletstormError;
    }
    expect([error?.code, error?.exitCode, error?.message]).toEqual(['E_BASELINE_UNUSABLE', 2, `baseline old.json: runs[1] (event): ${path} is ${shown}: expected ${expected}`]);
    // The same edit in the new report is refused too (below), not read as a figure it lacks.
    expect(() => compareReports(base, edited)).toThrow(`new report: runs[1] (event): ${path} is ${shown}: expected ${expected}`);
  });

  it.each([
    ['duplicates', '0', '"0"', 'a number'],
    ['duplicates', null, 'null', 'a number'],
    ['latency.ack.bet.p99', [250], '[250]', 'a number'],
    ['latency.ack.bet.p99', Infinity, 'Infinity', 'a number'],
    ['convergenceMs', '1200', '"1200"', 'a number or null (never converged)'],
    ['consistency.ok', 1, '1', 'true or false'],
  ])('refuses a new report whose %s is %j (E_REPORT_INVALID, exit 2): it said "missing in the new report", exit 1, as if never measured', (path, value, shown, expected) => {
    const edited = withFigure(base, 'event', path, value);
    let error: WalletstormError | undefined;
    try {
      compareReports(base, edited, undefined, { baseline: 'old.json', current: 'new.json' });
    } catch (e) {
      error = e as WalletstormError;
    }
    expect([error?.code, error?.exitCode, error?.message]).toEqual(['E_REPORT_INVALID', 2, `new report new.json: runs[1] (event): ${path} is ${shown}: expected ${expected}`]);
  });

  it.each([
    ['latency', null, 'latency', 'null'],
    ['latency.ack.bet', [250], 'latency.ack.bet', '[250]'],
    ['latency.ack.bet', 'fast', 'latency.ack.bet', '"fast"'],
    ['throughput', 0, 'throughput', '0'],
    ['consistency', [], 'consistency', '[]'],
  ])('refuses a report whose section %s is %j, the figures in it read as absent (E_BASELINE_UNUSABLE / E_REPORT_INVALID, exit 2)', (path, value, at, shown) => {
    const edited = withFigure(base, 'event', path, value);
    const refusal = (run: () => unknown) => {
      try {
        run();
      } catch (e) {
        const error = e as WalletstormError;
        return [error.code, error.exitCode, error.message];
      }
      return 'accepted';
    };
    // As a baseline its figures were skipped: the gate passed whatever the new report held there.
    expect(refusal(() => compareReports(edited, base, undefined, { baseline: 'old.json' }))).toEqual(['E_BASELINE_UNUSABLE', 2, `baseline old.json: runs[1] (event): ${at} is ${shown}: expected an object`]);
    // As the new report it said "missing in the new report" (exit 1), as if never measured.
    expect(refusal(() => compareReports(base, edited, undefined, { current: 'new.json' }))).toEqual(['E_REPORT_INVALID', 2, `new report new.json: runs[1] (event): ${at} is ${shown}: expected an object`]);
  });

  it('diff OLD NEW: a figure of NEW written 1e400 (JSON reads Infinity) is refused, exit 2; one left out is missing, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'walletstorm-diff-'));
    const oldFile = join(dir, 'old.json');
    const newFile = join(dir, 'new.json');
    writeFileSync(oldFile, JSON.stringify(base));
    const p99 = bet(base.runs[0]!).p99;
    writeFileSync(newFile, JSON.stringify(base).replace(`"p99":${p99}`, '"p99":1e400'));
    expect(readReport(newFile).runs[0]!.latency.ack.bet.p99).toBe(Infinity);
    const run = () => diffCommand(oldFile, newFile, { maxRegression: [], color: false }, () => {});
    expect(run).toThrow(expect.objectContaining({ code: 'E_REPORT_INVALID', exitCode: 2, message: `new report ${newFile}: runs[0] (request): latency.ack.bet.p99 is Infinity: expected a number` }));
    const { duplicates: _gone, ...noDuplicates } = base.runs[0]!;
    writeFileSync(newFile, JSON.stringify({ ...base, runs: [noDuplicates, base.runs[1]] }));
    const out: string[] = [];
    expect(diffCommand(oldFile, newFile, { maxRegression: [], color: false }, (t) => out.push(t))).toBe(1);
    expect(out.join('')).toContain('missing in the new report: request duplicates');
    rmSync(dir, { recursive: true, force: true });
  });

  it('rejects allowances it cannot read, naming the figures it knows', () => {
    expect(() => parseMaxRegression(['ten percent'])).toThrow(/cannot read "ten percent"/);
    expect(() => parseMaxRegression(['p98(ack.bet)=5%'])).toThrow(/unknown figure "p98\(ack.bet\)"/);
    const g = parseMaxRegression(['15%', 'p99(settlement)=30%', 'retries=+100']);
    expect(g.allowance).toEqual({ pct: 15, abs: 0 });
    expect(g.perFigure.get('p99(settlement)')).toEqual({ pct: 30 });
    expect(g.perFigure.get('retries')).toEqual({ abs: 100 });
    expect(parseMaxRegression(['+2']).allowance).toEqual({ pct: 10, abs: 2 });
  });
});

describe('readReport: what diff, merge and --baseline accept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'walletstorm-read-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  /** The WalletstormError readReport throws for this report, written to a file. */
  const refusal = (r: unknown): WalletstormError => {
    const file = join(dir, 'r.json');
    writeFileSync(file, JSON.stringify(r));
    try {
      readReport(file);
    } catch (e) {
      expect(e).toBeInstanceOf(WalletstormError);
      return e as WalletstormError;
    }
    throw new Error('accepted');
  };
  const set = (path: string, value: unknown): Report => {
    const copy = structuredClone(base) as unknown as { runs: Record<string, unknown>[] };
    const keys = path.split('.');
    let at: Record<string, unknown> = copy.runs[1]!;
    for (const k of keys.slice(0, -1)) at = at[k] as Record<string, unknown>;
    at[keys.at(-1)!] = value;
    return copy as unknown as Report;
  };

  it.each([
    ['latency.ack.bet.p99', -3],
    ['latency.settlement.count', -1],
    ['duplicates', -5],
    ['consistency.outOfBounds', -1],
    ['throughput.goodputPerSec', -0.5],
    ['maxLagMs', -1],
    ['convergenceMs', -10],
  ])('refuses %s = %d (E_REPORT_INVALID, exit 2): diff read it as an improvement', (path, value) => {
    const e = refusal(set(path, value));
    expect([e.code, e.exitCode, e.message]).toEqual(['E_REPORT_INVALID', 2, `${join(dir, 'r.json')}: runs[1] (event): ${path} is ${value}: expected a number, 0 or more`]);
  });

  it('refuses two runs of one model (E_REPORT_INVALID, exit 2): diff compared the first and ignored the second', () => {
    const e = refusal({ ...base, runs: [base.runs[0], base.runs[1], base.runs[0]] });
    expect([e.code, e.exitCode, e.message]).toEqual(['E_REPORT_INVALID', 2, `${join(dir, 'r.json')}: runs[2] is a second run of model request (runs[0] is the first)`]);
  });

  it('refuses a file that is not JSON on one line: a scenario given by mistake does not break the message', () => {
    const file = join(dir, 'scenario.yaml');
    writeFileSync(file, 'name: t\ntraffic:\n  phases: []\n');
    const e = (() => {
      try {
        readReport(file);
      } catch (error) {
        return error as WalletstormError;
      }
      throw new Error('accepted');
    })();
    expect([e.code, e.exitCode]).toEqual(['E_REPORT_INVALID', 2]);
    expect(e.message.startsWith(`${file} is not JSON: `), e.message).toBe(true);
    expect(e.message).not.toMatch(/[\r\n]/);
  });

  it('takes what diff then judges itself: a figure left out or of another kind, a run that never converged', () => {
    const file = join(dir, 'ok.json');
    const { duplicates: _gone, ...noDuplicates } = base.runs[1]!;
    writeFileSync(file, JSON.stringify({ ...base, runs: [{ ...base.runs[0]!, convergenceMs: null, lost: 'x' }, noDuplicates] }));
    const read = readReport(file);
    expect(read.runs).toHaveLength(2);
    // diff: the figure left out is missing (exit 1); the one of another kind is refused (exit 2).
    expect(() => compareReports(base, read)).toThrow('new report: runs[0] (request): lost is "x": expected a number');
    const { lost: _x, ...noLost } = read.runs[0]!;
    expect(compareReports(base, { ...read, runs: [noLost as RunReport, read.runs[1]!] }).missing).toEqual([
      { model: 'request', figure: 'lost' },
      { model: 'event', figure: 'duplicates' },
    ]);
  });
});

describe('diff --all: the verdict of a figure that moved without counting', () => {
  it('reads "within the allowance" or "not judged (offered load)", as the last line counts them, not "same"', () => {
    const base = report(['request']);
    const moved = withRun(base, 'request', (run) => ({
      ...run,
      throughput: { offeredPerSec: run.throughput.offeredPerSec - 0.1, goodputPerSec: run.throughput.goodputPerSec * 0.999 },
    }));
    const text = renderDiff(compareReports(base, moved), { color: false, all: true });
    expect(text).toMatch(/^request +throughput\.goodputPerSec .* within the allowance$/m);
    expect(text).toMatch(/^request +throughput\.offeredPerSec .* not judged \(offered load\)$/m);
    expect(text).toMatch(/^request +duplicates +0 +0 +0 +same$/m);
    expect(text).toContain('1 changed within the allowance, 1 changed and not judged (offered load)');
  });
});
