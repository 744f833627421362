import { RESULT_CODES, type ResultCode } from '../domain/results.js';
import { EXIT, WalletstormError } from '../errors.js';
import type { LatencySummary } from './histogram.js';
import { entriesCounted, FROM_ENTRIES, type KafkaRunReport, type RunReport, type SendsReport } from './model.js';

/*
 * k6-style thresholds: one comparison over one run's report, so a CI pipeline can gate on it.
 *
 *   threshold = metric [ op literal ]          (no op only for a boolean metric: "is true")
 *   metric    = stat "(" latency ")" | "rate" "(" field ")" | field
 *   stat      = "p50" | "p90" | "p99" | "p99.9" | "p999" | "max" | "count"
 *   latency   = "ack.bet" | "ack.win" | "ack.rollback" | "settlement" | "attempt"
 *   field     = a dotted path from THRESHOLD_FIELDS, e.g. duplicates, consistency.ok, results.OK
 *   op        = "<" | "<=" | ">" | ">=" | "==" | "!="
 *   literal   = number | "true" | "false"
 *
 * Whitespace is allowed between tokens. Latencies are in milliseconds, as in the report.
 */

export type ComparisonOp = '<' | '<=' | '>' | '>=' | '==' | '!=';
export type FieldKind = 'number' | 'boolean';
export type LatencyName = (typeof LATENCY_NAMES)[number];
export type FieldPath = keyof FieldKinds | `results.${ResultCode}`;

export type Metric =
  | { readonly kind: 'latency'; readonly stat: keyof LatencySummary; readonly latency: LatencyName }
  /** A field divided by operations.attempts: "per attempt", as in rate(timeouts). */
  | { readonly kind: 'rate'; readonly path: FieldPath }
  | { readonly kind: 'field'; readonly path: FieldPath };

export interface Threshold {
  /** As written (trimmed), so a reader can find it in their config. */
  readonly expression: string;
  readonly metric: Metric;
  readonly op: ComparisonOp;
  readonly target: number | boolean;
}

export interface ThresholdResult {
  readonly expression: string;
  /** Canonical name of the metric, e.g. `p99.9(settlement)`, whatever spelling was used. */
  readonly metric: string;
  /** null: the run has no such value (never converged, no samples, no attempts); it fails. */
  readonly value: number | boolean | null;
  readonly ok: boolean;
}

export class ThresholdError extends WalletstormError {
  constructor(
    readonly expression: string,
    /** 0-based index into the expression of the character at fault. */
    readonly column: number,
    readonly reason: string,
  ) {
    super('E_THRESHOLD_INVALID', formatError(expression, column, reason), EXIT.invalidInput, HINT);
    this.name = 'ThresholdError';
  }
}

const HINT = 'a threshold compares one metric with a number, e.g. p99(ack.bet)<250, duplicates==0, consistency.ok';

// ---- what can be addressed -----------------------------------------------------------------

export const LATENCY_NAMES = ['ack.bet', 'ack.win', 'ack.rollback', 'settlement', 'attempt'] as const;

const LATENCIES: Readonly<Record<LatencyName, (latency: RunReport['latency']) => LatencySummary>> = {
  'ack.bet': (l) => l.ack.bet,
  'ack.win': (l) => l.ack.win,
  'ack.rollback': (l) => l.ack.rollback,
  settlement: (l) => l.settlement,
  attempt: (l) => l.attempt,
};

/** Both spellings of the 99.9th percentile are accepted; the report field is p999. */
const STATS = {
  p50: 'p50',
  p90: 'p90',
  p99: 'p99',
  'p99.9': 'p999',
  p999: 'p999',
  max: 'max',
  count: 'count',
} as const satisfies Record<string, keyof LatencySummary>;

export const THRESHOLD_FUNCTIONS: readonly string[] = [...Object.keys(STATS), 'rate'];

/**
 * Every numeric or boolean leaf of RunReport, as the compiler sees it. The table below must
 * list exactly these with the right kind, so a field added to the report breaks the build here
 * instead of silently being unaddressable. Latencies have functions, results are per code, and
 * phases are a list: none of them are plain fields.
 */
type Leaves<T, Prefix extends string> = {
  [K in keyof T & string]: NonNullable<T[K]> extends boolean
    ? { path: `${Prefix}${K}`; kind: 'boolean' }
    : NonNullable<T[K]> extends number
      ? { path: `${Prefix}${K}`; kind: 'number' }
      : NonNullable<T[K]> extends readonly unknown[]
        ? never
        : NonNullable<T[K]> extends object
          ? Leaves<NonNullable<T[K]>, `${Prefix}${K}.`>
          : never;
}[keyof T & string];
/** The real world's sends figures are fields; their latency is a histogram summary, not one. */
type Addressable = Omit<RunReport, 'latency' | 'results' | 'phases' | 'series' | 'thresholds' | 'sends' | 'kafka'> & {
  readonly sends?: Omit<SendsReport, 'latency'>;
  readonly kafka?: Omit<KafkaRunReport, 'brokers' | 'topics' | 'producer' | 'producerGaps' | 'consumerLag'>;
};
type Leaf = Leaves<Addressable, ''>;
type FieldKinds = { readonly [L in Leaf as L['path']]: L['kind'] };

const FIELD_KINDS = {
  completed: 'boolean',
  trafficMs: 'number',
  endMs: 'number',
  'operations.logical': 'number',
  'operations.attempts': 'number',
  'operations.acknowledged': 'number',
  'operations.failed': 'number',
  'operations.indeterminate': 'number',
  'operations.byKind.bet': 'number',
  'operations.byKind.win': 'number',
  'operations.byKind.rollback': 'number',
  'throughput.offeredPerSec': 'number',
  'throughput.goodputPerSec': 'number',
  retries: 'number',
  timeouts: 'number',
  lateAnswers: 'number',
  replays: 'number',
  'faults.responsesLost': 'number',
  'faults.betsDelayed': 'number',
  'faults.redeliveries': 'number',
  'faults.consumerCrashes': 'number',
  'faults.rebalances': 'number',
  'faults.hotPlayerRounds': 'number',
  'faults.roundsCancelled': 'number',
  duplicates: 'number',
  duplicateMinorUnits: 'number',
  unrefundedRollbacks: 'number',
  lost: 'number',
  unexpected: 'number',
  refusedButApplied: 'number',
  mismatches: 'number',
  negativeBalances: 'number',
  lateRejections: 'number',
  failedEvents: 'number',
  unsettled: 'number',
  maxQueueDepth: 'number',
  maxLagMs: 'number',
  maxLagRecords: 'number',
  convergenceMs: 'number',
  'consistency.ok': 'boolean',
  'consistency.balanceMismatches': 'number',
  'consistency.outOfBounds': 'number',
  'consistency.conservation.ok': 'boolean',
  'consistency.conservation.initialMinorUnits': 'number',
  'consistency.conservation.finalMinorUnits': 'number',
  'consistency.refusalsVisible': 'boolean',
  interrupted: 'boolean',
  'sends.connections': 'number',
  'sends.sent': 'number',
  'sends.late': 'number',
  'sends.dropped': 'number',
  'sends.responsesLost': 'number',
  'sends.aborted': 'number',
  'sends.refused': 'number',
  'sends.socketErrors': 'number',
  'sends.unreadable': 'number',
  'kafka.partitions': 'number',
  'kafka.produced': 'number',
  'kafka.producedTwice': 'number',
  'kafka.produceFailed': 'number',
  'kafka.produceRequestsFailed': 'number',
  'kafka.longestGapMs': 'number',
  'kafka.resultsRead': 'number',
  'kafka.resultReplays': 'number',
  'kafka.resultsConsumerRestarts': 'number',
  'kafka.deadLetters': 'number',
  'kafka.maxConsumerLagRecords': 'number',
} as const satisfies FieldKinds;

const FIELDS: ReadonlyMap<FieldPath, FieldKind> = new Map<FieldPath, FieldKind>([
  ...(Object.entries(FIELD_KINDS) as [keyof FieldKinds, FieldKind][]),
  ...RESULT_CODES.map((code) => [`results.${code}`, 'number'] as const),
]);

/** Every field a threshold can name, for help texts and docs. */
export const THRESHOLD_FIELDS: readonly { readonly path: FieldPath; readonly kind: FieldKind }[] = [...FIELDS].map(
  ([path, kind]) => ({ path, kind }),
);

// ---- parsing -------------------------------------------------------------------------------

const OPS: readonly string[] = ['<', '<=', '>', '>=', '==', '!='];
const WORD = /[A-Za-z_][A-Za-z0-9_.]*/y;
const OP_CHARS = /[<>=!]+/y;
const NUMBER = /-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const BOOLEAN = /(?:true|false)(?![A-Za-z0-9_.])/y;
const LITERAL_ISH = /[^\s<>=!()]+/y;

/** Where the parser stands in the source; the only mutable state of a parse. */
interface Cursor {
  readonly source: string;
  pos: number;
}

interface ParsedMetric {
  readonly metric: Metric;
  readonly kind: FieldKind;
}

export function parseThreshold(source: string): Threshold {
  const at: Cursor = { source, pos: 0 };
  skipSpaces(at);
  if (atEnd(at)) fail(at, at.pos, 'empty threshold: expected a metric such as p99(ack.bet)');
  const { metric, kind } = parseMetric(at);
  const { op, target } = parseComparison(at, metric, kind);
  skipSpaces(at);
  if (!atEnd(at)) fail(at, at.pos, `unexpected "${source.slice(at.pos).trimEnd()}" after the comparison (one comparison per threshold)`);
  return { expression: source.trim(), metric, op, target };
}

function parseMetric(at: Cursor): ParsedMetric {
  const start = at.pos;
  const word = matchWord(at);
  if (word === undefined) fail(at, start, 'expected a metric such as p99(ack.bet) or duplicates');
  skipSpaces(at);
  if (at.source[at.pos] === '(') return parseCall(at, word, start);
  const path = fieldPath(at, word, start);
  return { metric: { kind: 'field', path }, kind: FIELDS.get(path)! };
}

function parseCall(at: Cursor, name: string, nameStart: number): ParsedMetric {
  if (name !== 'rate' && !isStat(name)) {
    fail(at, nameStart, `unknown function "${name}" (known: ${THRESHOLD_FUNCTIONS.join(', ')})`);
  }
  at.pos++; // the "("
  skipSpaces(at);
  const argStart = at.pos;
  const arg = matchWord(at);
  if (arg === undefined) fail(at, argStart, name === 'rate' ? 'expected a field such as timeouts' : `expected a latency (${LATENCY_NAMES.join(', ')})`);
  const metric = name === 'rate' ? rateMetric(at, arg, argStart) : latencyMetric(at, name, arg, argStart);
  skipSpaces(at);
  if (at.source[at.pos] !== ')') fail(at, at.pos, `expected ")" to close ${name}(`);
  at.pos++;
  return { metric, kind: 'number' };
}

function latencyMetric(at: Cursor, name: keyof typeof STATS, arg: string, argStart: number): Metric {
  if (!isLatencyName(arg)) fail(at, argStart, `unknown latency "${arg}" (known: ${LATENCY_NAMES.join(', ')})`);
  return { kind: 'latency', stat: STATS[name], latency: arg };
}

function rateMetric(at: Cursor, arg: string, argStart: number): Metric {
  const path = fieldPath(at, arg, argStart);
  if (FIELDS.get(path) !== 'number') fail(at, argStart, `rate() needs a numeric field, and "${arg}" is true or false`);
  return { kind: 'rate', path };
}

function fieldPath(at: Cursor, word: string, start: number): FieldPath {
  if (FIELDS.has(word as FieldPath)) return word as FieldPath;
  if (isLatencyName(word)) fail(at, start, `"${word}" is a latency: apply a function, e.g. p99(${word})`);
  if (isStat(word) || word === 'rate') fail(at, start, `"${word}" is a function: write ${word}(...)`);
  const near = suggestions(word);
  fail(at, start, `unknown field "${word}"${near.length > 0 ? ` (did you mean ${near.join(', ')}?)` : ''}`);
}

function parseComparison(at: Cursor, metric: Metric, kind: FieldKind): { op: ComparisonOp; target: number | boolean } {
  skipSpaces(at);
  // A bare boolean reads as a claim: `consistency.ok` means it must be true.
  if (atEnd(at) && kind === 'boolean') return { op: '==', target: true };
  const opStart = at.pos;
  const op = match(at, OP_CHARS);
  if (op === undefined) fail(at, opStart, `missing operator after ${formatMetric(metric)} (use one of ${OPS.join(' ')})`);
  if (!OPS.includes(op)) fail(at, opStart, `unknown operator "${op}" (use one of ${OPS.join(' ')})`);
  if (kind === 'boolean' && op !== '==' && op !== '!=') fail(at, opStart, `${formatMetric(metric)} is true or false: compare it with == or !=`);
  skipSpaces(at);
  const target = parseLiteral(at, metric, kind);
  return { op: op as ComparisonOp, target };
}

function parseLiteral(at: Cursor, metric: Metric, kind: FieldKind): number | boolean {
  const start = at.pos;
  const bool = match(at, BOOLEAN);
  if (bool !== undefined) {
    if (kind !== 'boolean') fail(at, start, `${formatMetric(metric)} is a number and cannot be compared with ${bool}`);
    return bool === 'true';
  }
  const number = match(at, NUMBER);
  const token = peek(at, start, LITERAL_ISH) ?? '';
  if (number === undefined) fail(at, start, atEnd(at) ? 'expected a number, true or false' : `expected a number, true or false, got "${token}"`);
  // "250ms" or "1.2.3": point at where the number stops making sense.
  if (/[A-Za-z0-9_.]/.test(at.source[at.pos] ?? '')) fail(at, at.pos, `bad number "${token}" (write a plain number; latencies are in ms)`);
  const value = Number(number);
  if (!Number.isFinite(value)) fail(at, start, `bad number "${number}" (too large)`);
  if (kind !== 'number') fail(at, start, `${formatMetric(metric)} is true or false and cannot be compared with ${number}`);
  return value;
}

function skipSpaces(at: Cursor): void {
  while (at.pos < at.source.length && /\s/.test(at.source[at.pos]!)) at.pos++;
}

function atEnd(at: Cursor): boolean {
  return at.pos >= at.source.length;
}

/** Consumes the sticky pattern at the cursor, or leaves the cursor where it was. */
function match(at: Cursor, pattern: RegExp): string | undefined {
  const found = peek(at, at.pos, pattern);
  if (found !== undefined) at.pos += found.length;
  return found;
}

/**
 * A name (metric, function, latency), refused where it runs into a character no name holds:
 * "ack.bé" would otherwise be read as "ack.b" and reported unknown, with the caret at its start.
 */
function matchWord(at: Cursor): string | undefined {
  const word = match(at, WORD);
  const next = at.source.codePointAt(at.pos);
  if (word !== undefined && next !== undefined && /[^\s<>=!()]/u.test(String.fromCodePoint(next))) {
    fail(at, at.pos, `"${String.fromCodePoint(next)}" cannot be part of a name (names are ASCII letters, digits, _ and .)`);
  }
  return word;
}

function peek(at: Cursor, pos: number, pattern: RegExp): string | undefined {
  pattern.lastIndex = pos;
  return pattern.exec(at.source)?.[0];
}

function fail(at: Cursor, column: number, reason: string): never {
  throw new ThresholdError(at.source, column, reason);
}

function formatError(expression: string, column: number, reason: string): string {
  // Tabs and newlines would shift the caret; every character stays one column wide.
  const shown = expression.replace(/\s/g, ' ');
  // One column per code point, not per UTF-16 unit: an emoji before the fault is one character.
  // Quoted as JSON: a newline in the expression (a YAML block scalar) broke the first line in two.
  return `invalid threshold ${JSON.stringify(expression)}: ${reason}\n  ${shown}\n  ${' '.repeat([...expression.slice(0, column)].length)}^`;
}

/** Own keys only: `toString` is not a percentile. */
function isStat(word: string): word is keyof typeof STATS {
  return Object.hasOwn(STATS, word);
}

function isLatencyName(word: string): word is LatencyName {
  return (LATENCY_NAMES as readonly string[]).includes(word);
}

/** Fields that end in the word given (`ok`), or are a typo or two away from it. */
function suggestions(word: string): string[] {
  const known = [...FIELDS.keys()];
  return known.filter((path) => path.endsWith(`.${word}`) || editDistance(path, word) <= 2).slice(0, 3);
}

export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

// ---- evaluation ----------------------------------------------------------------------------

export function evaluateThresholds(thresholds: readonly Threshold[], run: RunReport): ThresholdResult[] {
  return thresholds.map((threshold) => evaluateThreshold(threshold, run));
}

function evaluateThreshold(threshold: Threshold, run: RunReport): ThresholdResult {
  const value = readMetric(threshold.metric, run);
  const ok = value !== null && compare(value, threshold.op, threshold.target);
  return { expression: threshold.expression, metric: formatMetric(threshold.metric), value, ok };
}

/**
 * A threshold's value as the output shows it: with "ms" where the metric is a time (a latency
 * percentile or max, a field named …Ms), as the figures beside it are; the report keeps the number.
 */
export function formatThresholdValue(metric: string, value: number | boolean | null): string {
  if (value === null || typeof value === 'boolean') return String(value);
  const time = /^(p\d+(\.\d+)?|max)\(/.test(metric) || /Ms$/.test(metric);
  return time ? `${value} ms` : String(value);
}

export function formatMetric(metric: Metric): string {
  if (metric.kind === 'field') return metric.path;
  if (metric.kind === 'rate') return `rate(${metric.path})`;
  return `${metric.stat === 'p999' ? 'p99.9' : metric.stat}(${metric.latency})`;
}

function readMetric(metric: Metric, run: RunReport): number | boolean | null {
  if (metric.kind === 'field') return readField(run, metric.path);
  if (metric.kind === 'rate') return readRate(run, metric.path);
  const summary = LATENCIES[metric.latency](run.latency);
  // An empty histogram reports zeros; a gate must not pass on latencies nobody measured.
  if (metric.stat !== 'count' && summary.count === 0) return null;
  return summary[metric.stat];
}

function readRate(run: RunReport, path: FieldPath): number | null {
  const value = readField(run, path);
  // No attempts, no rate: null fails the gate rather than dividing by zero.
  if (typeof value !== 'number' || run.operations.attempts === 0) return null;
  return value / run.operations.attempts;
}

function readField(run: RunReport, path: FieldPath): number | boolean | null {
  // A 0 nobody counted (a wallet checked by balances alone, or not read): the gate cannot be checked.
  if (!entriesCounted(run) && FROM_ENTRIES.includes(path)) return null;
  let value: unknown = run;
  for (const key of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[key];
  // The report leaves out result codes that never occurred: absent means none.
  if (value === undefined && path.startsWith('results.')) return 0;
  // A simulated run sends nothing late, drops nothing and is never interrupted.
  if (value === undefined && path.startsWith('sends.')) return 0;
  // Nor does anything go over Kafka in a run that has no broker.
  if (value === undefined && path.startsWith('kafka.')) return 0;
  if (value === undefined && path === 'interrupted') return false;
  // The simulator sees every settlement, refused ones too.
  if (value === undefined && path === 'consistency.refusalsVisible') return true;
  return typeof value === 'number' || typeof value === 'boolean' ? value : null;
}

function compare(value: number | boolean, op: ComparisonOp, target: number | boolean): boolean {
  if (op === '==') return value === target;
  if (op === '!=') return value !== target;
  if (typeof value !== 'number' || typeof target !== 'number') return false;
  if (op === '<') return value < target;
  if (op === '<=') return value <= target;
  if (op === '>') return value > target;
  return value >= target;
}
