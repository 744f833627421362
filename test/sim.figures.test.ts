import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ModelName } from '../src/models/config.js';
import { faultWindows } from '../src/report/fault-windows.js';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario, parseScenario } from '../src/scenario/load.js';
import { runVirtual, VirtualWorld } from '../src/sim/world.js';

/** One small scenario (YAML text) in every model, seed 1. */
function runAll(yaml: string, models: readonly ModelName[] = ['request', 'event', 'hybrid']) {
  const compiled = compileScenario(parseScenario(yaml, 'test.yaml'));
  return models.map((model) => runVirtual(compiled, model, 1).report);
}

/** 2 s of traffic, a 5 s drain (deadline at 7 s) and one log fault; `more` adds top-level settings. */
function drainFaultScenario(fault: string, more = ''): string {
  return `
name: drain-fault
traffic:
  phases:
    - { kind: steady, durationSec: 2, roundsPerSec: 20 }
players: { count: 5, initialBalance: 1000000 }
${more}
run: { drainTimeoutSec: 5 }
faults:
  ${fault}
`;
}

describe('simulated figures do what the README says', () => {
  it('queueTimeoutMs sheds waiting requests in every pool: request, event ingest, hybrid API', () => {
    const yaml = `
name: shed
traffic:
  arrivals: uniform
  phases:
    - { kind: steady, durationSec: 2, roundsPerSec: 20 }
players: { count: 20, initialBalance: 1000000 }
round: { winProbability: 0 }
provider: { timeoutMs: 5000 }
wallet:
  request: { workers: 1, serviceTimeMs: 100, queueLimit: 1000, queueTimeoutMs: 150 }
  event: { ingest: { workers: 1, serviceTimeMs: 100, queueLimit: 1000, queueTimeoutMs: 150 } }
  hybrid: { api: { workers: 1, serviceTimeMs: 100, queueLimit: 1000, queueTimeoutMs: 150 } }
`;
    for (const run of runAll(yaml)) {
      expect(run.results['TEMPORARY_ERROR'], run.model).toBeGreaterThan(50);
      expect(run.maxQueueDepth, run.model).toBeLessThan(20);
      expect(run.consistency.ok, run.model).toBe(true);
    }
  });

  it('the report lists a repeating fault window only where the simulator repeated it', () => {
    const yaml = `
name: crash
traffic:
  arrivals: uniform
  phases:
    - { kind: steady, durationSec: 3, roundsPerSec: 20 }
players: { count: 20, initialBalance: 1000000 }
wallet:
  event: { partitions: 2, consumers: 2, commitEvery: 1000 }
  hybrid: { partitions: 2, consumers: 2, commitEvery: 1000 }
faults:
  consumerCrash: { atSec: 1, restartAfterSec: 0.5, everySec: 1 }
`;
    const compiled = compileScenario(parseScenario(yaml, 'test.yaml'));
    const windows = faultWindows(compiled.faults, compiled.phases.at(-1)!.endMs);
    // Crashes at 1 s and 2 s; the one at 3 s would fall at the traffic's end, where repeats stop.
    expect(windows.map((w) => w.fromMs)).toEqual([1000, 2000]);
    for (const model of ['event', 'hybrid'] as const) {
      const run = runVirtual(compiled, model, 1).report;
      expect(run.faults!.consumerCrashes, model).toBe(windows.length * 2);
      expect(run.endMs, model).toBeGreaterThan(3000);
    }
    // The report written by the CLI: it unrolled the windows up to the end of the run (3.1 s).
    const dir = mkdtempSync(join(tmpdir(), 'ws-windows-'));
    try {
      writeFileSync(join(dir, 'crash.yaml'), yaml);
      const cli = spawnSync(process.execPath, ['bin/walletstorm.js', 'simulate', join(dir, 'crash.yaml'), '--model', 'event', '--report', 'summary', '--json', join(dir, 'r.json')]);
      expect(cli.status, cli.stderr.toString()).toBe(0);
      const report = JSON.parse(readFileSync(join(dir, 'r.json'), 'utf8')) as { scenario: { faultWindows: unknown } };
      expect(report.scenario.faultWindows).toEqual(windows);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('faults.betsDelayed counts bets, not their attempts', () => {
    // rollback-race: every delayed bet times out (two attempts, both delayed) and is rolled back.
    const loaded = loadScenario('rollback-race', ['traffic.phases.0.durationSec=10']);
    const run = runVirtual(compileScenario(loaded.scenario), 'request', 1).report;
    expect(run.faults!.betsDelayed).toBeGreaterThan(100);
    expect(run.faults!.betsDelayed).toBe(run.operations.byKind.rollback);
    expect(run.operations.attempts - run.operations.logical).toBeGreaterThanOrEqual(run.faults!.betsDelayed);
  });

  it('replays counts the retries every model recognised, at its API or in its ledger', () => {
    // Answers lost on the way back: each retry finds its txId known, whichever model answers it.
    const yaml = `
name: loss
traffic:
  arrivals: uniform
  phases:
    - { kind: steady, durationSec: 5, roundsPerSec: 20 }
players: { count: 20, initialBalance: 1000000 }
round: { winProbability: 0.5, playTimeMs: 100 }
provider: { timeoutMs: 500, retry: { maxAttempts: 3, backoffMs: 100 }, settlementRetry: { maxAttempts: 5, backoffMs: 100, jitter: 0 } }
faults:
  responseLoss: { rate: 0.3, fromSec: 1, toSec: 3 }
`;
    const runs = runAll(yaml);
    expect(runs[0]!.retries).toBeGreaterThan(10);
    for (const run of runs) {
      expect(run.duplicates, run.model).toBe(0);
      expect(run.replays, run.model).toBe(run.retries);
    }
  });

  it('phase rates count the phase itself, also when it does not start on a whole second', () => {
    const yaml = `
name: frac
traffic:
  arrivals: uniform
  phases:
    - { name: a, kind: steady, durationSec: 2.5, roundsPerSec: 100 }
    - { name: b, kind: steady, durationSec: 2.5, roundsPerSec: 100 }
    - { name: c, kind: steady, durationSec: 0.5, roundsPerSec: 100 }
players: { count: 200, initialBalance: 1000000 }
round: { playTimeMs: 1 }
`;
    const [run] = runAll(yaml, ['request']);
    // A round is a bet and a win, both intended in the phase (1 ms apart): 200 operations a second.
    for (const phase of run!.phases) {
      expect(phase.offeredPerSec, phase.name).toBeGreaterThan(196);
      expect(phase.offeredPerSec, phase.name).toBeLessThan(204);
      expect(phase.goodputPerSec, phase.name).toBeGreaterThan(190);
    }
  });

  it('a run stopped before its traffic ended has no convergence time, even with its wallet idle then', () => {
    const yaml = `
name: quiet
traffic:
  phases:
    - { kind: steady, durationSec: 10, roundsPerSec: 2 }
players: { count: 5, initialBalance: 1000000 }
`;
    const compiled = compileScenario(parseScenario(yaml, 'test.yaml'));
    for (const model of ['request', 'event', 'hybrid'] as const) {
      const world = new VirtualWorld(compiled, model, 1);
      world.advance(2500);
      world.clock.stop();
      const run = world.finish().report;
      expect(run.stopReason, model).toBe('stopped');
      expect(run.convergenceMs, model).toBeNull();
    }
  });

  it('a log fault due after the drain deadline never fires and does not end a drained run as deadline', () => {
    for (const fault of ['consumerCrash: { atSec: 1000 }', 'rebalance: { atSec: 1000, pauseSec: 1 }']) {
      for (const run of runAll(drainFaultScenario(fault), ['event', 'hybrid'])) {
        expect(run.stopReason, `${run.model} ${fault}`).toBe('drained');
        expect(run.completed).toBe(true);
        expect(run.faults.consumerCrashes + run.faults.rebalances).toBe(0);
      }
    }
  });

  it('a crash or pause in the drain that would end past the deadline ends at it: with nothing left to apply the run is drained', () => {
    for (const fault of ['consumerCrash: { atSec: 6, restartAfterSec: 5 }', 'rebalance: { atSec: 6.5, pauseSec: 3 }']) {
      for (const run of runAll(drainFaultScenario(fault, 'wallet: { event: { commitEvery: 1 }, hybrid: { commitEvery: 1 } }'), ['event', 'hybrid'])) {
        // Every record was committed: the idle consumers' restart is no work left undone.
        expect(run.stopReason, `${run.model} ${fault}`).toBe('drained');
        expect(run.faults.consumerCrashes + run.faults.rebalances).toBeGreaterThan(0);
      }
    }
  });

  it('a phase too short to have a length in floating point reports rates of 0, not NaN (null in JSON)', () => {
    const yaml = `
name: tiny-phase
traffic:
  phases:
    - { kind: steady, durationSec: 2, roundsPerSec: 20 }
    - { kind: steady, durationSec: 1e-16, roundsPerSec: 100 }
players: { count: 5, initialBalance: 1000000 }
`;
    for (const run of runAll(yaml, ['request'])) {
      expect(run.phases[1]).toMatchObject({ offeredPerSec: 0, goodputPerSec: 0 });
    }
  });
});

describe('convergence: from the end of the traffic to the first moment the wallet has caught up', () => {
  const peakWithoutCalm = (model: ModelName) => {
    const loaded = loadScenario('peak-traffic', ['traffic.phases=[{kind: steady, durationSec: 30, roundsPerSec: 1200}, {kind: spike, durationSec: 10, roundsPerSec: 5000}]']);
    return runVirtual(compileScenario(loaded.scenario), model, loaded.scenario.seed).report;
  };

  it('a backlog left by a spike that ends the traffic: the time it takes to drain, not the gap after the last win', () => {
    for (const model of ['event', 'hybrid'] as const) {
      const r = peakWithoutCalm(model);
      // The log is some 5 s behind when the spike ends; before, convergence counted from the last
      // win opened (the rounds' play time into the drain) and read 3.1 s of a 5.1 s backlog (event).
      expect(r.maxLagMs, model).toBeGreaterThan(4000);
      expect(r.convergenceMs, model).toBeGreaterThan(0.8 * r.maxLagMs);
      expect(r.endMs - r.trafficMs, model).toBeGreaterThanOrEqual(r.convergenceMs!);
    }
  });

  it('is never earlier than the apply that converges the ledger: a record or request in service at the end of the traffic keeps the wallet busy', () => {
    // One round at 0.5 s. Event and hybrid: the bet is applied 0.5-0.8 s and the win, taken at once
    // after it, 0.8-1.1 s, across the end of the traffic (1 s) with nothing left in the backlog.
    // Request-driven: the win's worker serves it 0.9-1.2 s. Before, event and hybrid reported 0:
    // busy() counted the backlog and not the record a consumer was still applying.
    const yaml = `
name: slow-apply
traffic:
  arrivals: uniform
  phases:
    - { kind: steady, durationSec: 1, roundsPerSec: 2 }
players: { count: 1, initialBalance: 1000000 }
round: { playTimeMs: 100 }
network: { latencyMs: 0 }
wallet:
  request: { serviceTimeMs: 300 }
  event: { ingest: { serviceTimeMs: 1 }, applyMs: 300 }
  hybrid: { api: { serviceTimeMs: 1 }, applyMs: 300 }
`;
    const compiled = compileScenario(parseScenario(yaml, 'test.yaml'));
    for (const model of ['request', 'event', 'hybrid'] as const) {
      const { report, trace } = runVirtual(compiled, model, 1, { trace: ['p0'] });
      const appliedAtMs = trace!.players[0]!.events.filter((e) => e.type === 'applied').map((e) => e.atMs);
      expect(appliedAtMs, model).toHaveLength(2);
      const lastAppliedMs = Math.max(...appliedAtMs);
      expect(lastAppliedMs, model).toBeGreaterThan(report.trafficMs);
      // Nothing comes after the win: the wallet caught up at the instant it was applied.
      expect(report.convergenceMs, model).toBeCloseTo(lastAppliedMs - report.trafficMs, 3);
    }
  });

  it('a wallet that kept up is converged when the traffic ends, however long late retries and wins go on', () => {
    const yaml = `
name: kept-up
traffic:
  phases:
    - { kind: steady, durationSec: 5, roundsPerSec: 200 }
players: { count: 2000, initialBalance: 1000000 }
faults:
  responseLoss: { rate: 0.05 }
`;
    for (const r of runAll(yaml)) {
      // Before, it counted to the last time the wallet went idle: after the last retry's answer,
      // seconds after the traffic (12.9 s for request-driven).
      expect(r.convergenceMs, r.model).toBeLessThan(50);
      expect(r.consistency.ok, r.model).toBe(true);
    }
  });
});
