import { usageError } from '../errors.js';
import type { LatencySummary } from './histogram.js';
import { checkedByOf, entriesCounted, FROM_ENTRIES, seedLabel, type Report, type RunReport } from './model.js';
import { shownValue } from './read-report.js';

/*
 * The baseline regression gate: figures of two reports, model by model, judged as regression,
 * improvement or same. Latency, load and lag figures get a noise allowance (relative, and
 * optionally absolute); correctness figures (duplicates, lost, consistency) are strict: any
 * increase is a regression, whatever the allowance.
 */

export type Better = 'lower' | 'higher' | 'neither';
export type Unit = 'ms' | 'per s' | 'count' | 'bool';
/**
 * only-baseline: the baseline measured it, the new run has no samples (no rollback timed out,
 * say): nothing to compare, not a failure. missing: the new report lacks the figure altogether,
 * so the gate cannot vouch for it: a failure. only-current: a figure new since the baseline.
 */
export type ChangeStatus = 'regression' | 'improvement' | 'same' | 'only-baseline' | 'only-current' | 'missing';

type Value = number | boolean | null;
/** undefined: the report does not have the figure at all (a section deleted, a field absent). */
type Read = Value | undefined;

interface FigureDef {
  /** As in thresholds: p99(ack.bet), duplicates, throughput.goodputPerSec. */
  readonly name: string;
  readonly unit: Unit;
  readonly better: Better;
  /** Any worsening is a regression, with no allowance. */
  readonly strict?: boolean;
  /** null: measured, but no number (an empty histogram); undefined: not in the report. */
  readonly read: (run: RunReport) => Read;
  /** The report fields it is read from, when not the one its name says (assertUsableBaseline checks their kind). */
  readonly fields?: readonly string[];
}

export interface Allowance {
  /** A worsening up to this percentage of the baseline is noise. */
  readonly pct: number;
  /** ...or up to this many units of the figure (ms, per s, count). */
  readonly abs: number;
}

export interface GateOptions {
  readonly allowance: Allowance;
  /** Per figure name, overriding the default allowance. */
  readonly perFigure: ReadonlyMap<string, Partial<Allowance>>;
}

export const DEFAULT_MAX_REGRESSION_PCT = 10;

export interface FigureChange {
  readonly model: string;
  readonly figure: string;
  readonly unit: Unit;
  readonly baseline: Value;
  readonly current: Value;
  /** current - baseline; null when either side has no number. */
  readonly delta: number | null;
  /** Relative to the baseline; null when the baseline is 0 or missing. */
  readonly deltaPct: number | null;
  readonly status: ChangeStatus;
  /** The allowance applied; null for strict and informational figures. */
  readonly allowance: Allowance | null;
  /** Correctness figures: any worsening is a regression. */
  readonly strict: boolean;
}

/** A model (figure undefined) or one model's figure that the new report lacks. */
export interface MissingFigure {
  readonly model: string;
  readonly figure?: string;
}

export interface Comparison {
  readonly baseline: { readonly file?: string; readonly scenario: string; readonly seed: string };
  readonly current: { readonly file?: string; readonly scenario: string; readonly seed: string };
  readonly models: readonly { readonly model: string; readonly status: 'compared' | 'only-baseline' | 'only-current' }[];
  readonly changes: readonly FigureChange[];
  readonly regressions: readonly FigureChange[];
  readonly improvements: readonly FigureChange[];
  /** What the baseline has and the new report lacks: models, then figures. Each fails the gate. */
  readonly missing: readonly MissingFigure[];
  /** Things a reader should know: a different scenario, a model on one side only. */
  readonly notes: readonly string[];
  readonly ok: boolean;
}

const latency = (pick: (l: RunReport['latency']) => LatencySummary | undefined, stat: keyof LatencySummary) => (run: RunReport): Read => {
  const s = pick(run.latency ?? ({} as RunReport['latency']));
  if (s === undefined || s === null || typeof s.count !== 'number') return undefined;
  // An empty histogram reports zeros: a figure nobody measured has no number, not 0 ms.
  if (s.count === 0) return null;
  return num(s[stat]);
};
/** What the run holds at a dotted path, whatever its kind; undefined where a part of the path is absent. */
const rawAt = (run: RunReport, path: string): unknown => {
  let v: unknown = run;
  for (const key of path.split('.')) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined;
  return v;
};
const field = (path: string) => (run: RunReport): Read => {
  const v = rawAt(run, path);
  return typeof v === 'number' || typeof v === 'boolean' ? v : undefined;
};
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
/** A figure counted from the wallet's entries: a run checked without them has none, so a baseline that had one finds it missing (the gate fails) instead of passing "the same". */
const fromEntries = (path: string) => (run: RunReport): Read => (entriesCounted(run) ? field(path)(run) : undefined);

/** The figures compared, in the order a reader wants them: correctness, latency, load, lag. */
export const FIGURES: readonly FigureDef[] = [
  { name: 'consistency.ok', unit: 'bool', better: 'higher', strict: true, read: field('consistency.ok') },
  { name: 'duplicates', unit: 'count', better: 'lower', strict: true, read: fromEntries('duplicates') },
  { name: 'lost', unit: 'count', better: 'lower', strict: true, read: fromEntries('lost') },
  { name: 'unexpected', unit: 'count', better: 'lower', strict: true, read: fromEntries('unexpected') },
  { name: 'refusedButApplied', unit: 'count', better: 'lower', strict: true, read: fromEntries('refusedButApplied') },
  { name: 'mismatches', unit: 'count', better: 'lower', strict: true, read: field('mismatches') },
  { name: 'negativeBalances', unit: 'count', better: 'lower', strict: true, read: field('negativeBalances') },
  { name: 'unrefundedRollbacks', unit: 'count', better: 'lower', strict: true, read: fromEntries('unrefundedRollbacks') },
  { name: 'consistency.balanceMismatches', unit: 'count', better: 'lower', strict: true, read: fromEntries('consistency.balanceMismatches') },
  { name: 'consistency.outOfBounds', unit: 'count', better: 'lower', strict: true, read: field('consistency.outOfBounds') },
  ...(['bet', 'win'] as const).flatMap((kind) =>
    (['p50', 'p99', 'p999'] as const).map((stat): FigureDef => ({
      name: `${statName(stat)}(ack.${kind})`,
      unit: 'ms',
      better: 'lower',
      read: latency((l) => l.ack?.[kind], stat),
      fields: [`latency.ack.${kind}.count`, `latency.ack.${kind}.${stat}`],
    })),
  ),
  { name: 'p99(ack.rollback)', unit: 'ms', better: 'lower', read: latency((l) => l.ack?.rollback, 'p99'), fields: ['latency.ack.rollback.count', 'latency.ack.rollback.p99'] },
  ...(['p50', 'p99', 'p999'] as const).map((stat): FigureDef => ({
    name: `${statName(stat)}(settlement)`,
    unit: 'ms',
    better: 'lower',
    read: latency((l) => l.settlement, stat),
    fields: ['latency.settlement.count', `latency.settlement.${stat}`],
  })),
  { name: 'throughput.goodputPerSec', unit: 'per s', better: 'higher', read: field('throughput.goodputPerSec') },
  { name: 'throughput.offeredPerSec', unit: 'per s', better: 'neither', read: field('throughput.offeredPerSec') },
  { name: 'timeouts', unit: 'count', better: 'lower', read: field('timeouts') },
  { name: 'retries', unit: 'count', better: 'lower', read: field('retries') },
  { name: 'lateRejections', unit: 'count', better: 'lower', read: field('lateRejections') },
  { name: 'failedEvents', unit: 'count', better: 'lower', read: field('failedEvents') },
  { name: 'maxQueueDepth', unit: 'count', better: 'lower', read: field('maxQueueDepth') },
  { name: 'maxLagMs', unit: 'ms', better: 'lower', read: field('maxLagMs') },
  // null: the run never converged, which is worse than any number.
  { name: 'convergenceMs', unit: 'ms', better: 'lower', read: (run) => (run.convergenceMs === null ? Infinity : num(run.convergenceMs)) },
];

function statName(stat: 'p50' | 'p99' | 'p999'): string {
  return stat === 'p999' ? 'p99.9' : stat;
}

export const FIGURE_NAMES: readonly string[] = FIGURES.map((f) => f.name);

// ---- options -------------------------------------------------------------------------------

/**
 * `--max-regression` values: `15%` sets the default allowance, `+2` a default absolute one (in
 * each figure's unit: ms, per s, count), `p99(ack.bet)=25%` or `timeouts=+5` one figure's. A
 * change is a regression when it exceeds both. Repeatable.
 */
export function parseMaxRegression(values: readonly string[]): GateOptions {
  let allowance: Allowance = { pct: DEFAULT_MAX_REGRESSION_PCT, abs: 0 };
  const perFigure = new Map<string, Partial<Allowance>>();
  for (const raw of values) {
    for (const part of raw.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      const eq = part.lastIndexOf('=');
      const figure = eq < 0 ? undefined : part.slice(0, eq).trim();
      const limit = parseLimit(eq < 0 ? part : part.slice(eq + 1).trim(), part);
      if (figure === undefined) {
        allowance = { ...allowance, ...limit };
        continue;
      }
      const def = FIGURES.find((f) => f.name === figure || f.name === figure.replace('p999(', 'p99.9('));
      if (def === undefined) {
        throw usageError('E_BAD_MAX_REGRESSION', `--max-regression: unknown figure "${figure}"`, `figures: ${FIGURE_NAMES.join(', ')}`);
      }
      if (def.strict) {
        throw usageError('E_BAD_MAX_REGRESSION', `--max-regression: ${def.name} has no allowance: any increase is a regression`, 'allowances apply to latency, load and lag figures');
      }
      perFigure.set(def.name, { ...perFigure.get(def.name), ...limit });
    }
  }
  return { allowance, perFigure };
}

function parseLimit(text: string, whole: string): Partial<Allowance> {
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(text);
  if (pct) return { pct: Number(pct[1]) };
  const abs = /^\+(\d+(?:\.\d+)?)$/.exec(text);
  if (abs) return { abs: Number(abs[1]) };
  throw usageError('E_BAD_MAX_REGRESSION', `--max-regression: cannot read "${whole}"`, 'write a percentage (10%), a figure and a percentage (p99(ack.bet)=25%), or an absolute allowance in the figure’s unit (timeouts=+5)');
}

// ---- comparison ----------------------------------------------------------------------------

export function compareReports(
  baseline: Report,
  current: Report,
  options: GateOptions = parseMaxRegression([]),
  files: { baseline?: string; current?: string } = {},
): Comparison {
  assertUsableBaseline(baseline, files.baseline);
  assertReadableCurrent(current, files.current);
  const notes: string[] = [];
  if (baseline.scenario.name !== current.scenario.name) {
    notes.push(`different scenarios: baseline ${baseline.scenario.name}, current ${current.scenario.name}`);
  }
  const models: { model: string; status: 'compared' | 'only-baseline' | 'only-current' }[] = [];
  const changes: FigureChange[] = [];
  for (const run of current.runs) {
    const old = baseline.runs.find((r) => r.model === run.model);
    if (old === undefined) {
      models.push({ model: run.model, status: 'only-current' });
      notes.push(`${run.model}: not in the baseline, nothing to compare`);
      continue;
    }
    models.push({ model: run.model, status: 'compared' });
    if (checkedByOf(run) === 'balances' && checkedByOf(old) !== 'balances') {
      notes.push(`${run.model}: checked by balances alone (the wallet has no audit endpoint), so ${FROM_ENTRIES.join(', ')} were not counted`);
    }
    for (const def of FIGURES) changes.push(judge(def, run.model, safeRead(def, old), safeRead(def, run), options));
  }
  for (const run of baseline.runs) {
    if (!current.runs.some((r) => r.model === run.model)) models.push({ model: run.model, status: 'only-baseline' });
  }
  const regressions = changes.filter((c) => c.status === 'regression');
  const missing: MissingFigure[] = [
    ...models.filter((m) => m.status === 'only-baseline').map((m) => ({ model: m.model })),
    ...changes.filter((c) => c.status === 'missing').map((c) => ({ model: c.model, figure: c.figure })),
  ];
  return {
    baseline: { file: files.baseline, scenario: baseline.scenario.name, seed: seedLabel(baseline) },
    current: { file: files.current, scenario: current.scenario.name, seed: seedLabel(current) },
    models,
    changes,
    regressions,
    improvements: changes.filter((c) => c.status === 'improvement'),
    missing,
    notes,
    // A gate that cannot see a figure the baseline had cannot say it did not regress.
    ok: regressions.length === 0 && missing.length === 0,
  };
}

/**
 * A baseline run with none of the figures would pass every figure of the new run as "new": a
 * gate that checks nothing. Refused as bad input instead (exit 2).
 */
export function assertUsableBaseline(baseline: Report, file = 'baseline'): void {
  const hint = 'use a JSON report written by walletstorm --json (or --report json) as the baseline';
  if (baseline.runs.length === 0) throw usageError('E_BASELINE_UNUSABLE', `baseline ${file} has no runs: there is nothing to compare with`, hint);
  for (const [i, run] of baseline.runs.entries()) {
    if (!FIGURES.some((def) => isNumberOrBool(safeRead(def, run)))) {
      throw usageError('E_BASELINE_UNUSABLE', `baseline ${file}: runs[${i}] (${run.model}) has none of the figures the gate compares (${FIGURE_NAMES.slice(0, 3).join(', ')}, …)`, hint);
    }
    const bad = unreadableFigure(run, i);
    if (bad !== undefined) {
      throw usageError(
        'E_BASELINE_UNUSABLE',
        `baseline ${file}: ${bad}`,
        'a baseline figure that cannot be read is not compared at all, and the gate would pass whatever the new report holds there; use the report as walletstorm wrote it (--json)',
      );
    }
  }
}

/**
 * The new report's side of unreadableFigure: a compared figure it holds as "0", null, a list or
 * 1e400 (Infinity) was read as absent, so diff said "missing in the new report" (exit 1), as if
 * walletstorm had not measured it, and not that the file was edited or damaged. Refused as bad
 * input (exit 2), naming the file, the run and the field. A figure truly absent stays missing (exit 1).
 */
function assertReadableCurrent(current: Report, file?: string): void {
  for (const [i, run] of current.runs.entries()) {
    const bad = unreadableFigure(run, i);
    if (bad === undefined) continue;
    throw usageError(
      'E_REPORT_INVALID',
      `${file === undefined ? 'new report' : `new report ${file}`}: ${bad}`,
      'use the report as walletstorm wrote it (--json): this one was edited or damaged (a figure left out is reported missing instead)',
    );
  }
}

/**
 * A compared figure that a report holds, but not as a finite number (or true or false): a
 * string "0", an overflowing 1e400 (Infinity), a list. Read as absent, it made the figure "new"
 * in the current report, so 5 duplicates or a p99 ten times over passed a baseline of 0. Absent
 * figures are fine (an older report), and so is a null convergenceMs (never converged). The
 * problem, for a message: where in the report, what it holds, what was expected.
 */
function unreadableFigure(run: RunReport, index: number): string | undefined {
  for (const def of FIGURES) {
    for (const path of def.fields ?? [def.name]) {
      const section = damagedSection(run, path);
      if (section !== undefined) return `runs[${index}] (${run.model}): ${section.path} is ${shownValue(section.value)}: expected an object`;
      const value = rawAt(run, path);
      if (value === undefined || (value === null && path === 'convergenceMs')) continue;
      if (def.unit === 'bool' ? typeof value === 'boolean' : typeof value === 'number' && Number.isFinite(value)) continue;
      const expected = def.unit === 'bool' ? 'true or false' : `a number${path === 'convergenceMs' ? ' or null (never converged)' : ''}`;
      return `runs[${index}] (${run.model}): ${path} is ${shownValue(value)}: expected ${expected}`;
    }
  }
  return undefined;
}

/**
 * A section on a figure's path that is there but is no object (`"latency": null`, a list, a
 * string): every figure under it read as absent, so a baseline compared none of them and the
 * gate passed whatever the new report held there. An absent section is an older report: fine.
 */
function damagedSection(run: RunReport, path: string): { path: string; value: unknown } | undefined {
  const keys = path.split('.').slice(0, -1);
  let v: unknown = run;
  for (const [i, key] of keys.entries()) {
    v = (v as Record<string, unknown>)[key];
    if (v === undefined) return undefined;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return { path: keys.slice(0, i + 1).join('.'), value: v };
  }
  return undefined;
}

const isNumberOrBool = (v: Read): boolean => typeof v === 'number' || typeof v === 'boolean';

function safeRead(def: FigureDef, run: RunReport): Read {
  try {
    return def.read(run);
  } catch {
    return undefined;
  }
}

function judge(def: FigureDef, model: string, baselineRead: Read, currentRead: Read, options: GateOptions): FigureChange {
  const baseline = baselineRead ?? null;
  const current = currentRead ?? null;
  const base = { model, figure: def.name, unit: def.unit, baseline, current, strict: def.strict === true };
  if (baselineRead !== undefined && currentRead === undefined) return { ...base, delta: null, deltaPct: null, status: 'missing', allowance: null };
  if (baseline === null || current === null || typeof baseline !== typeof current) {
    const status: ChangeStatus = baseline === null && current === null ? 'same' : baseline === null ? 'only-current' : 'only-baseline';
    return { ...base, delta: null, deltaPct: null, status, allowance: null };
  }
  if (typeof baseline === 'boolean' || typeof current === 'boolean') {
    const status: ChangeStatus = baseline === current ? 'same' : current === true ? 'improvement' : 'regression';
    return { ...base, delta: null, deltaPct: null, status, allowance: null };
  }
  const bothFinite = Number.isFinite(baseline) && Number.isFinite(current);
  const delta = bothFinite ? round(current - baseline) : null;
  const deltaPct = bothFinite && baseline !== 0 ? round((100 * (current - baseline)) / Math.abs(baseline)) : null;
  if (def.better === 'neither') return { ...base, delta, deltaPct, status: 'same', allowance: null };
  // Positive when the figure got worse, in the figure's own units.
  const worse = def.better === 'lower' ? current - baseline : baseline - current;
  if (baseline === current) return { ...base, delta, deltaPct, status: 'same', allowance: def.strict ? null : allowanceFor(def, options) };
  if (!bothFinite) return { ...base, delta, deltaPct, status: worse > 0 ? 'regression' : 'improvement', allowance: null };
  if (def.strict) return { ...base, delta, deltaPct, status: worse > 0 ? 'regression' : 'improvement', allowance: null };
  const allowance = allowanceFor(def, options);
  const slack = Math.max((allowance.pct / 100) * Math.abs(baseline), allowance.abs);
  const status: ChangeStatus = Math.abs(worse) <= slack ? 'same' : worse > 0 ? 'regression' : 'improvement';
  return { ...base, delta, deltaPct, status, allowance };
}

function allowanceFor(def: FigureDef, options: GateOptions): Allowance {
  return { ...options.allowance, ...options.perFigure.get(def.name) };
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

// ---- words shared by every renderer ----------------------------------------------------------

export function formatValue(v: Value, unit: Unit): string {
  if (v === null) return '-';
  if (typeof v === 'boolean') return v ? 'ok' : 'FAILED';
  if (!Number.isFinite(v)) return 'never';
  const n = Number.isInteger(v) ? v.toLocaleString('en-US') : v.toLocaleString('en-US', { maximumFractionDigits: 1 });
  return unit === 'ms' ? `${n} ms` : unit === 'per s' ? `${n}/s` : n;
}

export function formatDelta(c: FigureChange): string {
  if (c.delta === null) return '';
  const sign = c.delta > 0 ? '+' : '';
  const pct = c.deltaPct === null ? '' : ` (${c.deltaPct > 0 ? '+' : ''}${c.deltaPct.toLocaleString('en-US', { maximumFractionDigits: 1 })}%)`;
  return `${sign}${formatValue(c.delta, c.unit)}${pct}`;
}

/** `missing in the new report: hybrid` or `... : request consistency.ok`, in every output. */
export function describeMissing(m: MissingFigure): string {
  return `missing in the new report: ${m.figure === undefined ? m.model : `${m.model} ${m.figure}`}`;
}

/** One line that names the figure, both values, the change and what was allowed. */
export function describeChange(c: FigureChange): string {
  return `${c.model}: ${c.figure} ${describeValues(c)}`;
}

/** Both values, the change and what was allowed: `20.8 ms → 35.1 ms (+14.3 ms (+68.8%), allowed 10%)`. */
export function describeValues(c: FigureChange): string {
  const parts: string[] = [];
  if (c.delta !== null) parts.push(`${c.delta > 0 ? '+' : ''}${formatValue(c.delta, c.unit)}`);
  if (c.deltaPct !== null) parts.push(`${c.deltaPct > 0 ? '+' : ''}${c.deltaPct.toLocaleString('en-US', { maximumFractionDigits: 1 })}%`);
  if (c.status === 'regression' && c.allowance !== null) {
    parts.push(`allowed ${c.allowance.pct}%${c.allowance.abs > 0 ? ` or ${formatValue(c.allowance.abs, c.unit)}` : ''}`);
  } else if (c.status === 'regression' && c.strict && c.unit !== 'bool') {
    parts.push('no increase allowed');
  }
  return `${formatValue(c.baseline, c.unit)} → ${formatValue(c.current, c.unit)}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}
