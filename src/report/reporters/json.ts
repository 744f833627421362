import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
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

export function writeFileAtomic(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}
