import type { ModelName } from '../models/config.js';
import type { Report, RunReport } from '../report/model.js';
import { compileScenario } from '../scenario/compile.js';
import type { LoadedScenario } from '../scenario/load.js';
import { runVirtual } from './world.js';

export interface SimulationResult {
  /** The report without its timing section, which only the caller (with a wall clock) can fill. */
  readonly runs: readonly RunReport[];
  readonly logicalOps: number;
  readonly eventsRun: number;
}

/** Runs each model on the same scenario and seed, one after the other, in the virtual world. */
export function simulate(loaded: LoadedScenario, models: readonly ModelName[], seed: number): SimulationResult {
  const compiled = compileScenario(loaded.scenario);
  const runs: RunReport[] = [];
  let logicalOps = 0;
  let eventsRun = 0;
  for (const model of models) {
    const run = runVirtual(compiled, model, seed);
    runs.push(run.report);
    logicalOps += run.report.operations.logical;
    eventsRun += run.eventsRun;
  }
  return { runs, logicalOps, eventsRun };
}

export type { Report };
