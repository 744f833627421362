import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { stringify } from 'yaml';
import { EXIT, usageError, type ExitCode } from '../errors.js';
import type { ModelName } from '../models/config.js';
import { writeFileAtomic } from '../report/reporters/json.js';
import { summarizeSteps, type ShrinkResult, type ShrinkStop, type StepSummary, type Tried } from '../swarm/shrink.js';
import { runSeed, shrinkingSeed } from '../swarm/swarm.js';
import { onInterrupt } from './interrupt.js';
import { checkOutputTargets } from './output-paths.js';
import { quote } from './simulate-command.js';
import { failureText } from './swarm-failure.js';
import { int as count } from '../ui/format.js';

/**
 * Bounds of a shrink. Every candidate is a simpler scenario than the seed's (less traffic, fewer
 * faults, players or attempts), so a run costs about what the seed's own run cost or less (the
 * swarm's runs take tens of milliseconds; the planted bugs of the tests shrink in 20-40 runs). The run bound is what keeps a shrink
 * deterministic; the time bound is a backstop for a slow machine, and says so when it cuts.
 */
export const SHRINK_MAX_RUNS = 200;
export const SHRINK_MAX_SEC = 120;

export interface ShrinkFlags {
  readonly seed: number;
  readonly model: ModelName;
  /** --out: the scenario file to write; reports/swarm-SEED-MODEL-shrunk.yaml by default. */
  readonly out?: string;
}

const write = (text: string) => process.stdout.write(text);

/**
 * walletstorm swarm --replay SEED --model M --shrink: the seed's scenario made as small as it can
 * be while it still breaks one of the same invariants, written as a scenario file, with the
 * simulate command that replays it (simulate's verdict and exit code show every invariant the
 * swarm checks: all of them are in consistency.ok or the run's end).
 */
export async function shrinkCommand(flags: ShrinkFlags): Promise<ExitCode> {
  const file = flags.out ?? join('reports', `swarm-${flags.seed}-${flags.model}-shrunk.yaml`);
  // Ctrl-C (or SIGTERM) stops the shrink after the run in progress, as its time bound does, and
  // what it found so far is still written (exit 130). A second signal changes nothing: runs are
  // synchronous, so signals reach the handler only between runs, where the shrink stops anyway.
  let interrupted = false;
  const stopListening = onInterrupt(() => void (interrupted = true));
  try {
    // The seed's own run first: one that holds writes nothing, so its path is not prepared either
    // (that creates the missing directories, which would be left behind empty).
    if (runSeed(flags.seed, flags.model).violations.length === 0) {
      write(`shrink: seed ${flags.seed} on ${flags.model}: invariants hold, nothing to shrink (no file written)\n`);
      return EXIT.ok;
    }
    // Before the shrink's runs, as every command checks its outputs: a path that cannot be written fails now.
    checkOutputTargets([{ flag: '--out', path: file, kind: 'file' }], []);
    const started = performance.now();
    const deadline = started + SHRINK_MAX_SEC * 1000;
    const runs = shrinkingSeed(flags.seed, flags.model, { maxRuns: SHRINK_MAX_RUNS, keepGoing: () => performance.now() < deadline, interrupted: () => interrupted });
    let next = runs.next();
    while (next.done !== true) {
      // Each run is synchronous; a turn of the event loop between runs lets the signal in.
      await new Promise<void>((resolve) => setImmediate(resolve));
      next = runs.next();
    }
    const result = next.value;
    const wallSec = (performance.now() - started) / 1000;
    const replay = `walletstorm simulate ${quote(file)} --model ${flags.model} --seed ${flags.seed}`;
    write(shrinkAccount(flags, result, wallSec));
    write(failureText(seedResult(flags, result.shrunk), { label: `seed ${flags.seed} ${flags.model}, shrunk`, replay }));
    writeFileAtomic(file, scenarioFile(flags, result, replay), 'the shrunk scenario');
    write(`wrote ${file}\n`);
    if (result.stoppedBy !== 'interrupted') return EXIT.checkFailed;
    write(`shrink: interrupted after ${result.runs} runs; ${file} holds the smallest failing case found until then\n`);
    return EXIT.interrupted;
  } finally {
    // After the file is written: a signal while it is written changes nothing either.
    stopListening();
  }
}

/** simulate reads a bare name as a shipped scenario too; a .yaml or .yml path is read as a file only. */
export function refuseNonYaml(file: string): void {
  if (!/\.ya?ml$/i.test(file)) throw usageError('E_BAD_FLAG', `--out ${file}: the shrunk scenario is a YAML file`, `name it with .yaml, e.g. --out ${file}.yaml`);
}

const STOPS: Record<ShrinkStop, string> = {
  minimal: 'no simpler candidate still fails',
  'max-runs': `the run bound (${SHRINK_MAX_RUNS}) was reached: smaller may exist`,
  time: `the time bound (${SHRINK_MAX_SEC} s) was reached: smaller may exist, and another machine may stop elsewhere`,
  interrupted: 'interrupted (Ctrl-C or SIGTERM): smaller may exist',
};

/** What the shrink started from, what it kept, and where it stopped. */
function shrinkAccount(flags: ShrinkFlags, r: ShrinkResult, wallSec: number): string {
  const before = r.original.run.operations.logical;
  const lines = [
    `shrink: seed ${flags.seed} on ${flags.model} breaks ${r.original.violations.map((v) => v.text).join('; ')} (${count(before)} logical operations)`,
    ...summarizeSteps(r.steps).map((s) => `  ${stepText(s)}  (${count(s.logicalBefore)} → ${count(s.logicalAfter)} logical operations)`),
    `shrink: ${r.runs} runs in ${wallSec.toFixed(1)} s (at most ${SHRINK_MAX_RUNS} runs, ${SHRINK_MAX_SEC} s), ${r.steps.length} steps kept; stopped: ${STOPS[r.stoppedBy]}`,
    `logical operations: ${count(before)} → ${count(r.shrunk.run.operations.logical)}`,
  ];
  return `${lines.join('\n')}\n`;
}

function stepText(s: StepSummary): string {
  if (s.to === undefined) return `dropped ${s.subject}`;
  return `${s.subject} ${s.from} → ${s.to}${s.steps > 1 ? ` (${s.steps} steps)` : ''}`;
}

function seedResult(flags: ShrinkFlags, t: Tried) {
  return { seed: flags.seed, model: flags.model, violations: t.violations.map((v) => v.text), run: t.run };
}

/** The shrunk scenario, loadable by simulate, with a header that says where it came from and how to replay it. */
export function scenarioFile(flags: ShrinkFlags, r: ShrinkResult, replay: string): string {
  const header = [
    `${r.shrunk.scenario.name}: the scenario walletstorm swarm draws from seed ${flags.seed}, shrunk on ${flags.model}`,
    `by \`walletstorm swarm --replay ${flags.seed} --model ${flags.model} --shrink\` (${r.runs} runs; logical operations`,
    `${count(r.original.run.operations.logical)} → ${count(r.shrunk.run.operations.logical)}). With seed ${flags.seed} on ${flags.model} it broke: ${r.shrunk.violations.map((v) => v.text).join('; ')}.`,
    ...(r.stoppedBy === 'interrupted' ? [`The shrink was interrupted (Ctrl-C or SIGTERM) after ${r.runs} runs: this is the smallest failing`, 'case it had found until then, and a smaller one may exist.'] : []),
    ...(r.steps.length === 0 ? ['Nothing could be removed or reduced: every simpler candidate passed.'] : ['Removed or reduced from the drawn scenario:', ...summarizeSteps(r.steps).map((s) => `  ${stepText(s)}`)]),
    `Replay: ${replay}`,
    '(the seed matters: another one draws other traffic from the same settings; exit 1 while the bug is there)',
  ];
  return `${header.map((l) => `# ${l}`.trimEnd()).join('\n')}\n${stringify(r.shrunk.scenario)}`;
}
