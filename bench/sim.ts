/**
 * npm run bench:sim — simulated logical operations per wall second.
 *
 * Runs the shipped retry-storm scenario, its phases repeated so the request-driven model simulates at least
 * 2 million logical operations, several rounds per model, and prints every round and the median.
 * The machine is shared and noisy: compare medians, and compare models within one run.
 */
import { performance } from 'node:perf_hooks';
import type { ModelName } from '../src/models/config.js';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import { runVirtual } from '../src/sim/world.js';

const TARGET_OPS = 2_000_000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MODELS = (process.env.BENCH_MODELS ?? 'request,event,hybrid').split(',') as ModelName[];

interface Round {
  readonly ops: number;
  readonly attempts: number;
  readonly events: number;
  readonly wallSec: number;
}

function stretchFactor(): number {
  // One short probe run tells how many logical ops the scenario makes; scale durations to reach the target.
  const probe = runVirtual(compileScenario(loadScenario('retry-storm').scenario), 'request', 1);
  return Math.ceil((TARGET_OPS * 1.02) / probe.report.operations.logical);
}

function runOnce(model: ModelName, factor: number, seed: number): Round {
  const loaded = loadScenario('retry-storm');
  // Repeat the scenario's cycle rather than stretch it: a 10x longer storm is another scenario.
  const phases = Array.from({ length: factor }, () => loaded.scenario.traffic.phases).flat();
  const compiled = compileScenario({ ...loaded.scenario, traffic: { ...loaded.scenario.traffic, phases } });
  const started = performance.now();
  const run = runVirtual(compiled, model, seed);
  const wallSec = (performance.now() - started) / 1000;
  return { ops: run.report.operations.logical, attempts: run.report.operations.attempts, events: run.eventsRun, wallSec };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const factor = stretchFactor();
console.log(`bench:sim — retry-storm repeated ${factor}x, ${ROUNDS} rounds per model, node ${process.version}`);
for (const model of MODELS) {
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const round = runOnce(model, factor, 1 + r);
    const rate = round.ops / round.wallSec;
    rates.push(rate);
    console.log(
      `  ${model.padEnd(8)} round ${r + 1}: ${fmt(round.ops)} logical ops, ${fmt(round.attempts)} attempts, ${fmt(round.events)} events in ${round.wallSec.toFixed(2)} s = ${fmt(rate)} ops/s, ${fmt(round.events / round.wallSec)} events/s`,
    );
  }
  console.log(`${model.padEnd(8)} median: ${fmt(median(rates))} simulated logical ops per wall second`);
}
