import { join } from 'node:path';
import { usageError } from '../../errors.js';
import type { Comparison } from '../diff.js';
import type { Reporter } from '../reporter.js';
import { hgrmReporter } from './hgrm.js';
import { htmlReporter } from './html.js';
import { jsonReporter } from './json.js';
import { junitReporter } from './junit.js';
import { markdownReporter } from './markdown.js';
import { summaryReporter, terminalReporter } from './terminal.js';

/** What every reporter may need, known once the report is final. */
export interface ReporterSetup {
  readonly outDir: string;
  /** File name without extension: `<scenario>-<models>-<timestamp>` or --name. */
  readonly baseName: string;
  readonly color: boolean;
  readonly write: (text: string) => void;
  readonly replay?: string;
  readonly comparison?: Comparison;
  /** Files written by this invocation, by reporter name (for links and the closing line). */
  readonly files: Readonly<Record<string, string>>;
  /** Directory for .hgrm files when --hgrm names one (else the output directory). */
  readonly hgrmDir?: string;
}

interface Entry {
  readonly description: string;
  /** The file this reporter writes (a pattern for hgrm's several); none for console output. */
  readonly file?: (setup: Pick<ReporterSetup, 'outDir' | 'baseName' | 'hgrmDir'>) => string;
  readonly create: (setup: ReporterSetup, file: string) => Reporter;
}

/** Reporters by name (vitest's idea): `--report terminal,json,junit,html,markdown,hgrm`. */
const REGISTRY = {
  terminal: {
    description: 'the full table of figures, in colour on a terminal',
    create: (s) => terminalReporter({ color: s.color, write: s.write, replay: s.replay, comparison: s.comparison, files: Object.values(s.files) }),
  },
  summary: {
    description: 'a compact plain summary, one line per model (the default when stdout is not a terminal)',
    create: (s) => summaryReporter({ color: s.color, write: s.write, replay: s.replay, comparison: s.comparison, files: Object.values(s.files) }),
  },
  json: {
    description: 'the full JSON report, with encoded histograms',
    file: (s) => join(s.outDir, `${s.baseName}.json`),
    create: (_s, file) => jsonReporter(file),
  },
  junit: {
    description: 'JUnit XML: a test case per consistency check, threshold and baseline figure',
    file: (s) => join(s.outDir, `${s.baseName}.junit.xml`),
    create: (s, file) => junitReporter(file, s.comparison),
  },
  html: {
    description: 'a self-contained HTML report with plots',
    file: (s) => join(s.outDir, `${s.baseName}.html`),
    create: (s, file) => htmlReporter(file, { comparison: s.comparison, replay: s.replay }),
  },
  markdown: {
    description: 'a Markdown summary for a pull-request comment',
    file: (s) => join(s.outDir, `${s.baseName}.md`),
    create: (s, file) => markdownReporter(file, { comparison: s.comparison, files: s.files, replay: s.replay }),
  },
  hgrm: {
    description: '.hgrm percentile distributions for HdrHistogram’s plotter, one per model and latency',
    // Several files: the pattern that names them all.
    file: (s) => join(s.hgrmDir ?? s.outDir, `${s.baseName}.*.hgrm`),
    create: (s) => hgrmReporter(s.hgrmDir ?? s.outDir, s.baseName),
  },
} as const satisfies Record<string, Entry>;

export type ReporterName = keyof typeof REGISTRY;
export const REPORTER_NAMES = Object.keys(REGISTRY) as ReporterName[];
export const CONSOLE_REPORTERS: readonly ReporterName[] = ['terminal', 'summary'];

export function isReporterName(name: string): name is ReporterName {
  return Object.hasOwn(REGISTRY, name);
}

/**
 * `terminal,json` → names. An unknown name is a usage error that lists the known ones; so is an
 * empty list (`--report=$UNSET` in a script would otherwise drop the files it meant to write),
 * and terminal with summary, which would both write to standard output.
 */
export function parseReporterList(value: string): ReporterName[] {
  const known = `--report takes a comma list of: ${REPORTER_NAMES.join(', ')}`;
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (names.length === 0) throw usageError('E_UNKNOWN_REPORTER', `--report names no reporter ("${value}")`, known);
  for (const n of names) {
    if (!isReporterName(n)) throw usageError('E_UNKNOWN_REPORTER', `unknown reporter "${n}"`, known);
  }
  const unique = [...new Set(names as ReporterName[])];
  if (CONSOLE_REPORTERS.every((n) => unique.includes(n))) {
    throw usageError('E_UNKNOWN_REPORTER', '--report names both terminal and summary: both write to standard output', 'name one of them');
  }
  return unique;
}

export function reporterFile(name: ReporterName, setup: Pick<ReporterSetup, 'outDir' | 'baseName' | 'hgrmDir'>): string | undefined {
  const entry: Entry = REGISTRY[name];
  return entry.file?.(setup);
}

export function createReporter(name: ReporterName, setup: ReporterSetup): Reporter {
  const entry: Entry = REGISTRY[name];
  return entry.create(setup, entry.file?.(setup) ?? '');
}

export function describeReporters(): string {
  return REPORTER_NAMES.map((n) => `${n}: ${REGISTRY[n].description}`).join('; ');
}
