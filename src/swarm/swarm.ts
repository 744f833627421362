import type { ModelName } from '../models/config.js';
import type { RunReport } from '../report/model.js';
import { compileScenario } from '../scenario/compile.js';
import { scenarioSchema, type ScenarioInput } from '../scenario/schema.js';
import { runVirtual, type VirtualOptions } from '../sim/world.js';
import { swarmScenario } from './generate.js';
import { violations } from './invariants.js';
import { shrink, shrinking, type ShrinkLimits, type ShrinkResult } from './shrink.js';

export interface SeedResult {
  readonly seed: number;
  readonly model: ModelName;
  readonly violations: readonly string[];
  readonly run: RunReport;
}

/** Runs one seed of the swarm on one model. */
export function runSeed(seed: number, model: ModelName, options: Pick<VirtualOptions, 'safety'> = {}): SeedResult {
  const report = runScenario(swarmScenario(seed), model, seed, options);
  return { seed, model, violations: violations(report), run: report };
}

/** A scenario run as the swarm runs it, and as `simulate FILE --model M --seed S` would. */
export function runScenario(input: ScenarioInput, model: ModelName, seed: number, options: Pick<VirtualOptions, 'safety'> = {}): RunReport {
  return runVirtual(compileScenario(scenarioSchema.parse(input)), model, seed, options).report;
}

/**
 * Shrinks the scenario a failing seed draws (see shrink.ts), on one model with that seed. It is
 * renamed first, so that the scenario judged is byte for byte the one a file will hold (names
 * and descriptions are labels: no draw reads them).
 */
export function shrinkSeed(seed: number, model: ModelName, limits: ShrinkLimits, options: Pick<VirtualOptions, 'safety'> = {}): ShrinkResult {
  return shrink(shrinkStart(seed, model), (s) => runScenario(s, model, seed, options), limits);
}

/** shrinkSeed one run at a time (see `shrinking`): the CLI waits for a turn of the event loop between runs. */
export function shrinkingSeed(seed: number, model: ModelName, limits: ShrinkLimits, options: Pick<VirtualOptions, 'safety'> = {}): Generator<number, ShrinkResult, void> {
  return shrinking(shrinkStart(seed, model), (s) => runScenario(s, model, seed, options), limits);
}

function shrinkStart(seed: number, model: ModelName): ScenarioInput {
  return { ...swarmScenario(seed), name: `swarm-${seed}-shrunk`, description: `Seed ${seed}'s swarm scenario, shrunk on ${model}.` };
}

/** Seeds from..from+count-1 on every model given; calls back after each so progress shows. */
export function* swarm(from: number, count: number, models: readonly ModelName[], options: Pick<VirtualOptions, 'safety'> = {}): Generator<SeedResult> {
  for (let seed = from; seed < from + count; seed++) {
    for (const model of models) yield runSeed(seed, model, options);
  }
}
