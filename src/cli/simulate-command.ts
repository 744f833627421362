import { performance } from 'node:perf_hooks';
import { checkAll, checkEach, EXIT, type ExitCode } from '../errors.js';
import { faultsAfterTraffic } from '../faults/timed.js';
import type { Report } from '../report/model.js';
import { faultWindowsField } from '../report/fault-windows.js';
import { evaluateThresholds, parseThreshold } from '../report/thresholds.js';
import { loadScenario, type LoadedScenario } from '../scenario/load.js';
import { compileScenario } from '../scenario/compile.js';
import { chooseLiveOutput } from '../ui/choose.js';
import { parsePace, RunDriver } from '../ui/drive.js';
import { packageVersion } from '../util/package-root.js';
import { onInterrupt } from './interrupt.js';
import { refuseNoTraffic } from './no-traffic.js';
import { parseModels } from './model-option.js';
import { parseSeed } from './parse-flags.js';
import { checkOutputFlags, consoleStream, gatedExitCode, prepareOutput, type ReportFlags } from './report-output.js';
import { parseTraceFlags } from './trace-flags.js';
import { writeTraceOutput } from './trace-output.js';

export interface SimulateOptions extends ReportFlags {
  readonly model?: string;
  readonly seed?: string;
  readonly set: string[];
  readonly threshold: string[];
  readonly json?: string;
  readonly color: boolean;
  /** 1x, 10x or max: how fast run time goes by against the wall clock (max by default). */
  readonly pace?: string;
  /** false (--no-ui): no live dashboard even on a terminal. */
  readonly ui?: boolean;
  /** Players whose story to print after the report (repeatable). */
  readonly trace?: string[];
  readonly traceLimit?: string;
}

export async function simulateCommand(scenarioRef: string, options: SimulateOptions, command: 'simulate' | 'compare'): Promise<ExitCode> {
  // The scenario as soon as it is read: --trace is checked against its players (see trace).
  let scenario: LoadedScenario | undefined;
  const flags = checkAll({
    models: () => parseModels(command === 'compare' ? 'all' : (options.model ?? 'all')),
    loaded: () => (scenario = loadWithTraffic(scenarioRef, options.set)),
    // The scenario's own thresholds are checked with the scenario, each flag's here.
    thresholds: () => checkEach(options.threshold, parseThreshold),
    seed: () => (options.seed === undefined ? undefined : parseSeed(options.seed)),
    pace: () => parsePace(options.pace ?? 'max'),
    trace: () => parseTraceFlags(options.trace ?? [], options.traceLimit, scenario?.scenario.players.count),
    output: () => checkOutputFlags(options),
  });
  const { models, loaded, pace, trace } = flags;
  const thresholds = [...loaded.scenario.thresholds.map(parseThreshold), ...flags.thresholds];
  const seed = flags.seed ?? loaded.scenario.seed;
  const compiled = compileScenario(loaded.scenario);
  for (const late of faultsAfterTraffic(loaded.scenario)) process.stderr.write(`walletstorm: note: ${late}\n`);
  // Standard error when the JSON report takes standard output (--json -): the dashboard too.
  const say = consoleStream(options);
  // Last of the checks: it creates missing output directories, which a usage error should not leave behind.
  const output = prepareOutput(options, flags.output, { label: command, color: options.color, tty: say.isTTY === true, write: (t) => say.write(t), inputs: [loaded.file] });
  const trafficMs = compiled.phases.at(-1)?.endMs ?? 0;
  const live = await chooseLiveOutput({ ui: options.ui !== false, color: options.color, stdout: say, stdin: process.stdin, stderr: process.stderr, env: process.env });
  // Side by side when someone watches (space switches models at the same moment); else one by one.
  const driver = new RunDriver({ scenario: compiled, models, seed, pace, lockstep: live.name === 'dashboard' || pace !== null, listeners: [live], trace: trace.players });
  live.onRunStart?.({ command, world: 'virtual', scenario: loaded.scenario, seed, models, pace, trafficMs, control: driver });
  // Ctrl-C or SIGTERM; a second one changes nothing: the run stops at its next slice anyway. Kept
  // until the reports are written, as load keeps its own: once the run is over a signal changes
  // nothing, where without a handler it killed the process (143) in the middle of writing them.
  const stopListening = onInterrupt(() => driver.interrupt());
  try {
    const started = performance.now();
    const result = await driver.run();
    const wallMs = performance.now() - started;
    const report: Report = {
      tool: { name: 'walletstorm', version: packageVersion() },
      scenario: { name: loaded.scenario.name, seed, file: loaded.file, overrides: loaded.overrides, ...faultWindowsField(compiled) },
      runs: result.runs.map((run) => (thresholds.length === 0 ? run : { ...run, thresholds: evaluateThresholds(thresholds, run) })),
      timing: { wallMs: Math.round(wallMs), simulatedOpsPerSec: Math.round(result.logicalOps / (wallMs / 1000)) },
    };
    await live.onReport?.(report);
    const replay = replayCommand(command, scenarioRef, options, seed);
    const { comparison, writeError } = await output.emit(report, replay);
    // Before the stop reason: an interrupted run promises a partial report, which does not exist.
    if (writeError !== undefined) throw writeError;
    writeTraceOutput({ flags: trace, traces: result.traces, report, replay, firstProblemPlayer: result.firstProblemPlayer, color: options.color, write: (t) => say.write(t) });
    if (result.stopped !== undefined) {
      const at = Math.max(0, ...report.runs.map((r) => r.endMs)) / 1000;
      const why = result.stopped === 'user' ? 'stopped with q' : 'interrupted';
      // Run one by one (no dashboard, no pace), the models after the stopped one never started.
      const notRun = models.filter((m) => !report.runs.some((r) => r.model === m));
      const missing = notRun.length === 0 ? '' : `; ${notRun.join(' and ')} did not start: the reports have no run of ${notRun.length === 1 ? 'it' : 'them'}`;
      process.stderr.write(`walletstorm: ${why} at ${at.toFixed(1)} s of run time; the reports cover the run until then${missing}\n`);
      return result.stopped === 'user' ? exitCodeAfterStop(report) : EXIT.interrupted;
    }
    return gatedExitCode(report, comparison);
  } finally {
    stopListening();
  }
}

/** The scenario, refused when it starts no traffic to check. */
function loadWithTraffic(ref: string, overrides: readonly string[]): LoadedScenario {
  const loaded = loadScenario(ref, overrides);
  refuseNoTraffic(loaded.scenario, { does: 'simulate', hint: "raise the scenario's rates or durations (traffic.phases)" });
  return loaded;
}

/**
 * A run stopped on purpose (q) is a normal end: what it measured still counts (a failed check or
 * threshold is 1), but not having drained or converged does not.
 */
function exitCodeAfterStop(report: Report): ExitCode {
  if (report.runs.some((r) => r.stopReason === 'event-limit')) return EXIT.unreachable;
  if (report.runs.some((r) => !r.consistency.ok || r.thresholds?.some((t) => !t.ok))) return EXIT.checkFailed;
  return EXIT.ok;
}

function replayCommand(command: string, ref: string, options: SimulateOptions, seed: number): string {
  const parts = ['walletstorm', command, quote(ref)];
  if (command === 'simulate' && options.model !== undefined) parts.push('--model', quote(options.model));
  parts.push('--seed', String(seed));
  for (const s of options.set) parts.push('--set', quote(s));
  for (const t of options.threshold) parts.push('--threshold', quote(t));
  return parts.join(' ');
}

/** A shell word, quoted only when it must be, for a command people paste. */
export function quote(s: string): string {
  return /^[\w.=:,/-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
