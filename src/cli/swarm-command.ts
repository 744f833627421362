import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { checkAll, EXIT, usageError, type ExitCode } from '../errors.js';
import type { ModelName } from '../models/config.js';
import { faultWindowsField } from '../report/fault-windows.js';
import { renderSummary } from '../report/reporters/terminal.js';
import { compileScenario } from '../scenario/compile.js';
import { scenarioSchema } from '../scenario/schema.js';
import { swarmScenario } from '../swarm/generate.js';
import { runSeed, swarm, type SeedResult } from '../swarm/swarm.js';
import { packageVersion } from '../util/package-root.js';
import { onInterrupt } from './interrupt.js';
import { parseModels } from './model-option.js';
import { parseWhole } from './parse-flags.js';
import { failureText } from './swarm-failure.js';
import { refuseNonYaml, shrinkCommand } from './swarm-shrink.js';

export interface SwarmOptions {
  readonly seeds: string;
  readonly from: string;
  readonly model: string;
  readonly replay?: string;
  readonly emitScenario?: string;
  /** With --replay: shrink the seed's scenario (swarm-shrink.ts) instead of showing its report. */
  readonly shrink?: boolean;
  readonly out?: string;
  readonly color: boolean;
}

const write = (text: string) => process.stdout.write(text);

/**
 * walletstorm swarm: many seeds, each drawing its own scenario and faults, each run checked
 * against the invariants. A failure prints the command that replays exactly that seed.
 */
export async function swarmCommand(options: SwarmOptions): Promise<ExitCode> {
  const { models, emit, replaying, range } = checkAll({
    models: () => shrinkableModels(options),
    emit: () => (options.emitScenario === undefined ? undefined : count(options.emitScenario, '--emit-scenario')),
    replaying: () => (options.replay === undefined ? undefined : count(options.replay, '--replay')),
    // Commander refuses --seeds or --from beside the two above, so these are their defaults there.
    range: () => seedRange(options),
    shrink: () => checkShrinkFlags(options),
  });
  if (emit !== undefined) {
    write(`# walletstorm swarm scenario; run it with: walletstorm simulate <this file>\n${stringify(swarmScenario(emit))}`);
    return EXIT.ok;
  }
  if (options.shrink === true && replaying !== undefined) return shrinkCommand({ seed: replaying, model: models[0]!, out: options.out });
  if (replaying !== undefined) return replay(replaying, models, options.color);
  const { seeds, from } = range;
  const started = performance.now();
  const failures: SeedResult[] = [];
  let runs = 0;
  // Ctrl-C (or SIGTERM) ends the hunt after the run in progress, and what it found so far is still
  // printed. A second signal changes nothing: each run is synchronous, so signals reach the handler
  // only between runs, when the hunt stops anyway; exiting on the second lost the findings (a CI
  // cancel sends SIGINT, then SIGTERM).
  let interrupted = false;
  const stopListening = onInterrupt(() => void (interrupted = true));
  try {
    for (const result of swarm(from, seeds, models)) {
      runs++;
      if (result.violations.length > 0) failures.push(result);
      if (runs % 50 === 0) process.stderr.write(`  ${runs} runs, ${failures.length} failing\n`);
      // Each run is synchronous; a turn of the event loop between runs lets the signal in.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (interrupted) break;
    }
  } finally {
    stopListening();
  }
  const wallSec = ((performance.now() - started) / 1000).toFixed(1);
  const upTo = interrupted ? `interrupted after ${runs} runs of ` : '';
  write(`swarm: ${upTo}seeds ${from}..${from + seeds - 1} × ${models.join(', ')}: ${runs} runs in ${wallSec} s, ${failures.length} failing\n`);
  for (const f of failures) write(failureText(f));
  if (interrupted) return EXIT.interrupted;
  return failures.length === 0 ? EXIT.ok : EXIT.checkFailed;
}

function replay(seed: number, models: readonly ModelName[], color: boolean): ExitCode {
  const results = models.map((m) => runSeed(seed, m));
  // The faults the seed drew and when, as simulate's report has them: what a reader of a failure
  // looks at first, and otherwise only in the scenario --emit-scenario prints.
  const windows = faultWindowsField(compileScenario(scenarioSchema.parse(swarmScenario(seed))));
  const report = {
    tool: { name: 'walletstorm' as const, version: packageVersion() },
    scenario: { name: `swarm-${seed}`, seed, overrides: [], ...windows },
    runs: results.map((r) => r.run),
    timing: { wallMs: 0, simulatedOpsPerSec: 0 },
  };
  write(renderSummary(report, { color, replay: `walletstorm swarm --emit-scenario ${seed} > swarm-${seed}.yaml` }));
  for (const r of results) write(r.violations.length === 0 ? `invariants hold for ${r.model}\n` : `✘ ${r.model}: ${r.violations.join('; ')}\n`);
  return results.some((r) => r.violations.length > 0) ? EXIT.checkFailed : EXIT.ok;
}

/**
 * --shrink takes the one failing case that --replay names: a hunt finds many (seeds × models),
 * and which of them to shrink is the user's choice, made from the hunt's failure lines.
 */
function checkShrinkFlags(options: SwarmOptions): void {
  if (options.shrink !== true) {
    if (options.out !== undefined) throw usageError('E_BAD_FLAG', '--out names the file a shrink writes: it goes with --shrink', 'add --shrink, or leave --out out');
    return;
  }
  if (options.replay === undefined) {
    throw usageError('E_SHRINK_NEEDS_REPLAY', '--shrink shrinks one failing seed on one model: give them with --replay SEED --model M', 'find one with `walletstorm swarm`: each failing seed prints its --replay command; add --shrink to it');
  }
  if (options.out !== undefined) refuseNonYaml(options.out);
}

/**
 * --model; one model only with --shrink, checked with the flag so that it is listed with the
 * others. Without --replay, E_SHRINK_NEEDS_REPLAY asks for both already.
 */
function shrinkableModels(options: SwarmOptions): readonly ModelName[] {
  const models = parseModels(options.model);
  if (options.shrink === true && options.replay !== undefined && models.length !== 1) {
    throw usageError('E_SHRINK_ONE_MODEL', `--shrink shrinks on one model, got ${models.join(', ')}`, `add --model request, event or hybrid: the one the failing seed's line names (walletstorm swarm --replay ${seedOrPlaceholder(options.replay)} --model M --shrink)`);
  }
  return models;
}

const MAX_SEED = 2 ** 32 - 1;

/** --seeds and --from, within the seeds there are. */
function seedRange(options: SwarmOptions): { seeds: number; from: number } {
  const { seeds, from } = checkAll({
    seeds: () => parseWhole('--seeds', options.seeds, 1, MAX_SEED, 'E_BAD_NUMBER'),
    from: () => count(options.from, '--from'),
  });
  if (from + seeds - 1 > MAX_SEED) {
    throw usageError('E_BAD_NUMBER', `seeds ${from}..${from + seeds - 1} go past the largest seed, ${MAX_SEED}`, `lower --from to at most ${MAX_SEED - seeds + 1}`);
  }
  return { seeds, from };
}

/** The seed as given when --replay takes it, else SEED: a hint must not repeat what E_BAD_NUMBER refuses beside it. */
function seedOrPlaceholder(value: string): string {
  try {
    return String(count(value, '--replay'));
  } catch {
    return 'SEED';
  }
}

function count(value: string, flag: string): number {
  return parseWhole(flag, value, 0, MAX_SEED, 'E_BAD_NUMBER');
}
