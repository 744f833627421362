import { Chalk, type ChalkInstance } from 'chalk';
import { describeChange, describeMissing, type Comparison } from '../diff.js';
import type { LatencySummary } from '../histogram.js';
import { entriesCounted, seedLabel, type Report, type RunReport } from '../model.js';
import type { Reporter } from '../reporter.js';
import { convergenceNotMeasured, endTime, neverConverged } from '../run-end.js';
import { formatThresholdValue } from '../thresholds.js';

type Row = [label: string, value: (run: RunReport) => string, bad?: (run: RunReport) => boolean];


// One decimal, but a figure below 0.05 keeps two significant digits: 0.002 rounds per second read "0/s of 0/s".
const fmt = (n: number) =>
  Number.isInteger(n) ? n.toLocaleString('en-US') : n.toLocaleString('en-US', Math.abs(n) < 0.05 ? { maximumSignificantDigits: 2 } : { maximumFractionDigits: 1 });
const ms = (n: number | null) => (n === null ? 'never' : `${fmt(n)} ms`);
const lat = (pick: (r: RunReport) => LatencySummary, key: keyof LatencySummary) => (r: RunReport) =>
  pick(r).count === 0 ? '-' : ms(pick(r)[key]);

/** Whether the check read the wallet's entries and house account, not only its balances. */
const audited = entriesCounted;

/** Figures in the order that matters to a reader: correctness first, then latency, then load. */
const ROWS: Row[] = [
  ['consistency', (r) => (r.consistency.ok ? 'ok' : 'FAILED'), (r) => !r.consistency.ok],
  // Counted from the wallet's entries: '-' without them (checked by balances, or not at all), not a 0 that was never counted.
  ['duplicates', (r) => (!audited(r) ? '-' : r.duplicates === 0 ? '0' : `${fmt(r.duplicates)} (${fmt(r.duplicateMinorUnits)} minor units)`), (r) => r.duplicates > 0],
  ['unrefunded rollbacks', (r) => (audited(r) ? fmt(r.unrefundedRollbacks) : '-'), (r) => r.unrefundedRollbacks > 0],
  ['lost', (r) => (audited(r) ? fmt(r.lost) : '-'), (r) => r.lost > 0],
  ['unexpected entries', (r) => (audited(r) ? fmt(r.unexpected) : '-'), (r) => r.unexpected > 0],
  ['refused but applied', (r) => (audited(r) ? fmt(r.refusedButApplied) : '-'), (r) => r.refusedButApplied > 0],
  ['mismatches', (r) => fmt(r.mismatches), (r) => r.mismatches > 0],
  ['negative balances', (r) => fmt(r.negativeBalances), (r) => r.negativeBalances > 0],
  // Always shown, as the rows above: a run can fail on these alone (balances that do not add up
  // to their entries, a stake still held). '-' where the check could not count them: a target
  // checked by its balances alone has no entries and no house account, and one that could not be
  // checked at all (checkedBy none) not even its balances.
  ['balance mismatches', (r) => (audited(r) ? fmt(r.consistency.balanceMismatches) : '-'), (r) => r.consistency.balanceMismatches > 0],
  ['balances out of bounds', (r) => (r.consistency.checkedBy === 'none' ? '-' : fmt(r.consistency.outOfBounds)), (r) => r.consistency.outOfBounds > 0],
  ['conservation', (r) => (audited(r) ? conservationText(r.consistency.conservation) : '-'), (r) => audited(r) && conservationText(r.consistency.conservation) !== 'ok'],
  ['late rejections', (r) => fmt(r.lateRejections), (r) => r.lateRejections > 0],
  ['failed events', (r) => fmt(r.failedEvents), (r) => r.failedEvents > 0],
  ['p99 ack bet', lat((r) => r.latency.ack.bet, 'p99')],
  ['p99.9 ack bet', lat((r) => r.latency.ack.bet, 'p999')],
  ['p99 ack win', lat((r) => r.latency.ack.win, 'p99')],
  ['p99 settlement', lat((r) => r.latency.settlement, 'p99')],
  ['p50 ack bet', lat((r) => r.latency.ack.bet, 'p50')],
  ['max ack bet', lat((r) => r.latency.ack.bet, 'max')],
  ['timeouts', (r) => fmt(r.timeouts), (r) => r.timeouts > 0],
  ['retries', (r) => fmt(r.retries)],
  ['replays (dedup)', (r) => fmt(r.replays)],
  ['logical ops', (r) => fmt(r.operations.logical)],
  ['attempts', (r) => fmt(r.operations.attempts)],
  ['acknowledged', (r) => fmt(r.operations.acknowledged)],
  ['failed / indeterminate', (r) => `${fmt(r.operations.failed)} / ${fmt(r.operations.indeterminate)}`],
  ['offered / goodput', (r) => `${fmt(r.throughput.offeredPerSec)} / ${fmt(r.throughput.goodputPerSec)} per s`],
  ['max queue depth', (r) => fmt(r.maxQueueDepth)],
  // A request-driven wallet has no log: '0 ms' would read as a log that kept up.
  ['max log lag', (r) => (r.model === 'request' ? '-' : `${ms(r.maxLagMs)} (${fmt(r.maxLagRecords)} records)`)],
  // A run stopped with q or interrupted did not get to converge: not measured, and not a failure of its own (its mark says how it ended).
  ['convergence', (r) => (convergenceNotMeasured(r) ? '-' : ms(r.convergenceMs)), neverConverged],
  ['faults fired', (r) => faultSummary(r)],
  ['run ended', (r) => `${r.stopReason} at ${fmt(r.endMs / 1000)} s`, (r) => !r.completed],
];

/**
 * When each fault was on. "faults fired" counts discrete events (answers lost, crashes); a
 * window such as walletSlowdown has nothing to count, and would otherwise look as if it never
 * happened.
 */
function faultWindowText(report: Report): string | undefined {
  const windows = report.scenario.faultWindows ?? [];
  if (windows.length === 0) return undefined;
  const sec = (ms: number) => fmt(ms / 1000);
  const when = (w: (typeof windows)[number]) => (w.toMs !== null ? `${sec(w.fromMs)}–${sec(w.toMs)} s` : w.fromMs === 0 ? 'whole run' : `from ${sec(w.fromMs)} s`);
  return windows.map((w) => `${w.fault} ${when(w)}`).join(', ');
}

function faultSummary(r: RunReport): string {
  const fired = Object.entries(r.faults).filter(([, n]) => n > 0);
  return fired.length === 0 ? '-' : fired.map(([k, n]) => `${k} ${fmt(n)}`).join(', ');
}

export interface TerminalOptions {
  readonly color: boolean;
  readonly write: (text: string) => void;
  /** The command that replays this run exactly. */
  readonly replay?: string;
  /** The comparison with --baseline, when one was given. */
  readonly comparison?: Comparison;
  /** Files written by the other reporters, listed at the end. */
  readonly files?: readonly string[];
}

export function terminalReporter(options: TerminalOptions): Reporter {
  return {
    name: 'terminal',
    onReport(report) {
      options.write(renderSummary(report, options));
    },
  };
}

/**
 * For logs (stdout is not a terminal): one line per model with the figures a CI reader looks
 * at first, then the same verdicts, thresholds and baseline lines as the full table.
 */
export function summaryReporter(options: TerminalOptions): Reporter {
  return {
    name: 'summary',
    onReport(report) {
      options.write(renderCompact(report, options));
    },
  };
}

export function renderCompact(report: Report, options: Omit<TerminalOptions, 'write'>): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const width = Math.max(...report.runs.map((r) => r.model.length));
  const out = [`walletstorm ${report.tool.version} · scenario ${report.scenario.name} · ${seedLabel(report)}`];
  for (const r of report.runs) {
    const state = runState(r, c, 'consistency FAILED', 'ended early');
    const parts = [`${state.mark} ${state.text}`, ...failingFigures(r)];
    if (r.latency.ack.bet.count > 0) parts.push(`p99 ack bet ${ms(r.latency.ack.bet.p99)}`);
    if (r.latency.settlement.count > 0) parts.push(`p99 settlement ${ms(r.latency.settlement.p99)}`);
    parts.push(`goodput ${fmt(r.throughput.goodputPerSec)}/s of ${fmt(r.throughput.offeredPerSec)}/s`);
    parts.push(`timeouts ${fmt(r.timeouts)}`, `retries ${fmt(r.retries)}`);
    // Accepted, counted in goodput, then refused when applied: without these an event-driven
    // wallet's line reads as the best of the three on traffic it largely refused (low-balance).
    if (r.lateRejections > 0) parts.push(`late rejections ${fmt(r.lateRejections)}`);
    if (r.failedEvents > 0) parts.push(`failed events ${fmt(r.failedEvents)}`);
    if (r.maxQueueDepth > 0) parts.push(`max queue ${fmt(r.maxQueueDepth)}`);
    if (r.maxLagMs > 0) parts.push(`max lag ${ms(r.maxLagMs)}`);
    // A run stopped with q or interrupted did not get to converge: that is not news (its mark says how it ended);
    // nor is it for a completed run, whose mark says it.
    if (neverConverged(r) && !r.completed) parts.push('never converged');
    out.push(`${r.model.padEnd(width)}  ${parts.join(' · ')}`);
  }
  const failed = verdicts(report, c).filter((_, i) => !(report.runs[i]!.consistency.ok && report.runs[i]!.completed && !neverConverged(report.runs[i]!)));
  out.push(...thresholdLines(report, c), ...failed, ...comparisonLines(options.comparison, c), ...fileLines(options.files));
  if (options.replay) out.push(c.dim(`replay: ${options.replay}`));
  return `${out.join('\n')}\n`;
}

/**
 * The figures that failed the consistency check, as "name value". Duplicates and lost are what a
 * reader looks for first and are always named (the other figures mostly follow from them: a bet
 * applied twice leaves its player's balance out of bounds); a run that failed on neither names
 * every other figure that failed, so "consistency FAILED" never stands without a reason, as it
 * did for a run whose balances alone did not reconcile.
 */
function failingFigures(r: RunReport): string[] {
  const first = named([
    ['duplicates', r.duplicates],
    ['lost', r.lost],
  ]);
  if (first.length > 0 || r.consistency.ok) return first;
  const c = r.consistency;
  // A real wallet that does not know every player fails the check (run-real's withUnknownPlayers).
  const unknownPlayers = named([['PLAYER_NOT_FOUND answers', r.results.PLAYER_NOT_FOUND ?? 0]]);
  // Nothing could be read at the end (a target lost mid-run, or not a wallet): its figures are
  // placeholders, not findings, as the table's '-' says; a final money of 0 is no loss of money.
  if (c.checkedBy === 'none') return ['not checked', ...unknownPlayers];
  const others = named([
    ['unrefunded rollbacks', r.unrefundedRollbacks],
    ['unexpected entries', r.unexpected],
    ['refused but applied', r.refusedButApplied],
    ['mismatches', r.mismatches],
    ['negative balances', r.negativeBalances],
    ['balance mismatches', c.balanceMismatches],
    ['balances out of bounds', c.outOfBounds],
  ]);
  // In the order of the table's rows and the JUnit checks: conservation, then the real wallet's players.
  const money = conservationText(c.conservation);
  if (money !== 'ok') others.push(`conservation ${money}`);
  others.push(...unknownPlayers);
  return others;
}

/** ok, or how far final money is from initial (final minus initial), or broken. */
function conservationText(money: RunReport['consistency']['conservation']): string {
  const off = money.finalMinorUnits - money.initialMinorUnits;
  // The totals can agree while the players' balances do not add up to their entries.
  if (off !== 0) return `off by ${off > 0 ? '+' : ''}${fmt(off)} minor units`;
  return money.ok ? 'ok' : 'broken';
}

function named(counts: readonly [label: string, n: number][]): string[] {
  return counts.filter(([, n]) => n > 0).map(([label, n]) => `${label} ${fmt(n)}`);
}

/** The baseline verdict: every regression by name, then improvements, in the same words everywhere. */
export function comparisonLines(comparison: Comparison | undefined, c: ChalkInstance = new Chalk({ level: 0 })): string[] {
  if (comparison === undefined) return [];
  const { regressions, improvements, missing } = comparison;
  const compared = comparison.changes.length;
  const head = `baseline ${comparison.baseline.file ?? comparison.baseline.scenario} (${comparison.baseline.seed}): ${compared} figures compared, ${regressions.length} regressed, ${improvements.length} improved${missing.length > 0 ? `, ${missing.length} missing` : ''}`;
  const lines = [comparison.ok ? `${c.green('✔')} ${head}` : `${c.red('✘')} ${head}`];
  for (const m of missing) lines.push(`  ${c.red(describeMissing(m))}`);
  for (const r of regressions) lines.push(`  ${c.red('regression')} ${describeChange(r)}`);
  for (const i of improvements) lines.push(`  ${c.green('improvement')} ${describeChange(i)}`);
  for (const n of comparison.notes) lines.push(`  note: ${n}`);
  return lines;
}

function fileLines(files: readonly string[] | undefined): string[] {
  return files === undefined || files.length === 0 ? [] : [`reports: ${files.join(' ')}`];
}

export function renderSummary(report: Report, options: Omit<TerminalOptions, 'write'>): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const runs = report.runs;
  const head = `${c.bold('walletstorm')} ${report.tool.version} · scenario ${c.bold(report.scenario.name)} · ${seedLabel(report)}`;
  const labelWidth = Math.max(...ROWS.map((r) => r[0].length)) + 2;
  const cells = summaryTable(runs);
  const widths = runs.map((r, i) => Math.max(r.model.length, ...cells.map((row) => row.values[i]!.text.length)) + 2);
  // The last column is not padded: no trailing spaces in a terminal, a CI log or a pasted table.
  const cell = (text: string, i: number) => (i === runs.length - 1 ? text : text.padEnd(widths[i]!));
  const line = (label: string, parts: { text: string; bad: boolean }[], style: ChalkInstance = c) =>
    style(label.padEnd(labelWidth)) + parts.map((p, i) => (p.bad ? c.red(cell(p.text, i)) : cell(p.text, i))).join('');
  const out = [head, '', line('', runs.map((r) => ({ text: r.model, bad: false })), c.bold)];
  for (const row of cells) out.push(line(row.label, row.values));
  const windows = faultWindowText(report);
  if (windows !== undefined) out.push(c.dim('fault windows'.padEnd(labelWidth)) + windows);
  out.push('', ...thresholdLines(report, c), ...verdicts(report, c), ...comparisonLines(options.comparison, c), ...fileLines(options.files));
  if (options.replay) out.push(c.dim(`replay: ${options.replay}`));
  return `${out.join('\n')}\n`;
}

/** The figures table as plain cells (a row per figure, a cell per run), for every output. */
export function summaryTable(runs: readonly RunReport[]): { label: string; values: { text: string; bad: boolean }[] }[] {
  // Phase rows follow the overall p99, where a spike shows up against the steady baseline.
  const split = ROWS.findIndex(([label]) => label === 'p99 ack bet') + 1;
  return [...ROWS.slice(0, split), ...phaseRows(runs), ...ROWS.slice(split)].map(([label, value, bad]) => ({ label, values: runs.map((r) => ({ text: value(r), bad: bad?.(r) ?? false })) }));
}

/** One row per traffic phase: where a spike shows up against the steady baseline. */
function phaseRows(runs: readonly RunReport[]): Row[] {
  const phases = runs[0]?.phases ?? [];
  if (phases.length < 2) return [];
  return phases.map((p, i): Row => [
    `  in ${p.name} (${p.kind})`,
    (r) => {
      const ph = r.phases[i]!;
      const p99 = ph.betAck.count ? ms(ph.betAck.p99) : '-';
      // Nothing offered and nothing done: a phase a stopped run never reached has no goodput, not 0%.
      // A phase a stopped run never reached starts where the run had ended; one it went through
      // at 0 rounds/s (a quiet warm-up) had no load.
      if (ph.offeredPerSec === 0 && ph.goodputPerSec === 0) return `${p99} · ${!r.completed && ph.startMs >= r.endMs ? 'not reached' : 'no load'}`;
      return `${p99} · goodput ${Math.round((100 * ph.goodputPerSec) / Math.max(ph.offeredPerSec, 1e-9))}%`;
    },
    (r) => r.phases[i]!.goodputPerSec < 0.5 * r.phases[i]!.offeredPerSec,
  ]);
}

function thresholdLines(report: Report, c: ChalkInstance): string[] {
  const lines: string[] = [];
  for (const run of report.runs) {
    for (const t of run.thresholds ?? []) {
      const mark = t.ok ? c.green('✔') : c.red('✘');
      lines.push(`${mark} ${run.model}: threshold ${t.expression}  (${t.metric} = ${t.value === null ? 'null: the run has no such value' : formatThresholdValue(t.metric, t.value)})`);
    }
  }
  return lines;
}

function verdicts(report: Report, c: ChalkInstance): string[] {
  return report.runs.map((r) => {
    const why = r.consistency.problems.length > 0 ? r.consistency.problems.map((p) => `\n    ${p}`).join('') : '';
    const { mark, text } = runState(r, c, 'consistency check FAILED', 'run ended early');
    const gaveUp = r.consistency.ok && r.completed && neverConverged(r) ? `: the wallet still had work when the run gave up waiting, at ${endTime(r)}` : '';
    return `${mark} ${r.model}: ${text}${gaveUp}${why}`;
  });
}

/**
 * A run's verdict: consistent, or not, or ended early. A run stopped on purpose (q) is not a
 * failure (see endProblem): it is marked apart, neither passed nor failed.
 */
function runState(r: RunReport, c: ChalkInstance, failed: string, early: string): { mark: string; text: string } {
  if (!r.consistency.ok) return { mark: c.red('✘'), text: failed };
  // A real run whose attempts were all answered but whose wallet never caught up (its log, its
  // group's lag, results still unread at the deadline) exits 1, as Markdown's and JUnit's verdicts say.
  if (r.completed && neverConverged(r)) return { mark: c.red('✘'), text: 'consistent, but never converged' };
  if (r.completed) return { mark: c.green('✔'), text: 'consistent' };
  if (r.stopReason === 'stopped') return { mark: c.yellow('■'), text: 'consistent until stopped (q)' };
  return { mark: c.red('✘'), text: `${early} (${r.stopReason})` };
}
