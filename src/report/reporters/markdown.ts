import { basename, dirname, relative } from 'node:path';
import { describeMissing, describeValues, formatDelta, formatValue, type Comparison, type FigureChange } from '../diff.js';
import { entriesCounted, seedLabel, type Report, type RunReport } from '../model.js';
import { endProblem, neverConverged } from '../run-end.js';
import { formatThresholdValue } from '../thresholds.js';
import type { Reporter } from '../reporter.js';
import { writeFileAtomic } from './json.js';

export interface MarkdownOptions {
  readonly comparison?: Comparison;
  /** The other files of this run, by reporter name, linked at the end. */
  readonly files?: Readonly<Record<string, string>>;
  readonly replay?: string;
}

/** A summary short enough for a pull-request comment: verdicts, a compact table, links. */
export function markdownReporter(file: string, options: MarkdownOptions = {}): Reporter {
  return {
    name: 'markdown',
    onReport(report) {
      writeFileAtomic(file, renderMarkdown(report, { ...options, linkFrom: dirname(file) }));
    },
  };
}

const LINK_NAMES: Readonly<Record<string, string>> = { html: 'HTML report', json: 'JSON report', junit: 'JUnit XML' };

export function renderMarkdown(report: Report, options: MarkdownOptions & { linkFrom?: string } = {}): string {
  const { comparison } = options;
  const failures = failureLines(report, comparison);
  const out = [`### walletstorm · ${cell(report.scenario.name)} · ${seedLabel(report)}`, ''];
  out.push(failures.length === 0 ? `**✅ passed**: ${passLine(report, comparison)}` : `**❌ failed**`);
  for (const f of failures) out.push(`- ${f}`);
  out.push('', `| | ${report.runs.map((r) => cell(r.model)).join(' | ')} |`, `|---|${report.runs.map(() => '---:').join('|')}|`);
  for (const [label, value] of ROWS) out.push(`| ${label} | ${report.runs.map((r) => cell(value(r))).join(' | ')} |`);
  if (comparison !== undefined) out.push('', ...comparisonSection(comparison));
  const thresholds = report.runs.flatMap((r) => (r.thresholds ?? []).map((t) => `${t.ok ? '✅' : '❌'} ${r.model}: \`${t.expression}\` (${t.metric} = ${t.value ?? 'no value'})`));
  if (thresholds.length > 0) out.push('', '**Thresholds**', '', ...thresholds.map((t) => `- ${t}`));
  const links = Object.entries(options.files ?? {})
    .filter(([name]) => name in LINK_NAMES)
    .map(([name, path]) => `[${LINK_NAMES[name]}](${encodeURI(options.linkFrom === undefined ? basename(path) : relative(options.linkFrom, path) || basename(path))})`);
  if (links.length > 0) out.push('', links.join(' · '));
  if (options.replay) out.push('', `<sub>replay: \`${options.replay}\`</sub>`);
  return `${out.join('\n')}\n`;
}

function failureLines(report: Report, comparison: Comparison | undefined): string[] {
  const lines: string[] = [];
  for (const r of report.runs) {
    if (!r.consistency.ok) lines.push(`${r.model}: consistency check failed${r.consistency.problems[0] ? `: ${cell(r.consistency.problems[0])}` : ''}`);
    else if (endProblem(r) !== undefined) lines.push(`${r.model}: ${endProblem(r)}`);
    for (const t of r.thresholds ?? []) if (!t.ok) lines.push(`${r.model}: threshold \`${t.expression}\` failed (${t.metric} = ${t.value === null ? 'no value' : formatThresholdValue(t.metric, t.value)})`);
  }
  for (const m of comparison?.missing ?? []) lines.push(cell(describeMissing(m)));
  for (const c of comparison?.regressions ?? []) lines.push(`regression: **${cell(c.model)} ${cell(c.figure)}** ${cell(describeValues(c))}`);
  return lines;
}

function passLine(report: Report, comparison: Comparison | undefined): string {
  const base = `${report.runs.length} model${report.runs.length === 1 ? '' : 's'} consistent`;
  if (comparison === undefined) return base;
  return `${base}, no regression against the baseline (${comparison.improvements.length} improved)`;
}

function comparisonSection(c: Comparison): string[] {
  const changed = c.changes.filter((x) => x.status !== 'same');
  const head = `**Baseline** ${c.baseline.file === undefined ? '' : `\`${basename(c.baseline.file)}\` `}(${c.baseline.seed}): ${c.changes.length} figures compared, ${c.regressions.length} regressed, ${c.improvements.length} improved${c.missing.length > 0 ? `, ${c.missing.length} missing` : ''}`;
  const out = [head];
  if (changed.length > 0) {
    out.push('', '| model | figure | baseline | now | change | verdict |', '|---|---|---:|---:|---:|---|');
    for (const x of changed) out.push(`| ${cell(x.model)} | ${cell(x.figure)} | ${cell(formatValue(x.baseline, x.unit))} | ${cell(formatValue(x.current, x.unit))} | ${cell(formatDelta(x))} | ${verdict(x)} |`);
  }
  for (const n of c.notes) out.push('', `> ${cell(n)}`);
  return out;
}

function verdict(x: FigureChange): string {
  switch (x.status) {
    case 'regression':
      return `❌ regression${x.allowance ? ` (allowed ${x.allowance.pct}%)` : ''}`;
    case 'improvement':
      return '✅ improvement';
    case 'only-baseline':
      return 'only in baseline';
    case 'only-current':
      return 'new (not in baseline)';
    case 'missing':
      return '❌ missing';
    default:
      return 'same';
  }
}

const n = (x: number) => (Number.isInteger(x) ? x.toLocaleString('en-US') : x.toLocaleString('en-US', { maximumFractionDigits: 1 }));
const ms = (x: number | null) => (x === null ? 'never' : `${n(x)} ms`);
const lat = (pick: (r: RunReport) => { count: number; p99: number; p999: number }, k: 'p99' | 'p999') => (r: RunReport) => (pick(r).count === 0 ? '-' : ms(pick(r)[k]));

/** One rule with the exit code and the other reporters (endProblem); a run stopped with q is neither passed nor failed. */
function verdictCell(r: RunReport): string {
  if (!r.consistency.ok) return '❌ FAILED';
  if (endProblem(r) !== undefined) return neverConverged(r) ? '❌ not converged' : '❌ ended early';
  if (r.stopReason === 'stopped') return '■ consistent until stopped';
  // A wallet without the audit: its balances were within bounds, and nothing more was checked.
  return r.consistency.checkedBy === 'balances' ? '✅ consistent (balances only)' : '✅ consistent';
}

/** Counted from the wallet's entries: '-' without them, not a 0 that was never counted. */
const fromEntries = (pick: (r: RunReport) => number) => (r: RunReport) => (entriesCounted(r) ? n(pick(r)) : '-');

/** The figures a reviewer needs; the HTML report has the rest. */
const ROWS: readonly (readonly [string, (r: RunReport) => string])[] = [
  ['verdict', verdictCell],
  ['duplicates', fromEntries((r) => r.duplicates)],
  ['lost', fromEntries((r) => r.lost)],
  ['p99 ack bet', lat((r) => r.latency.ack.bet, 'p99')],
  ['p99.9 ack bet', lat((r) => r.latency.ack.bet, 'p999')],
  ['p99 settlement', lat((r) => r.latency.settlement, 'p99')],
  ['timeouts / retries', (r) => `${n(r.timeouts)} / ${n(r.retries)}`],
  ['goodput / offered', (r) => `${n(r.throughput.goodputPerSec)} / ${n(r.throughput.offeredPerSec)} per s`],
  ['max queue depth', (r) => n(r.maxQueueDepth)],
  ['max log lag', (r) => (r.model === 'request' ? '-' : ms(r.maxLagMs))],
  ['late rejections', (r) => n(r.lateRejections)],
];

/** Pipes end a table cell and newlines end the table. */
/**
 * Text from a report (a scenario's name, a problem, a figure) as inert Markdown: HTML's special
 * characters as entities (a name like `a<b>` is text, not a tag) and Markdown's own escaped, so
 * that nothing in it opens code, emphasis, a link or a new table cell.
 */
function cell(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*_[\]|]/g, '\\$&')
    .replace(/\r?\n/g, ' ');
}
