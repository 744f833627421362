/**
 * Hand-edited and corrupted reports, as diff, merge and --baseline read them: any field of a real
 * report replaced by a value of the wrong kind or range, or removed. Whatever it is, the result is
 * a comparison or a merged report, or a WalletstormError with exit 2: never a TypeError. And an
 * edit to the baseline never turns a gate that should fail into one that passes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { renderDiff } from '../src/cli/diff-command.js';
import { WalletstormError } from '../src/errors.js';
import { compareReports, FIGURES, parseMaxRegression } from '../src/report/diff.js';
import { mergeReports } from '../src/report/merge.js';
import type { Report } from '../src/report/model.js';
import { readReport } from '../src/report/read-report.js';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import { runVirtual } from '../src/sim/world.js';

const SMALL = ['traffic.phases.0.durationSec=1', 'traffic.phases.0.roundsPerSec=100', 'players.count=100'];

/** A report as simulate --json writes it (a threshold included, which merge judges again). */
function report(seed: number): Report {
  const loaded = loadScenario('steady', SMALL);
  const compiled = compileScenario(loaded.scenario);
  const runs = (['request', 'event'] as const).map((m) => {
    const run = runVirtual(compiled, m, seed).report;
    return { ...run, thresholds: [{ expression: 'p99(ack.bet)<250', metric: 'p99(ack.bet)', value: run.latency.ack.bet.p99, ok: true }] };
  });
  const r: Report = { tool: { name: 'walletstorm', version: 'test' }, scenario: { name: 'steady', seed, overrides: loaded.overrides }, runs, timing: { wallMs: 1, simulatedOpsPerSec: 1 } };
  return JSON.parse(JSON.stringify(r)) as Report;
}

type Path = (string | number)[];

/**
 * Every path in a JSON value, below its root, through the first item of each list only: the
 * series' hundreds of intervals would otherwise leave the other fields almost never drawn.
 */
function paths(value: unknown, at: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [];
  const entries = Array.isArray(value) ? value.slice(0, 1).map((v, i) => [i, v] as const) : Object.entries(value);
  return entries.flatMap(([k, v]) => [[...at, k], ...paths(v, [...at, k])]);
}

// Mostly one edit: a second one is often refused first, hiding what the first would do.
/** What a careless or hostile hand puts in a report. 1e400 in a file is read as Infinity. */
const HOSTILE: unknown[] = [null, -1, 0, 0.5, 1e308, Infinity, 2 ** 53 + 2, '', 'x', '0', '10', [], [1], {}, { a: 1 }, true, false, 'p99(ack.bet)<<1', 'x'.repeat(2000)];
const DELETE = Symbol('delete');

function edited(r: Report, edits: readonly (readonly [Path, unknown])[]): Report {
  const copy = structuredClone(r) as unknown as Record<string | number, unknown>;
  for (const [path, value] of edits) {
    const parent = path.slice(0, -1).reduce<unknown>((at, k) => (at !== null && typeof at === 'object' ? (at as Record<string | number, unknown>)[k] : undefined), copy);
    if (parent === null || typeof parent !== 'object') continue;
    const key = path.at(-1)!;
    if (value === DELETE) delete (parent as Record<string | number, unknown>)[key];
    else (parent as Record<string | number, unknown>)[key] = value;
  }
  return copy as unknown as Report;
}

const dir = mkdtempSync(join(tmpdir(), 'walletstorm-report-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Written and read back as the commands do: 1e400 becomes Infinity only through a file. */
function viaFile(name: string, r: Report): Report {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(r, (_k, v: unknown) => (v === Infinity ? '__INF__' : v)).replace(/"__INF__"/g, '1e400'));
  return readReport(file);
}

/** Runs `attempt`; an error must be a WalletstormError with exit 2 (bad input). */
function resultOrRefusal(attempt: () => void): 'ok' | 'refused' {
  try {
    attempt();
    return 'ok';
  } catch (error) {
    if (!(error instanceof WalletstormError)) throw error;
    expect(error.exitCode, error.message).toBe(2);
    return 'refused';
  }
}

const a = report(1);
const b = report(2);
const editsOf = (r: Report) => fc.array(fc.tuple(fc.constantFrom(...paths(r)), fc.constantFrom(...HOSTILE, DELETE)), { minLength: 1, maxLength: 2 });

describe('reports edited by hand', () => {
  it('merge: a merged report, or exit 2 naming the problem', () => {
    fc.assert(
      fc.property(editsOf(b), (edits) => {
        resultOrRefusal(() => {
          const merged = mergeReports([
            { file: 'a.json', report: viaFile('a.json', a) },
            { file: 'b.json', report: viaFile('b.json', edited(b, edits)) },
          ]);
          JSON.stringify(merged);
        });
      }),
      { numRuns: 400, seed: 42 },
    );
  });

  it('diff, either side edited: a comparison, or exit 2 naming the problem', () => {
    fc.assert(
      fc.property(editsOf(a), fc.boolean(), (edits, baselineEdited) => {
        resultOrRefusal(() => {
          const bad = viaFile('edited.json', edited(a, edits));
          const good = viaFile('good.json', a);
          renderDiff(compareReports(baselineEdited ? bad : good, baselineEdited ? good : bad, parseMaxRegression([])), { color: false, all: true });
        });
      }),
      { numRuns: 200, seed: 42 },
    );
  });

  it('an edit to a figure of the baseline never lets the same figure pass when it got far worse', () => {
    // Numeric figures the report holds as a number (the boolean consistency.ok aside).
    const numeric = FIGURES.filter((def) => def.unit !== 'bool' && def.better !== 'neither');
    const worse = (v: number, better: string) => (better === 'lower' ? v * 10 + 100 : 0);
    fc.assert(
      fc.property(fc.constantFrom(...numeric), fc.constantFrom(...HOSTILE.filter((v) => typeof v !== 'number' || !Number.isFinite(v)), DELETE), (def, value) => {
        // The figure, made far worse in the current report (an empty latency given samples too).
        const fields = def.fields ?? [def.name];
        const current = edited(a, [
          ...fields.map((f): [Path, unknown] => {
            const path: Path = ['runs', 0, ...f.split('.')];
            const now = path.reduce<unknown>((at, k) => (at as Record<string | number, unknown>)[k], a);
            return [path, f.endsWith('.count') ? Math.max(1, now as number) : worse(now as number, def.better)];
          }),
        ]);
        const baseline = edited(a, fields.map((f) => [['runs', 0, ...f.split('.')], value]));
        let ok: boolean | undefined;
        const outcome = resultOrRefusal(() => {
          ok = compareReports(viaFile('baseline.json', baseline), viaFile('current.json', current), parseMaxRegression([])).ok;
        });
        // Removed from the baseline, the figure is new in the current report, as from an older walletstorm.
        if (outcome === 'ok' && value !== DELETE) expect(ok, `${def.name} = ${String(value)} in the baseline passed the gate`).toBe(false);
      }),
      { numRuns: 150, seed: 42 },
    );
  });
});
