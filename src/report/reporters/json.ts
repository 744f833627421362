import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { EXIT, WalletstormError } from '../../errors.js';
import { makeDirectories } from '../../util/directories.js';
import type { Report } from '../model.js';
import type { Reporter } from '../reporter.js';

/** Writes the full report; via a temporary file and a rename, so a reader never sees half of it. */
export function jsonReporter(file: string): Reporter {
  return {
    name: 'json',
    onReport(report: Report) {
      writeFileAtomic(file, jsonText(report));
    },
  };
}

/** The full report as text to a stream (`--json -`: standard output, for a pipe into jq). */
export function jsonStreamReporter(write: (text: string) => void): Reporter {
  return {
    name: 'json',
    onReport(report: Report) {
      write(jsonText(report));
    },
  };
}

function jsonText(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * Readers (and a run killed halfway) see the old file or the complete new one, never a part:
 * the content goes to a temporary file in the same directory, is flushed to disk, and is then
 * renamed over the target, which POSIX makes atomic. Any failure removes the temporary file and
 * is an E_REPORT_WRITE error.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array, what = 'the report'): void {
  const tmp = `${file}.${process.pid}.tmp`;
  let created = false;
  try {
    makeDirectories(dirname(file));
    const fd = openSync(tmp, 'w');
    created = true;
    try {
      const bytes = typeof content === 'string' ? Buffer.from(content) : content;
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (cause) {
    // Only a file this call created: a path that merely has the temporary name is not ours.
    if (created) rmSync(tmp, { force: true });
    throw reportWriteError(file, cause, what);
  }
}

/**
 * Exit 3, "the run could not complete": the run itself finished, but its report (what CI reads)
 * does not exist, so the run must neither pass (0) nor look like a failed check (1); the paths
 * were checked before the run, so this is the disk or a race, not the user's input (2).
 */
function reportWriteError(file: string, cause: unknown, what: string): WalletstormError {
  return new WalletstormError(
    'E_REPORT_WRITE',
    `could not write ${what} ${file}: ${(cause as Error)?.message ?? String(cause)}`,
    EXIT.unreachable,
    'the summary above has the run’s results; make room on the disk or fix the path, then run again',
    { cause },
  );
}
