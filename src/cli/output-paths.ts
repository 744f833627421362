import { closeSync, openSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { checkEach, usageError, type WalletstormError } from '../errors.js';
import { makeDirectories, nearestExisting, statOrUndefined } from '../util/directories.js';

/** A path an output flag writes to: one file, or a directory that files go into. */
export interface OutputTarget {
  /** The flag that names it, for the message: `--json`, `--out-dir`, `--report html`. */
  readonly flag: string;
  readonly path: string;
  readonly kind: 'file' | 'directory';
  /** How to name another path, when not with the flag itself (--report files: --name, --out-dir). */
  readonly elsewhere?: string;
}

/**
 * Checked before the run, because a report that cannot be written is otherwise found out only
 * when the run is over, and its results are lost. Missing directories are created now and a
 * file is created and removed in each: the only test that also catches a read-only or pseudo
 * file system such as /proc, which access(2) passes for root.
 */
export function checkOutputTargets(targets: readonly OutputTarget[], inputs: readonly string[]): void {
  checkEach(targets, (t) => (t.kind === 'file' ? checkFile(t, inputs) : checkDirectory(t)));
}

function checkFile(t: OutputTarget, inputs: readonly string[]): void {
  const stats = statOrUndefined(t.path);
  if (stats?.isDirectory()) {
    throw outputError('E_OUTPUT_IS_DIRECTORY', t, 'is a directory, and a report is a file', t.elsewhere ?? `name a file, e.g. ${t.flag} ${join(t.path, 'report.json')}`);
  }
  // A report replaces its file by a rename: over a device such as /dev/null that would replace the device.
  if (stats !== undefined && !stats.isFile()) throw outputError('E_OUTPUT_NOT_A_FILE', t, 'exists and is not a regular file', 'name a regular file, or one that does not exist yet');
  if (stats !== undefined && inputs.some((input) => samePath(input, t.path))) {
    throw outputError('E_OUTPUT_IS_INPUT', t, 'is an input of this run, and the report would overwrite it', t.elsewhere ?? 'write the report to another file');
  }
  prepareDirectory(t, dirname(t.path), `${t.path}.${process.pid}.tmp`);
}

function checkDirectory(t: OutputTarget): void {
  const stats = statOrUndefined(t.path);
  if (stats !== undefined && !stats.isDirectory()) throw outputError('E_OUTPUT_NOT_A_DIRECTORY', t, 'exists and is not a directory', `${t.flag} names the directory the reports go into`);
  prepareDirectory(t, t.path, join(t.path, `.walletstorm.${process.pid}.tmp`));
}

/** Creates `dir` if needed and proves that a file can be created in it (`probe`, removed at once). */
function prepareDirectory(t: OutputTarget, dir: string, probe: string): void {
  const ancestor = nearestExisting(dir);
  if (!ancestor.stats.isDirectory()) {
    throw outputError('E_OUTPUT_NOT_A_DIRECTORY', t, `${ancestor.path} is not a directory, so nothing can be written under it`, 'name a path whose parents are directories (or do not exist yet)');
  }
  try {
    makeDirectories(dir);
    closeSync(openSync(probe, 'wx'));
    rmSync(probe, { force: true });
  } catch (cause) {
    // A file already has the probe's name: not ours to remove, and the directory is usable enough to try.
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST' && statOrUndefined(dir)?.isDirectory()) return;
    throw outputError('E_OUTPUT_NOT_WRITABLE', t, `cannot create files in ${dir} (${(cause as Error).message})`, 'choose a directory you can write to');
  }
}

function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

function outputError(code: string, t: OutputTarget, problem: string, hint: string): WalletstormError {
  return usageError(code, `${t.flag} ${t.path}: ${problem}`, hint);
}
