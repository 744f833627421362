import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { usageError } from '../errors.js';
import type { Report } from './model.js';

/**
 * Reads a JSON report written by walletstorm (any version): enough shape is checked that the
 * diff and merge code can trust `runs`; individual figures may still be missing. diff reads them
 * defensively (a figure the baseline has and the new report lacks fails the gate); merge checks
 * the sections it adds up and refuses a run without one (E_REPORT_INVALID).
 */
export function readReport(file: string): Report {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw usageError('E_REPORT_UNREADABLE', `cannot read report ${file}: ${code ?? (e as Error).message}`, 'pass a JSON report written with --json or --report json');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw usageError('E_REPORT_INVALID', `${file} is not JSON: ${(e as Error).message}`, 'pass a JSON report written with --json or --report json');
  }
  const r = parsed as Partial<Report> | null;
  if (r === null || typeof r !== 'object' || r.tool?.name !== 'walletstorm' || !Array.isArray(r.runs) || typeof r.scenario?.name !== 'string') {
    throw usageError('E_REPORT_INVALID', `${file} is not a walletstorm report (expected tool.name "walletstorm", scenario and runs)`, 'pass a JSON report written with --json or --report json');
  }
  for (const [i, run] of r.runs.entries()) {
    if (run === null || typeof run !== 'object' || typeof run.model !== 'string') {
      throw usageError('E_REPORT_INVALID', `${file}: runs[${i}] has no model name`, 'pass a JSON report written with --json or --report json');
    }
  }
  return r as Report;
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
  const value = issue.path.reduce<unknown>((at, k) => (at === null || typeof at !== 'object' ? undefined : (at as Record<PropertyKey, unknown>)[k]), input);
  if (value === undefined) return `${where} has no ${path}`;
  const shown = JSON.stringify(value);
  return `${where}: ${path} is ${shown.length > 40 ? `${shown.slice(0, 39)}…` : shown}: expected ${issue.message}`;
}
