import type { z } from 'zod';
import { usageError } from '../errors.js';
import { readAtMost } from '../util/read-bounded.js';
import type { Report, RunReport } from './model.js';

const HINT = 'pass a JSON report written with --json or --report json';

/**
 * Reads a JSON report written by walletstorm (any version): enough shape is checked that the
 * diff and merge code can trust `runs` (one per model, no figure below 0); individual figures
 * may still be missing or of another kind. diff judges them itself (a figure the baseline has and
 * the new report lacks fails the gate; one either holds but cannot be read is refused); merge
 * checks the sections it adds up and refuses a run without one (E_REPORT_INVALID).
 */
export function readReport(file: string): Report {
  const text = readText(file);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw usageError('E_REPORT_INVALID', `${file} is not JSON: ${oneLine((e as Error).message)}`, HINT);
  }
  const r = parsed as Partial<Report> | null;
  if (r === null || typeof r !== 'object' || r.tool?.name !== 'walletstorm' || !Array.isArray(r.runs) || typeof r.scenario?.name !== 'string') {
    throw usageError('E_REPORT_INVALID', `${file} is not a walletstorm report (expected tool.name "walletstorm", scenario and runs)`, HINT);
  }
  for (const [i, run] of r.runs.entries()) {
    if (run === null || typeof run !== 'object' || typeof run.model !== 'string') {
      throw usageError('E_REPORT_INVALID', `${file}: runs[${i}] has no model name`, HINT);
    }
    refuseSecondRun(file, r.runs, i);
    refuseNegativeFigure(file, run, i);
  }
  return r as Report;
}

/**
 * JSON.parse quotes the start of the text as it is: a scenario passed by mistake ("name: x" and a
 * newline) would break the message over two lines, its second without the error's prefix.
 */
function oneLine(message: string): string {
  return message.replace(/\r/g, '\\r').replace(/\n/g, '\\n');
}

function readText(file: string): string {
  let bytes: Buffer | undefined;
  try {
    bytes = readAtMost(file, MAX_REPORT_BYTES);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw usageError('E_REPORT_UNREADABLE', `cannot read report ${file}: ${code ?? (e as Error).message}`, HINT);
  }
  if (bytes === undefined) throw usageError('E_REPORT_INVALID', `${file} is over ${MAX_REPORT_BYTES / 1024 / 1024} MiB: not a report walletstorm writes`, HINT);
  return bytes.toString('utf8');
}

/**
 * A report grows by some 300 bytes per model and second of run (its per-second intervals): this
 * holds about three days of all three models. Parsing much more would take gigabytes.
 */
const MAX_REPORT_BYTES = 256 * 1024 * 1024;

/** diff pairs runs by model and merge adds them by position: a second run of a model would be ignored by one and added to the first by the other. */
function refuseSecondRun(file: string, runs: readonly RunReport[], index: number): void {
  const first = runs.findIndex((r) => r.model === runs[index]!.model);
  if (first === index) return;
  throw usageError('E_REPORT_INVALID', `${file}: runs[${index}] is a second run of model ${runs[index]!.model} (runs[${first}] is the first)`, 'a report holds one run per model, as walletstorm writes it');
}

const LATENCIES = ['latency.ack.bet', 'latency.ack.win', 'latency.ack.rollback', 'latency.attempt', 'latency.settlement'];
/**
 * The figures diff compares and merge adds up that no run can have below 0. A negative one reads
 * as an improvement in diff (p99 -3 ms beats any wallet) and hides duplicates of another part in
 * merge. Conservation balances are left out: a wallet can lose money.
 */
const NON_NEGATIVE = [
  ...['duplicates', 'lost', 'unexpected', 'refusedButApplied', 'mismatches', 'negativeBalances', 'unrefundedRollbacks', 'consistency.balanceMismatches', 'consistency.outOfBounds'],
  ...LATENCIES.flatMap((l) => ['count', 'p50', 'p90', 'p99', 'p999', 'max'].map((stat) => `${l}.${stat}`)),
  ...['throughput.goodputPerSec', 'throughput.offeredPerSec', 'timeouts', 'retries', 'lateRejections', 'failedEvents', 'maxQueueDepth', 'maxLagMs', 'convergenceMs'],
];

/** Only numbers: a figure absent or of another kind is one the report lacks, which diff judges itself. */
function refuseNegativeFigure(file: string, run: RunReport, index: number): void {
  for (const path of NON_NEGATIVE) {
    const value = valueAt(run, path.split('.'));
    if (typeof value === 'number' && value < 0) {
      throw usageError('E_REPORT_INVALID', `${file}: runs[${index}] (${run.model}): ${path} is ${value}: expected a number, 0 or more`, 'pass a JSON report as walletstorm wrote it (--json); this one was edited');
    }
  }
}

/** What a type problem expects, in words, where the schema gave no words of its own. */
const EXPECTED: Readonly<Record<string, string>> = { object: 'an object', array: 'a list', string: 'a text', boolean: 'true or false', number: 'a number' };

/** The per-parse error map: leaves carry their own words, containers get these. */
export const expectedInWords = (issue: { code: string; expected?: string }): string | undefined =>
  issue.code === 'invalid_type' && issue.expected !== undefined ? (EXPECTED[issue.expected] ?? `a ${issue.expected}`) : undefined;

/**
 * The first problem zod found, as a reader fixes it: `has no series` when the field is absent
 * (cut where the report stops, not at `series.intervalMs`), `duplicates is -5: expected ...`
 * when it is there but wrong.
 */
export function describeProblem(where: string, input: unknown, issues: readonly z.core.$ZodIssue[]): string {
  const issue = issues[0]!;
  const path = issue.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('').slice(1);
  const value = valueAt(input, issue.path);
  if (value === undefined) return `${where} has no ${path}`;
  return `${where}: ${path} is ${shownValue(value)}: expected ${issue.message}`;
}

/** A value as a report holds it, for a message: a number as itself (1e400 is Infinity, which JSON writes as null), long ones cut. */
export function shownValue(value: unknown): string {
  const text = typeof value === 'number' ? String(value) : JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((at, k) => (at === null || typeof at !== 'object' ? undefined : (at as Record<PropertyKey, unknown>)[k]), input);
}
