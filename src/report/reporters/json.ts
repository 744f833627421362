import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Report } from '../model.js';
import type { Reporter } from '../reporter.js';

/** Writes the full report; via a temporary file and a rename, so a reader never sees half of it. */
export function jsonReporter(file: string): Reporter {
  return {
    name: 'json',
    onReport(report: Report) {
      writeFileAtomic(file, `${JSON.stringify(report, null, 2)}\n`);
    },
  };
}

/**
 * Readers (and a run killed halfway) see the old file or the complete new one, never a part:
 * the content goes to a temporary file in the same directory, is flushed to disk, and is then
 * renamed over the target, which POSIX makes atomic.
 */
export function writeFileAtomic(file: string, content: string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    const bytes = typeof content === 'string' ? Buffer.from(content) : content;
    for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  renameSync(tmp, file);
}
