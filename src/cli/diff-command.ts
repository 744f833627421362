import { Chalk } from 'chalk';
import { checkAll, EXIT, type ExitCode } from '../errors.js';
import { compareReports, describeMissing, formatDelta, formatValue, parseMaxRegression, type Comparison, type FigureChange } from '../report/diff.js';
import { readReport } from '../report/read-report.js';

export interface DiffOptions {
  readonly maxRegression: string[];
  /** Every figure, not only those that regressed, improved or are in one report only. */
  readonly all?: boolean;
  readonly color: boolean;
}

/**
 * `walletstorm diff OLD.json NEW.json`: exit 1 when a figure regressed or a model or figure of
 * OLD is missing from NEW, 0 otherwise, 2 on bad input (OLD with no figures to compare included).
 */
export function diffCommand(oldFile: string, newFile: string, options: DiffOptions, write: (text: string) => void): ExitCode {
  const { gate, baseline, current } = checkAll({
    gate: () => parseMaxRegression(options.maxRegression),
    baseline: () => readReport(oldFile),
    current: () => readReport(newFile),
  });
  const comparison = compareReports(baseline, current, gate, { baseline: oldFile, current: newFile });
  write(renderDiff(comparison, { color: options.color, all: options.all === true }));
  return comparison.ok ? EXIT.ok : EXIT.checkFailed;
}

export function renderDiff(c: Comparison, options: { color: boolean; all: boolean }): string {
  const k = new Chalk({ level: options.color ? 1 : 0 });
  const out = [
    `${k.bold('walletstorm diff')} · baseline ${c.baseline.file ?? ''} (${c.baseline.scenario}, ${c.baseline.seed}) → ${c.current.file ?? ''} (${c.current.scenario}, ${c.current.seed})`,
  ];
  for (const n of c.notes) out.push(`note: ${n}`);
  const rows = options.all ? c.changes : c.changes.filter((x) => x.status !== 'same');
  const compared = c.models.filter((m) => m.status === 'compared').length;
  if (rows.length > 0) {
    const cells = rows.map((x) => [x.model, x.figure, formatValue(x.baseline, x.unit), formatValue(x.current, x.unit), formatDelta(x), verdict(x)]);
    const head = ['model', 'figure', 'baseline', 'current', 'change', 'verdict'];
    const widths = head.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)) + 2);
    out.push('', k.bold(head.map((h, i) => h.padEnd(widths[i]!)).join('').trimEnd()));
    rows.forEach((x, j) => {
      const line = cells[j]!.map((v, i) => v.padEnd(widths[i]!)).join('').trimEnd();
      out.push(x.status === 'regression' ? k.red(line) : x.status === 'improvement' ? k.green(line) : line);
    });
    out.push('');
  }
  // 'same' is a verdict: a figure that moved less than the allowance is the same to the gate, not to the reader.
  // An offered rate (better: neither) is not judged at all: a change there is information, not within an allowance.
  const moved = c.changes.filter((x) => x.status === 'same' && x.baseline !== x.current);
  const withinAllowance = moved.filter((x) => x.allowance !== null).length;
  const unjudged = moved.length - withinAllowance;
  const unmoved = c.changes.filter((x) => x.status === 'same').length - moved.length;
  const of = `${c.changes.length} figures of ${compared} model${compared === 1 ? '' : 's'}`;
  if (c.ok && c.improvements.length === 0 && moved.length === 0 && rows.every((x) => x.status === 'same')) {
    out.push(`${k.green('✔')} no change: ${of} compared, all the same`);
  } else {
    const mark = c.ok ? k.green('✔') : k.red('✘');
    const missing = c.missing.length > 0 ? `, ${c.missing.length} missing` : '';
    const within = withinAllowance > 0 ? `, ${withinAllowance} changed within the allowance` : '';
    const info = unjudged > 0 ? `, ${unjudged} changed and not judged (offered load)` : '';
    out.push(`${mark} ${c.regressions.length} regressed, ${c.improvements.length} improved${within}${info}, ${unmoved} the same${missing} (${of})`);
  }
  for (const m of c.missing) out.push(`  ${k.red(describeMissing(m))}`);
  return `${out.join('\n')}\n`;
}

function verdict(x: FigureChange): string {
  if (x.status === 'regression') return x.allowance ? `REGRESSION (allowed ${x.allowance.pct}%${x.allowance.abs > 0 ? ` or ${formatValue(x.allowance.abs, x.unit)}` : ''})` : 'REGRESSION';
  if (x.status === 'only-baseline') return 'only in baseline';
  if (x.status === 'only-current') return 'new (not in baseline)';
  if (x.status === 'missing') return 'MISSING';
  // As the last line counts them: a figure that moved is not "the same" to the reader.
  if (x.status === 'same' && x.baseline !== x.current) return x.allowance !== null ? 'within the allowance' : 'not judged (offered load)';
  return x.status;
}
