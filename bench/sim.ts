/**
 * npm run bench:sim — simulated logical operations per wall second.
 *
 * Runs the shipped retry-storm scenario, its phases repeated so the request-driven model simulates at least
 * 2 million logical operations, several rounds per model, and prints every round and the median.
 * The machine is shared and noisy: compare medians, and compare models within one run. Each
 * round also prints its page faults, priced at this machine's measured first-touch cost.
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
  /** Minor page faults of the round: memory the process touched for the first time. */
  readonly pageFaults: number;
}

/**
 * What touching fresh memory costs on this machine, per 4 KiB page: every operation a simulation
 * keeps for its audit lands on new pages, so this cost is part of its figure. On an ordinary
 * host a page fault takes a fraction of a microsecond; in some virtual machines it is ten times that.
 */
function firstTouchUsPerPage(): number {
  const bytes = 128 * 1024 * 1024;
  const stride = 4096 / 8;
  const started = performance.now();
  const memory = new Float64Array(bytes / 8);
  for (let i = 0; i < memory.length; i += stride) memory[i] = 1;
  return ((performance.now() - started) * 1000) / (bytes / 4096);
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
  const faultsBefore = process.resourceUsage().minorPageFault;
  const started = performance.now();
  const run = runVirtual(compiled, model, seed);
  const wallSec = (performance.now() - started) / 1000;
  const pageFaults = process.resourceUsage().minorPageFault - faultsBefore;
  return { ops: run.report.operations.logical, attempts: run.report.operations.attempts, events: run.eventsRun, wallSec, pageFaults };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const factor = stretchFactor();
const touchUs = firstTouchUsPerPage();
console.log(`bench:sim — retry-storm repeated ${factor}x, ${ROUNDS} rounds per model, node ${process.version}`);
console.log(`  first touch of fresh memory on this machine: ${touchUs.toFixed(2)} µs per 4 KiB page`);
for (const model of MODELS) {
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const round = runOnce(model, factor, 1 + r);
    const rate = round.ops / round.wallSec;
    rates.push(rate);
    console.log(
      `  ${model.padEnd(8)} round ${r + 1}: ${fmt(round.ops)} logical ops, ${fmt(round.attempts)} attempts, ${fmt(round.events)} events in ${round.wallSec.toFixed(2)} s = ${fmt(rate)} ops/s, ${fmt(round.events / round.wallSec)} events/s` +
        ` · ${fmt(round.pageFaults)} page faults (at the first-touch cost, about ${(((round.pageFaults * touchUs) / 1e6 / round.wallSec) * 100).toFixed(0)}% of the round)`,
    );
  }
  console.log(`${model.padEnd(8)} median: ${fmt(median(rates))} simulated logical ops per wall second`);
}
