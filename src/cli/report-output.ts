import type { Command } from 'commander';
import { checkAll, checkEach, EXIT, usageError, WalletstormError, type ExitCode } from '../errors.js';
import { assertUsableBaseline, compareReports, parseMaxRegression, type Comparison, type GateOptions } from '../report/diff.js';
import type { Report } from '../report/model.js';
import { readReport } from '../report/read-report.js';
import type { Reporter } from '../report/reporter.js';
import {
  CONSOLE_REPORTERS,
  createReporter,
  parseReporterList,
  REPORTER_NAMES,
  reporterFile,
  type ReporterName,
  type ReporterSetup,
} from '../report/reporters/index.js';
import { jsonReporter, jsonStreamReporter } from '../report/reporters/json.js';
import { exitCodeFor } from './exit.js';
import { checkOutputTargets, type OutputTarget } from './output-paths.js';

/** The output flags of every command that produces a report (simulate, compare, load). */
export interface ReportFlags {
  readonly report?: string;
  readonly outDir?: string;
  readonly name?: string;
  readonly json?: string;
  readonly hgrm?: string;
  readonly baseline?: string;
  readonly maxRegression?: string[];
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `--json -`: the JSON report on standard output, as `jq` and `curl -o -` read a dash. */
export const STDOUT_DASH = '-';

/**
 * Where a command prints its summary, trace and the rest of its text: standard output, unless the
 * JSON report goes there (`--json -`); then standard error, so that what is piped is JSON alone.
 */
export function consoleStream(flags: Pick<ReportFlags, 'json'>): NodeJS.WriteStream {
  return flags.json === STDOUT_DASH ? process.stderr : process.stdout;
}

/** Where --json wrote the report, for a command's closing line. */
export function jsonDestination(json: string): string {
  return json === STDOUT_DASH ? 'standard output' : json;
}

/** Adds --report, --out-dir, --name, --hgrm, --baseline and --max-regression (not --json, which the commands already have). */
export function addReportFlags(cmd: Command): Command {
  return cmd
    .option('--report <list>', `outputs, a comma list of ${REPORTER_NAMES.join(', ')} (default: terminal on a terminal, summary otherwise)`)
    .option('--out-dir <dir>', 'where --report writes its files', 'reports')
    .option('--name <name>', 'file name (without extension) for --report files (default: scenario, models and a timestamp)')
    .option('--hgrm <dir>', 'write .hgrm percentile distributions (HdrHistogram’s plotter reads them) to this directory')
    .option('--baseline <file>', 'compare with this JSON report; a regression exits 1')
    .option('--max-regression <allowance>', 'noise allowed before a change counts as a regression: 10% (the default), +2 (absolute, in each figure’s unit), p99(ack.bet)=25%, timeouts=+5 (repeatable)', collect, []);
}

export interface OutputContext {
  /** simulate, compare or load: the middle part of default file names. */
  readonly label: string;
  readonly color: boolean;
  /** Whether stdout is a terminal: the full table there, a compact summary in logs. */
  readonly tty: boolean;
  readonly write: (text: string) => void;
  /** Files this run reads (the scenario, merged reports): no output may overwrite them. */
  readonly inputs?: readonly string[];
}

export interface Emitted {
  readonly comparison?: Comparison;
  /** The files written. */
  readonly files: string[];
  /**
   * Set when a report file could not be written (exit 3). The console summary has been printed
   * all the same; the command throws this once its own closing lines are out.
   */
  readonly writeError?: WalletstormError;
}

export interface PreparedOutput {
  /** Writes every output of the final report; returns the baseline comparison if there was one. */
  emit(report: Report, replay?: string): Promise<Emitted>;
}

/** The output flags as read: checked before the run, with the command's other flags. */
export interface CheckedOutputFlags {
  readonly listed: readonly ReporterName[];
  readonly gate: GateOptions;
  readonly baseline?: Report;
}

/**
 * Checked before the run starts, so that a typo in --report or --max-regression, an empty path or
 * an unreadable baseline fails in a second instead of after the whole run. Reads files, writes none.
 */
export function checkOutputFlags(flags: ReportFlags): CheckedOutputFlags {
  return checkAll({
    unusable: () => refuseUnusableOutputFlags(flags),
    listed: () => (flags.report === undefined ? [] : parseReporterList(flags.report)),
    gate: () => parseMaxRegression(flags.maxRegression ?? []),
    baseline: () => readBaseline(flags.baseline),
  });
}

function readBaseline(file: string | undefined): Report | undefined {
  if (file === undefined) return undefined;
  const baseline = readReport(file);
  assertUsableBaseline(baseline, file);
  return baseline;
}

/**
 * After every other check of the command (it creates missing output directories, which a usage
 * error should not leave behind): an output path that cannot be written fails now, not after the run.
 */
export function prepareOutput(flags: ReportFlags, checked: CheckedOutputFlags, context: OutputContext): PreparedOutput {
  const { listed, gate, baseline } = checked;
  const consoleName: ReporterName = listed.find((n) => CONSOLE_REPORTERS.includes(n)) ?? (context.tty ? 'terminal' : 'summary');
  const fileNames = listed.filter((n) => !CONSOLE_REPORTERS.includes(n));
  if (flags.hgrm !== undefined && !fileNames.includes('hgrm')) fileNames.push('hgrm');
  const outDir = flags.outDir ?? 'reports';
  // The baseline is an input too: a report written over it would bake a regression into the next run's baseline.
  const inputs = [...(context.inputs ?? []), ...(flags.baseline === undefined ? [] : [flags.baseline])];
  checkOutputTargets(outputTargets(flags, fileNames, outDir), inputs);
  return {
    async emit(report, replay) {
      const comparison = baseline === undefined ? undefined : compareReports(baseline, report, gate, { baseline: flags.baseline });
      const baseName = flags.name ?? defaultBaseName(report, context.label);
      const where = { outDir, baseName, hgrmDir: flags.hgrm };
      const files: Record<string, string> = {};
      for (const n of fileNames) files[n] = reporterFile(n, where)!;
      const setup: ReporterSetup = { ...where, color: context.color, write: context.write, replay, comparison, files };
      const reporters: [string, Reporter][] = fileNames.map((n) => [n, createReporter(n, setup)]);
      if (flags.json !== undefined) reporters.push(['--json', flags.json === STDOUT_DASH ? jsonStreamReporter((t) => process.stdout.write(t)) : jsonReporter(flags.json)]);
      const failed = await runFileReporters(reporters, report);
      const written = Object.fromEntries(Object.entries(files).filter(([n]) => !failed.has(n)));
      // The console output last, as it names the files the others wrote; and always, because
      // when a file could not be written it is all that is left of the run.
      await createReporter(consoleName, { ...setup, files: written }).onReport?.(report);
      return { comparison, files: Object.values(written), writeError: combine([...failed.values()]) };
    },
  };
}

/** Every file reporter runs even when one fails; the failures, by reporter name. */
async function runFileReporters(reporters: readonly [string, Reporter][], report: Report): Promise<Map<string, WalletstormError>> {
  const failed = new Map<string, WalletstormError>();
  for (const [name, r] of reporters) {
    try {
      await r.onReport?.(report);
    } catch (error) {
      // Only a write failure (E_REPORT_WRITE); anything else is a bug and keeps its stack.
      if (!(error instanceof WalletstormError)) throw error;
      failed.set(name, error);
    }
  }
  return failed;
}

function combine(errors: readonly WalletstormError[]): WalletstormError | undefined {
  if (errors.length <= 1) return errors[0];
  const first = errors[0]!;
  const message = `${errors.length} reports could not be written:\n${errors.map((e) => `  ${e.message}`).join('\n')}`;
  return new WalletstormError(first.code, message, first.exitCode, first.hint, { cause: first });
}

/** What each output flag will write, so that all of it can be checked before the run. */
function outputTargets(flags: ReportFlags, fileNames: readonly ReporterName[], outDir: string): OutputTarget[] {
  const targets: OutputTarget[] = [];
  if (flags.json !== undefined && flags.json !== STDOUT_DASH) targets.push({ flag: '--json', path: flags.json, kind: 'file' });
  if (flags.hgrm !== undefined) targets.push({ flag: '--hgrm', path: flags.hgrm, kind: 'directory' });
  const inOutDir = fileNames.filter((n) => n !== 'hgrm' || flags.hgrm === undefined);
  if (inOutDir.length === 0) return targets;
  targets.push({ flag: '--out-dir', path: outDir, kind: 'directory' });
  // Without --name the file names carry the time of writing: only the directory is known now.
  if (flags.name === undefined) return targets;
  for (const n of inOutDir.filter((f) => f !== 'hgrm')) targets.push({ flag: `--report ${n}`, path: reporterFile(n, { outDir, baseName: flags.name })!, kind: 'file', elsewhere: 'choose another --name or --out-dir' });
  return targets;
}

/** A failed check wins (1), a run that could not complete wins over both (3); else the baseline gate (a regression or a missing figure: 1). */
export function gatedExitCode(report: Report, comparison: Comparison | undefined): ExitCode {
  const code = exitCodeFor(report);
  if (code !== EXIT.ok || comparison === undefined) return code;
  return comparison.ok ? EXIT.ok : EXIT.checkFailed;
}

function defaultBaseName(report: Report, label: string): string {
  const models = label === 'compare' ? 'compare' : `${label === 'merge' ? 'merged-' : ''}${report.runs.map((r) => r.model).join('+')}`;
  // The wall clock belongs here, in the CLI: it keeps successive runs from overwriting each other
  // (to the millisecond: two runs started in one second by a script kept one file).
  const stamp = new Date().toISOString().replace(/[-:]/g, '');
  // File names stop at 255 bytes: a long scenario name is cut so the models and time still fit.
  return `${report.scenario.name.slice(0, MAX_NAME_CHARS)}-${models}-${stamp}`.replace(/[^\w.+-]+/g, '_');
}

/** Room for the models, the timestamp and the longest suffix (.junit.xml) within 255 bytes. */
const MAX_NAME_CHARS = 120;

/**
 * An empty path or name would write beside the working directory or as a hidden file (".json"),
 * or fail after the run. A dash is standard output for --json only: for a directory flag it
 * would make a directory named "-" where the user meant a stream.
 */
function refuseUnusableOutputFlags(flags: ReportFlags): void {
  const named = [['--json', flags.json], ['--out-dir', flags.outDir], ['--hgrm', flags.hgrm], ['--name', flags.name]] as const;
  checkEach(named, ([flag, value]) => {
    if (value !== undefined && value.trim() === '') throw usageError('E_BAD_FLAG', `${flag} is empty`, `${flag} needs a ${flag === '--name' ? 'name' : 'path'}, or leave the flag out`);
    if (value === STDOUT_DASH && (flag === '--out-dir' || flag === '--hgrm')) {
      throw usageError('E_BAD_FLAG', `${flag} -: ${flag} names a directory, which standard output is not`, `only the JSON report goes to standard output (--json -); give ${flag} a directory (./- for one named "-")`);
    }
  });
}
