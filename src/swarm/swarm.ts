import type { ModelName } from '../models/config.js';
import type { RunReport } from '../report/model.js';
import { compileScenario } from '../scenario/compile.js';
import { scenarioSchema } from '../scenario/schema.js';
import { runVirtual, type VirtualOptions } from '../sim/world.js';
import { swarmScenario } from './generate.js';
import { violations } from './invariants.js';

export interface SeedResult {
  readonly seed: number;
  readonly model: ModelName;
  readonly violations: readonly string[];
  readonly run: RunReport;
}

/** Runs one seed of the swarm on one model. */
export function runSeed(seed: number, model: ModelName, options: Pick<VirtualOptions, 'safety'> = {}): SeedResult {
  const scenario = scenarioSchema.parse(swarmScenario(seed));
  const { report } = runVirtual(compileScenario(scenario), model, seed, options);
  return { seed, model, violations: violations(report), run: report };
}

/** Seeds from..from+count-1 on every model given; calls back after each so progress shows. */
export function* swarm(from: number, count: number, models: readonly ModelName[], options: Pick<VirtualOptions, 'safety'> = {}): Generator<SeedResult> {
  for (let seed = from; seed < from + count; seed++) {
    for (const model of models) yield runSeed(seed, model, options);
  }
}
