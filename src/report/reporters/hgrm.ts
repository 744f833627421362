import { join } from 'node:path';
import { decodeHdr } from '../histogram.js';
import type { Report, RunReport } from '../model.js';
import type { Reporter } from '../reporter.js';
import { writeFileAtomic } from './json.js';

/** Microseconds recorded, milliseconds shown: the unit the rest of the report uses. */
const US_PER_MS = 1000;
/** HdrHistogram's default resolution of the percentile distribution. */
const TICKS_PER_HALF_DISTANCE = 5;

/**
 * Writes `.hgrm` percentile distributions (HdrHistogram's `outputPercentileDistribution` text),
 * one per model and latency, for HdrHistogram's own plotter (plotFiles.html) and for
 * comparing with other tools that produce the format.
 */
export function hgrmReporter(dir: string, baseName: string, onFile?: (file: string) => void): Reporter {
  return {
    name: 'hgrm',
    onReport(report) {
      for (const f of hgrmFiles(report, baseName)) {
        const file = join(dir, f.name);
        writeFileAtomic(file, f.content);
        onFile?.(file);
      }
    },
  };
}

export function hgrmFiles(report: Report, baseName: string): { name: string; content: string }[] {
  const out: { name: string; content: string }[] = [];
  for (const run of report.runs) {
    for (const [latency, encoded] of encodedLatencies(run)) {
      const text = decodeHdr(encoded).outputPercentileDistribution(TICKS_PER_HALF_DISTANCE, US_PER_MS);
      out.push({ name: `${baseName}.${safe(run.model)}.${latency}.hgrm`, content: text.endsWith('\n') ? text : `${text}\n` });
    }
  }
  return out;
}

function encodedLatencies(run: RunReport): [string, string][] {
  const h = run.histograms;
  if (h === undefined) return [];
  const list: [string, string | undefined][] = [
    ['ack-bet', h.ack.bet],
    ['ack-win', h.ack.win],
    ['ack-rollback', h.ack.rollback],
    ['attempt', h.attempt],
    ['settlement', h.settlement],
  ];
  return list.filter((e): e is [string, string] => typeof e[1] === 'string');
}

function safe(name: string): string {
  return name.replace(/[^\w.-]+/g, '_');
}
