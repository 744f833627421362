import { checkAll, checkEach, usageError, type ExitCode } from '../errors.js';
import { mergeReports } from '../report/merge.js';
import { readReport } from '../report/read-report.js';
import { checkOutputFlags, consoleStream, gatedExitCode, prepareOutput, type ReportFlags } from './report-output.js';

export interface MergeOptions extends ReportFlags {
  readonly color: boolean;
}

/**
 * `walletstorm merge A.json B.json ... --json OUT`: one report of the same scenario from several
 * load-generator processes. Exit codes as for a run: 1 when the merged checks fail.
 */
export async function mergeCommand(files: readonly string[], options: MergeOptions): Promise<ExitCode> {
  const { reports, output: checked } = checkAll({
    count: () => {
      if (files.length < 2) throw usageError('E_MERGE_EMPTY', `merge needs two or more reports, got ${files.length}`, 'walletstorm merge a.json b.json --json merged.json');
    },
    reports: () => checkEach(files, (file) => ({ file, report: readReport(file) })),
    output: () => checkOutputFlags(options),
  });
  // Standard error when the merged JSON report takes standard output (--json -), as simulate does.
  const say = consoleStream(options);
  const output = prepareOutput(options, checked, { label: 'merge', color: options.color, tty: say.isTTY === true, write: (t) => say.write(t), inputs: files });
  const merged = mergeReports(reports);
  for (const note of merged.merged?.notes ?? []) process.stderr.write(`walletstorm merge: note: ${note}\n`);
  const { comparison, writeError } = await output.emit(merged);
  if (writeError !== undefined) throw writeError;
  return gatedExitCode(merged, comparison);
}
