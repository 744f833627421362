import type { Command } from 'commander';
import { EXIT, type ExitCode } from '../errors.js';
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
import { jsonReporter } from '../report/reporters/json.js';
import { exitCodeFor } from './exit.js';

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
}

export interface PreparedOutput {
  /** Writes every output of the final report; returns the baseline comparison if there was one. */
  emit(report: Report, replay?: string): Promise<{ comparison?: Comparison; files: string[] }>;
}

/**
 * Checked before the run starts, so that a typo in --report or an unreadable baseline fails in
 * a second instead of after the whole run.
 */
export function prepareOutput(flags: ReportFlags, context: OutputContext): PreparedOutput {
  const listed = flags.report === undefined ? [] : parseReporterList(flags.report);
  const consoleName: ReporterName = listed.find((n) => CONSOLE_REPORTERS.includes(n)) ?? (context.tty ? 'terminal' : 'summary');
  const fileNames = listed.filter((n) => !CONSOLE_REPORTERS.includes(n));
  if (flags.hgrm !== undefined && !fileNames.includes('hgrm')) fileNames.push('hgrm');
  const gate: GateOptions = parseMaxRegression(flags.maxRegression ?? []);
  const baseline = flags.baseline === undefined ? undefined : readReport(flags.baseline);
  if (baseline !== undefined) assertUsableBaseline(baseline, flags.baseline);
  const outDir = flags.outDir ?? 'reports';
  return {
    async emit(report, replay) {
      const comparison = baseline === undefined ? undefined : compareReports(baseline, report, gate, { baseline: flags.baseline });
      const baseName = flags.name ?? defaultBaseName(report, context.label);
      const where = { outDir, baseName, hgrmDir: flags.hgrm };
      const files: Record<string, string> = {};
      for (const n of fileNames) files[n] = reporterFile(n, where)!;
      const setup: ReporterSetup = { ...where, color: context.color, write: context.write, replay, comparison, files };
      const reporters: Reporter[] = fileNames.map((n) => createReporter(n, setup));
      if (flags.json !== undefined) reporters.push(jsonReporter(flags.json));
      // The console output last: it names the files the others wrote.
      reporters.push(createReporter(consoleName, setup));
      for (const r of reporters) await r.onReport?.(report);
      return { comparison, files: Object.values(files) };
    },
  };
}

/** A failed check wins (1), a run that could not complete wins over both (3); else the baseline gate (a regression or a missing figure: 1). */
export function gatedExitCode(report: Report, comparison: Comparison | undefined): ExitCode {
  const code = exitCodeFor(report);
  if (code !== EXIT.ok || comparison === undefined) return code;
  return comparison.ok ? EXIT.ok : EXIT.checkFailed;
}

function defaultBaseName(report: Report, label: string): string {
  const models = label === 'compare' ? 'compare' : `${label === 'merge' ? 'merged-' : ''}${report.runs.map((r) => r.model).join('+')}`;
  // The wall clock belongs here, in the CLI: it keeps successive runs from overwriting each other.
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${report.scenario.name}-${models}-${stamp}`.replace(/[^\w.+-]+/g, '_');
}

