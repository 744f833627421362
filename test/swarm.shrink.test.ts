/**
 * Shrinking a failing swarm seed: with a planted bug (a LedgerSafety switch off, test-only), the
 * scenario of a failing seed shrinks to one that still breaks the same invariant, with fewer
 * logical operations, that loads through the scenario loader and replays to the same run, the
 * same way each time. The seed and bug shrink in about 20 runs (under a second).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { swarmCommand } from '../src/cli/swarm-command.js';
import { scenarioFile } from '../src/cli/swarm-shrink.js';
import type { ModelName } from '../src/models/config.js';
import type { RunReport } from '../src/report/model.js';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import { scenarioSchema, type ScenarioInput } from '../src/scenario/schema.js';
import { runVirtual } from '../src/sim/world.js';
import { shrink, shrinking, summarizeSteps } from '../src/swarm/shrink.js';
import { runScenario, runSeed, shrinkSeed } from '../src/swarm/swarm.js';
import { BIN, ROOT, walletstorm } from './support/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'walletstorm-shrink-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A win credited for a rolled-back bet: swarm seed 1 fails on it (README's table). */
const SEED = 1;
const MODEL: ModelName = 'request';
const safety = { refuseWinAfterRollback: false };
const LIMITS = { maxRuns: 200 };

const plain = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

describe('swarm --shrink, with a planted bug', () => {
  const result = shrinkSeed(SEED, MODEL, LIMITS, { safety });
  const invariantsOf = (vs: readonly { invariant: string }[]) => vs.map((v) => v.invariant);

  it('starts from the run the swarm reported for the seed', () => {
    expect(result.original.violations.map((v) => v.text)).toEqual(runSeed(SEED, MODEL, { safety }).violations);
    expect(invariantsOf(result.original.violations)).toContain('unrefundedRollbacks');
  });

  it('still breaks the same invariant, with strictly fewer logical operations, and stops by itself', () => {
    expect(invariantsOf(result.shrunk.violations)).toContain('unrefundedRollbacks');
    expect(result.shrunk.run.operations.logical).toBeLessThan(result.original.run.operations.logical);
    expect(result.shrunk.run.operations.logical).toBeLessThanOrEqual(result.original.run.operations.logical / 10);
    expect(result.stoppedBy).toBe('minimal');
    expect(result.runs).toBeLessThanOrEqual(LIMITS.maxRuns);
    // Each kept step is no larger than the case before it.
    for (const step of result.steps) expect(step.logicalAfter).toBeLessThanOrEqual(step.logicalBefore);
  });

  it('writes a file that loads through the YAML loader and replays to the same run', () => {
    const file = join(tmp, 'shrunk.yaml');
    const replay = `walletstorm simulate ${file} --model ${MODEL} --seed ${SEED}`;
    writeFileSync(file, scenarioFile({ seed: SEED, model: MODEL }, result, replay));
    expect(readFileSync(file, 'utf8')).toMatch(/^# swarm-1-shrunk: [\s\S]*\n# Replay: walletstorm simulate .* --model request --seed 1\n/);
    const loaded = loadScenario(file);
    expect(loaded.scenario).toEqual(scenarioSchema.parse(result.shrunk.scenario));
    const { report } = runVirtual(compileScenario(loaded.scenario), MODEL, SEED, { safety });
    expect(plain(report)).toEqual(plain(result.shrunk.run));
  });

  it('is deterministic: the same seed and model shrink to the same scenario, steps and file', () => {
    const again = shrinkSeed(SEED, MODEL, LIMITS, { safety });
    expect(again.shrunk.scenario).toEqual(result.shrunk.scenario);
    expect(again.steps).toEqual(result.steps);
    expect(again.runs).toBe(result.runs);
    const text = (r: typeof result) => scenarioFile({ seed: SEED, model: MODEL }, r, 'replay');
    expect(text(again)).toBe(text(result));
  });

  it('the printed simulate command runs what the shrink ran (same code: here without the bug, so both pass)', () => {
    const file = join(tmp, 'replay.yaml');
    const json = join(tmp, 'replay.json');
    writeFileSync(file, scenarioFile({ seed: SEED, model: MODEL }, result, 'replay'));
    const r = walletstorm(['simulate', file, '--model', MODEL, '--seed', String(SEED), '--json', json]);
    expect(r.status, r.stderr).toBe(0);
    const simulated = JSON.parse(readFileSync(json, 'utf8')).runs[0] as RunReport;
    expect(simulated).toEqual(plain(runScenario(result.shrunk.scenario, MODEL, SEED)));
  });
});

/** A report whose only figures are those the invariants and the shrink read. */
function fakeRun(logical: number, duplicates: number): RunReport {
  const consistency = { balanceMismatches: 0, outOfBounds: 0, conservation: { ok: true }, problems: [] };
  return { duplicates, lost: 0, unrefundedRollbacks: 0, unexpected: 0, refusedButApplied: 0, mismatches: 0, negativeBalances: 0, consistency, convergenceMs: 0, completed: true, operations: { logical } } as unknown as RunReport;
}

const START: ScenarioInput = {
  name: 'fake',
  traffic: { phases: [{ kind: 'steady', durationSec: 8, roundsPerSec: 100 }, { kind: 'ramp', durationSec: 2, fromPerSec: 10, toPerSec: 40 }] },
  players: { count: 100 },
  provider: { retry: { maxAttempts: 4 }, settlementRetry: { maxAttempts: 10, txId: 'new' } },
  faults: { responseLoss: { rate: 0.1 }, hotPlayer: { share: 0.5 } },
};

/** Rounds the fake's phases offer: its logical operations. */
const roundsOf = (s: ScenarioInput) => s.traffic.phases.reduce((n, p) => n + p.durationSec * (p.kind === 'ramp' ? (p.fromPerSec + p.toPerSec) / 2 : p.roundsPerSec), 0);

describe('shrink: the greedy loop, with a judge that needs only the hot player', () => {
  const judge = (s: ScenarioInput) => fakeRun(roundsOf(s), s.faults?.hotPlayer === undefined ? 0 : 1);

  it('drops what the failure does not need and halves the rest down to its floors', () => {
    const r = shrink(START, judge, { maxRuns: 500 });
    expect(r.stoppedBy).toBe('minimal');
    expect(r.shrunk.scenario).toEqual({
      ...START,
      traffic: { phases: [{ kind: 'ramp', name: 'ramp-2', durationSec: 0.1, fromPerSec: 1, toPerSec: 1 }] },
      players: { count: 1 },
      provider: { retry: { maxAttempts: 1 }, settlementRetry: { maxAttempts: 1, txId: 'reuse' } },
      faults: { responseLoss: undefined, hotPlayer: { share: 0.5 } },
    });
    expect(summarizeSteps(r.steps).map((s) => [s.subject, s.from, s.to, s.steps])).toEqual([
      ['faults.responseLoss', undefined, undefined, 1],
      // The larger phase first: what removes the most goes first.
      ['phase steady-1', undefined, undefined, 1],
      ['phase ramp-2 durationSec', '2', '0.1', 5],
      ['phase ramp-2 fromPerSec..toPerSec', '10..40', '1..1', 6],
      ['players.count', '100', '1', 6],
      ['provider.retry.maxAttempts', '4', '1', 1],
      ['provider.settlementRetry.maxAttempts', '10', '1', 1],
      ['provider.settlementRetry.txId', 'new', 'reuse', 1],
    ]);
  });

  it('keeps no candidate that fails otherwise or is larger', () => {
    const larger = (s: ScenarioInput) => fakeRun(1000 - roundsOf(s), 1);
    expect(shrink(START, larger, { maxRuns: 500 }).steps.every((s) => !s.subject.startsWith('phase'))).toBe(true);
    const passing = (s: ScenarioInput) => fakeRun(roundsOf(s), 0);
    expect(shrink(START, passing, { maxRuns: 500 })).toMatchObject({ runs: 1, steps: [], stoppedBy: 'minimal' });
  });

  it('stops at its bounds: runs, and the caller\'s keepGoing (its clock)', () => {
    expect(shrink(START, judge, { maxRuns: 5 })).toMatchObject({ runs: 5, stoppedBy: 'max-runs' });
    expect(shrink(START, judge, { maxRuns: 500, keepGoing: () => false })).toMatchObject({ runs: 1, stoppedBy: 'time' });
  });

  it('stops when the caller is interrupted, before its next run, with what it kept until then', () => {
    const full = shrink(START, judge, { maxRuns: 500 });
    let runs = 0;
    const counted = (s: ScenarioInput) => (runs++, judge(s));
    const interrupted = shrink(START, counted, { maxRuns: 500, interrupted: () => runs >= 6 });
    expect(interrupted).toMatchObject({ runs: 6, stoppedBy: 'interrupted' });
    expect(runs).toBe(6);
    // The same first steps as the whole shrink, and the case the last of them kept.
    expect(interrupted.steps).toEqual(full.steps.slice(0, interrupted.steps.length));
    expect(interrupted.steps.length).toBeGreaterThan(0);
    expect(interrupted.shrunk.run.operations.logical).toBe(interrupted.steps.at(-1)!.logicalAfter);
  });

  it('shrinking yields after each run and ends with what shrink returns: the same runs in the same order', () => {
    const runs = shrinking(START, judge, { maxRuns: 500 });
    const yielded: number[] = [];
    let next = runs.next();
    for (; next.done !== true; next = runs.next()) yielded.push(next.value);
    const whole = shrink(START, judge, { maxRuns: 500 });
    expect(next.value).toEqual(whole);
    expect(yielded).toEqual(Array.from({ length: whole.runs }, (_, i) => i + 1));
  });
});

describe('walletstorm swarm --shrink: usage', () => {
  const flags = { seeds: '100', from: '1', model: 'all', color: false };
  it.each([
    [{}, 'E_SHRINK_NEEDS_REPLAY'],
    [{ seeds: '5' }, 'E_SHRINK_NEEDS_REPLAY'],
    [{ replay: '1' }, 'E_SHRINK_ONE_MODEL'],
    [{ replay: '1', model: 'request,event' }, 'E_SHRINK_ONE_MODEL'],
    [{ replay: '1', model: 'request', shrink: false, out: join(tmp, 'a.yaml') }, 'E_BAD_FLAG'],
    [{ replay: '1', model: 'request', out: join(tmp, 'a.txt') }, 'E_BAD_FLAG'],
  ])('%j is a usage error (%s, exit 2)', async (given, code) => {
    await expect(swarmCommand({ ...flags, shrink: true, ...given })).rejects.toMatchObject({ code, exitCode: 2 });
  });

  it('its problems are listed with the other flags\' (checkAll), not one per try', async () => {
    // Before: --replay's alone, then --model's, then --out's, one run at a time.
    const error = swarmCommand({ ...flags, shrink: true, replay: 'abc', model: 'all', out: join(tmp, 'a.txt') });
    await expect(error).rejects.toMatchObject({ code: 'E_SHRINK_ONE_MODEL', exitCode: 2 });
    const problems = ((await error.catch((e: unknown) => e)) as { problems?: { code: string }[] }).problems?.map((p) => p.code);
    expect(problems).toEqual(['E_SHRINK_ONE_MODEL', 'E_BAD_NUMBER', 'E_BAD_FLAG']);
    // The hint's command does not repeat the bad seed that E_BAD_NUMBER refuses beside it.
    const hints = ((await error.catch((e: unknown) => e)) as { problems?: { hint?: string }[] }).problems?.map((p) => p.hint);
    expect(hints?.[0]).toContain('walletstorm swarm --replay SEED --model M --shrink');
  });

  it.each(['99999999999', '4294967296'])('the hint does not repeat a seed of digits that is out of range either (%s)', async (replay) => {
    const error = swarmCommand({ ...flags, shrink: true, replay, model: 'all' });
    const problems = ((await error.catch((e: unknown) => e)) as { problems?: { code: string; hint?: string }[] }).problems;
    expect(problems?.map((p) => p.code)).toEqual(['E_SHRINK_ONE_MODEL', 'E_BAD_NUMBER']);
    expect(problems?.[0]!.hint).toContain('walletstorm swarm --replay SEED --model M --shrink');
  });

  it('a seed whose invariants hold has nothing to shrink: exit 0, no file, and no directory made for one', () => {
    const out = join(tmp, 'missing', 'sub', 'none.yaml');
    const r = walletstorm(['swarm', '--replay', '1', '--model', 'request', '--shrink', '--out', out]);
    expect([r.status, r.stdout]).toEqual([0, 'shrink: seed 1 on request: invariants hold, nothing to shrink (no file written)\n']);
    expect(() => readFileSync(out)).toThrow();
    // Before, the output check ahead of the runs had created missing/sub/, left behind empty.
    expect(existsSync(join(tmp, 'missing'))).toBe(false);
  });
});

/**
 * The command line, on a planted-bug build: test/support/plant-bug.mjs switches a LedgerSafety
 * off as the built ledger loads (no seed fails on main), and can send the CLI a real SIGTERM then
 * SIGINT in the middle of a given run.
 */
describe('walletstorm swarm --shrink, planted bug, from the command line', () => {
  const PRELOAD = join(ROOT, 'test', 'support', 'plant-bug.mjs');
  const shrinkCli = (out: string, env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, ['--import', PRELOAD, BIN, 'swarm', '--replay', String(SEED), '--model', MODEL, '--shrink', '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, WALLETSTORM_TEST_SAFETY_OFF: 'refuseWinAfterRollback', ...env },
    });
    return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
  };
  const whole = shrinkSeed(SEED, MODEL, LIMITS, { safety });

  it('uninterrupted, it shrinks as shrinkSeed does: exit 1, the same file', () => {
    const out = join(tmp, 'cli-whole.yaml');
    const r = shrinkCli(out);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout).toContain(`shrink: ${whole.runs} runs in `);
    expect(r.stdout).toContain('stopped: no simpler candidate still fails');
    const replay = `walletstorm simulate ${out} --model ${MODEL} --seed ${SEED}`;
    expect(readFileSync(out, 'utf8')).toBe(scenarioFile({ seed: SEED, model: MODEL, out }, whole, replay));
  });

  it('SIGTERM then SIGINT stop it after the run in progress: the smallest failing case so far is written, the simulate command and the runs are printed, exit 130', () => {
    const out = join(tmp, 'cli-interrupted.yaml');
    const r = shrinkCli(out, { WALLETSTORM_TEST_SIGNAL_AT_LEDGER: '6' });
    // Before: killed by the signal, nothing printed and no file.
    expect([r.status, r.signal], r.stderr).toEqual([130, null]);
    // The 6th ledger is the shrink's 5th run (the seed's own run comes first): it stops after it.
    const runs = 5;
    expect(runs).toBeLessThan(whole.runs);
    expect(r.stdout).toContain(`shrink: ${runs} runs in `);
    expect(r.stdout).toContain('stopped: interrupted (Ctrl-C or SIGTERM): smaller may exist');
    expect(r.stdout).toContain(`    replay: walletstorm simulate ${out} --model ${MODEL} --seed ${SEED}\n`);
    expect(r.stdout.endsWith(`wrote ${out}\nshrink: interrupted after ${runs} runs; ${out} holds the smallest failing case found until then\n`)).toBe(true);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain(`# The shrink was interrupted (Ctrl-C or SIGTERM) after ${runs} runs: this is the smallest failing\n# case it had found until then, and a smaller one may exist.\n`);
    expect(text).toContain(`# Replay: walletstorm simulate ${out} --model ${MODEL} --seed ${SEED}\n`);
    // What it wrote is a step of the whole shrink, still failing the same way, and no larger than the seed's scenario.
    const loaded = loadScenario(out);
    const run = runScenario(loaded.scenario, MODEL, SEED, { safety });
    expect(run.unrefundedRollbacks).toBeGreaterThan(0);
    expect(run.operations.logical).toBeLessThanOrEqual(whole.original.run.operations.logical);
    expect(run.operations.logical).toBeGreaterThanOrEqual(whole.shrunk.run.operations.logical);
  });
});
