import { basename } from 'node:path';
import { describeChange, describeMissing, formatDelta, formatValue, type Comparison } from '../diff.js';
import { decodeHdr, type LatencySummary } from '../histogram.js';
import { seedLabel, type Report, type RunReport } from '../model.js';
import { endProblem } from '../run-end.js';
import { formatThresholdValue } from '../thresholds.js';
import type { Reporter } from '../reporter.js';
import { writeFileAtomic } from './json.js';
import { esc, renderPlot, type Band, type Line, type Mark, type PlotSpec, type Tick } from './svg.js';
import { summaryTable } from './terminal.js';

export interface HtmlOptions {
  readonly comparison?: Comparison;
  readonly replay?: string;
}

/**
 * One self-contained HTML file for people: verdicts first, the figures side by side, then the
 * plots. No scripts and no network: the content security policy forbids both, so a report that
 * tried would show errors in the browser test.
 */
export function htmlReporter(file: string, options: HtmlOptions = {}): Reporter {
  return {
    name: 'html',
    onReport(report) {
      writeFileAtomic(file, renderHtml(report, options));
    },
  };
}

/** Every plot the report draws, by `data-plot` name, in order. */
export const PLOT_IDS = ['spectrum-ack-bet', 'spectrum-settlement', 'throughput', 'ack-p99', 'queue-depth', 'log-lag', 'retries', 'timeouts'] as const;

const MODEL_COLORS: Readonly<Record<string, string>> = { request: '#d62728', event: '#1f77b4', hybrid: '#2ca02c' };
const SPARE_COLORS = ['#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

export function renderHtml(report: Report, options: HtmlOptions = {}): string {
  const title = `walletstorm · ${report.scenario.name} · ${seedLabel(report)}`;
  const colors = new Map(report.runs.map((r, i) => [r.model, MODEL_COLORS[r.model] ?? SPARE_COLORS[i % SPARE_COLORS.length]!]));
  const body = [
    header(report),
    verdictSection(report, options.comparison),
    figuresSection(report),
    `<section id="plots"><h2>Plots</h2><div class="plots">${plots(report, colors).map(renderPlot).join('\n')}</div></section>`,
    phasesSection(report),
    options.comparison === undefined ? '' : comparisonSection(options.comparison),
    detailsSection(report, options.replay),
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body.filter((s) => s !== '').join('\n')}
</body>
</html>
`;
}

function header(report: Report): string {
  const s = report.scenario;
  const meta = [
    `seed ${s.seed}`,
    s.file === undefined ? '' : `file ${esc(s.file)}`,
    s.overrides.length === 0 ? '' : `overrides <code>${s.overrides.map(esc).join(' ')}</code>`,
    `models ${report.runs.map((r) => `${esc(r.model)} (${r.world})`).join(', ')}`,
    `walletstorm ${esc(report.tool.version)}`,
    report.merged === undefined ? '' : `merged from ${report.merged.from.map((p) => esc(basename(p.file))).join(', ')}`,
  ].filter((x) => x !== '');
  return `<header><h1>${esc(s.name)}</h1><p class="meta">${meta.join(' · ')}</p></header>`;
}

// ---- verdicts ------------------------------------------------------------------------------

function reasons(run: RunReport, comparison: Comparison | undefined): string[] {
  const out: string[] = [];
  if (!run.consistency.ok) out.push(`consistency check failed (checked by ${run.consistency.checkedBy})`, ...run.consistency.problems);
  const ended = endProblem(run);
  if (ended !== undefined) out.push(ended);
  for (const t of run.thresholds ?? []) if (!t.ok) out.push(`threshold ${t.expression} failed (${t.metric} = ${t.value === null ? 'no value' : formatThresholdValue(t.metric, t.value)})`);
  for (const m of comparison?.missing ?? []) if (m.model === run.model) out.push(describeMissing(m));
  for (const c of comparison?.regressions ?? []) if (c.model === run.model) out.push(`regression: ${describeChange(c)}`);
  return out;
}

function verdictSection(report: Report, comparison: Comparison | undefined): string {
  const cards = report.runs.map((run) => {
    const why = reasons(run, comparison);
    const passed = (run.thresholds ?? []).filter((t) => t.ok).map((t) => `threshold ${t.expression} held (${t.metric} = ${formatThresholdValue(t.metric, t.value)})`);
    const items = [...why.map((w) => `<li class="bad">${esc(w)}</li>`), ...passed.map((p) => `<li>${esc(p)}</li>`)];
    if (why.length === 0) {
      // Without the audit only the balances were read: say what was checked, not what could not be.
      const checked =
        run.consistency.checkedBy === 'balances'
          ? 'consistent by balances alone: every balance within what the acknowledged operations allow (duplicates, lost operations and conservation need the audit endpoint)'
          : `consistent: nothing duplicated, lost, unexpected or applied though refused; balances add up (checked by ${esc(run.consistency.checkedBy)})`;
      items.unshift(`<li>${checked}</li>`);
    }
    return `<div class="card ${why.length === 0 ? 'pass' : 'fail'}" data-model="${esc(run.model)}"><h3>${why.length === 0 ? '✔' : '✘'} ${esc(run.model)}</h3><ul>${items.join('')}</ul></div>`;
  });
  const failing = report.runs.filter((r) => reasons(r, comparison).length > 0).length;
  // A model of the baseline that was not run has no card: the banner names it.
  const gone = (comparison?.missing ?? []).filter((m) => m.figure === undefined);
  const banner =
    failing === 0 && gone.length === 0
      ? `<p class="banner pass">PASS: every check held${comparison ? `, no regression against the baseline (${comparison.improvements.length} improved)` : ''}</p>`
      : `<p class="banner fail">FAIL: ${failing} of ${report.runs.length} model${report.runs.length === 1 ? '' : 's'} failed a check${comparison && comparison.regressions.length > 0 ? ` · ${comparison.regressions.length} regression${comparison.regressions.length === 1 ? '' : 's'} against the baseline` : ''}${gone.map((m) => ` · ${esc(describeMissing(m))}`).join('')}</p>`;
  return `<section id="verdicts"><h2>Verdicts</h2>${banner}<div class="cards">${cards.join('')}</div></section>`;
}

function figuresSection(report: Report): string {
  const rows = summaryTable(report.runs)
    .map((row) => `<tr><th scope="row">${esc(row.label.trim())}</th>${row.values.map((v) => `<td${v.bad ? ' class="bad"' : ''}>${esc(v.text)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<section id="figures"><h2>Figures</h2><table class="figures"><thead><tr><th></th>${report.runs.map((r) => `<th>${esc(r.model)}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table></section>`;
}

function phasesSection(report: Report): string {
  const tables = report.runs.map((run) => {
    const rows = run.phases.map(
      (p) =>
        `<tr><th scope="row">${esc(p.name)} <small>(${esc(p.kind)})</small></th><td>${sec(p.startMs)}–${sec(p.endMs)} s</td><td>${n(p.bets)}</td><td>${n(p.offeredPerSec)}</td><td>${n(p.goodputPerSec)}</td><td>${lat(p.betAck, 'p50')}</td><td>${lat(p.betAck, 'p99')}</td><td>${lat(p.betAck, 'p999')}</td><td>${n(p.betTimeouts)}</td></tr>`,
    );
    return `<h3>${esc(run.model)}</h3><table class="phases"><thead><tr><th>phase</th><th>run time</th><th>bets</th><th>offered/s</th><th>goodput/s</th><th>p50 bet ack</th><th>p99 bet ack</th><th>p99.9 bet ack</th><th>bet timeouts</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  });
  return `<section id="phases"><h2>Per phase</h2>${tables.join('\n')}</section>`;
}

function comparisonSection(c: Comparison): string {
  const rows = c.changes
    .filter((x) => x.status !== 'same')
    .map(
      (x) =>
        `<tr class="${x.status}"><td>${esc(x.model)}</td><td>${esc(x.figure)}</td><td>${esc(formatValue(x.baseline, x.unit))}</td><td>${esc(formatValue(x.current, x.unit))}</td><td>${esc(formatDelta(x))}</td><td>${esc(x.status)}${x.allowance && x.status === 'regression' ? ` (allowed ${x.allowance.pct}%)` : ''}</td></tr>`,
    );
  const same = c.changes.filter((x) => x.status === 'same').length;
  const notes = c.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('');
  return `<section id="baseline"><h2>Against the baseline</h2><p>${esc(c.baseline.file === undefined ? c.baseline.scenario : basename(c.baseline.file))} (${c.baseline.seed}): ${c.changes.length} figures compared, ${c.regressions.length} regressed, ${c.improvements.length} improved, ${same} the same${c.missing.length > 0 ? `, ${c.missing.length} missing` : ''}.</p>${notes}${
    rows.length === 0 ? '' : `<table class="changes"><thead><tr><th>model</th><th>figure</th><th>baseline</th><th>now</th><th>change</th><th>verdict</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  }</section>`;
}

function detailsSection(report: Report, replay: string | undefined): string {
  const faults = report.scenario.faultWindows ?? [];
  const faultList =
    faults.length === 0
      ? '<p>No faults in this scenario.</p>'
      : `<ul>${faults
          .slice(0, 50)
          .map((w) => `<li>${esc(w.fault)}: ${sec(w.fromMs)}–${w.toMs === null ? 'end' : `${sec(w.toMs)} s`}</li>`)
          .join('')}${faults.length > 50 ? `<li>… ${faults.length - 50} more</li>` : ''}</ul>`;
  const results = report.runs
    .map((r) => `<tr><th scope="row">${esc(r.model)}</th><td>${Object.entries(r.results).map(([code, count]) => `${esc(code)} ${n(count ?? 0)}`).join(' · ')}</td></tr>`)
    .join('');
  const notes = report.merged?.notes.map((t) => `<p class="note">${esc(t)}</p>`).join('') ?? '';
  return `<section id="details"><h2>Details</h2><h3>Faults</h3>${faultList}<h3>Answers by result code</h3><table class="results"><tbody>${results}</tbody></table>${notes}${
    replay ? `<h3>Replay</h3><pre><code>${esc(replay)}</code></pre>` : ''
  }</section>`;
}

// ---- plots ---------------------------------------------------------------------------------

/** Percentile axis as HdrHistogram plots it: 1/(1-p) on a log scale. */
const PERCENTILE_TICKS: readonly Tick[] = [0, 90, 99, 99.9, 99.99, 99.999, 99.9999].map((p) => ({ value: 1 / (1 - p / 100), label: `${p}%` }));

function plots(report: Report, colors: ReadonlyMap<string, string>): PlotSpec[] {
  const runs = report.runs;
  const color = (r: RunReport) => colors.get(r.model)!;
  const endMs = Math.max(0, ...runs.map((r) => r.endMs));
  const bands: Band[] = (report.scenario.faultWindows ?? []).map((w) => ({ fromX: w.fromMs / 1000, toX: (w.toMs ?? endMs) / 1000, label: w.fault }));
  const first = runs[0];
  const marks: Mark[] = [
    ...(first?.phases ?? []).filter((p) => p.startMs > 0).map((p) => ({ x: p.startMs / 1000, label: p.name })),
    ...(first ? [{ x: first.trafficMs / 1000, label: 'traffic ends' }] : []),
  ];
  const time = (r: RunReport, pick: (i: RunReport['series']['intervals'][number], perSec: number) => number): [number, number][] => {
    const perSec = 1000 / r.series.intervalMs;
    return r.series.intervals.map((i) => [i.tMs / 1000, pick(i, perSec)]);
  };
  const timeAxis = { label: 'run time (s)', min: 0, max: Math.max(1, endMs / 1000) };
  const overTime = (id: string, title: string, yLabel: string, pick: (i: RunReport['series']['intervals'][number], perSec: number) => number, extra: Partial<PlotSpec> = {}): PlotSpec => ({
    id,
    title,
    x: timeAxis,
    y: { label: yLabel },
    lines: runs.map((r) => ({ label: r.model, color: color(r), points: time(r, pick) })),
    bands,
    marks,
    ...extra,
  });
  const spectrumPlot = (id: string, title: string, which: 'bet' | 'settlement'): PlotSpec => {
    const lines = runs.map((r) => ({ label: r.model, color: color(r), points: spectrum(r, which) }));
    const maxX = Math.max(10, ...lines.flatMap((l) => l.points.map((p) => p[0])));
    return {
      id,
      title,
      note: 'HdrHistogram percentile distribution: latency at each percentile, tail to the right',
      x: { label: 'percentile', log: true, min: 1, max: maxX, ticks: PERCENTILE_TICKS.filter((t) => t.value <= maxX * 1.0001) },
      y: { label: 'latency (ms, log)', log: true },
      lines,
    };
  };
  return [
    spectrumPlot('spectrum-ack-bet', 'Bet ack latency by percentile', 'bet'),
    spectrumPlot('spectrum-settlement', 'Settlement latency by percentile', 'settlement'),
    {
      id: 'throughput',
      title: 'Offered load vs goodput over time',
      note: 'logical operations per second: started (dashed) and ended OK (solid)',
      x: timeAxis,
      y: { label: 'operations / s' },
      lines: runs.flatMap((r): Line[] => [
        { label: `${r.model} offered`, color: color(r), dashed: true, points: time(r, (i, ps) => i.offered * ps) },
        { label: `${r.model} goodput`, color: color(r), points: time(r, (i, ps) => i.goodput * ps) },
      ]),
      bands,
      marks,
    },
    overTime('ack-p99', 'p99 ack latency over time', 'ms (log)', (i) => i.ackP99Ms, { y: { label: 'ms (log)', log: true } }),
    overTime('queue-depth', 'Queue depth over time', 'requests waiting (max per interval)', (i) => i.maxQueueDepth),
    overTime('log-lag', 'Log lag over time', 'lag (ms, max per interval)', (i) => i.maxLagMs),
    overTime('retries', 'Retries over time', 'retries / s', (i, ps) => i.retries * ps),
    overTime('timeouts', 'Timeouts over time', 'timeouts / s', (i, ps) => i.timeouts * ps),
  ];
}

/** Points of the percentile distribution: from the encoded histogram, else the summary's few. */
function spectrum(run: RunReport, which: 'bet' | 'settlement'): [number, number][] {
  const summary: LatencySummary = which === 'bet' ? run.latency.ack.bet : run.latency.settlement;
  if (summary.count === 0) return [];
  const encoded = which === 'bet' ? run.histograms?.ack.bet : run.histograms?.settlement;
  if (typeof encoded !== 'string') {
    const x = (p: number) => 1 / (1 - p / 100);
    return [
      [x(50), summary.p50],
      [x(90), summary.p90],
      [x(99), summary.p99],
      [x(99.9), summary.p999],
      [Math.max(x(99.9), summary.count), summary.max],
    ];
  }
  const h = decodeHdr(encoded);
  const maxUs = Math.round(summary.max * 1000);
  // Beyond 1/(1-p) = count every percentile is the maximum: stop a decade after it.
  const decades = Math.min(6, Math.max(1, Math.ceil(Math.log10(summary.count)) + 1));
  const points: [number, number][] = [];
  const steps = decades * 20;
  for (let k = 0; k <= steps; k++) {
    const x = 10 ** (k / 20);
    const p = 100 * (1 - 1 / x);
    points.push([x, Math.min(h.getValueAtPercentile(p), maxUs) / 1000]);
  }
  return points;
}

// ---- formatting ----------------------------------------------------------------------------

const n = (x: number) => (Number.isInteger(x) ? x.toLocaleString('en-US') : x.toLocaleString('en-US', { maximumFractionDigits: 1 }));
const sec = (ms: number) => n(ms / 1000);
const lat = (s: LatencySummary, k: 'p50' | 'p99' | 'p999') => (s.count === 0 ? '-' : `${n(s[k])} ms`);

const STYLE = `
:root { color-scheme: light; --bad: #b3261e; --good: #1e7b34; --muted: #5f6368; --line: #d0d4d9; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; padding: 16px 24px 40px; max-width: 1280px; color: #202124; background: #fff; }
h1 { font-size: 22px; margin: 0 0 2px; } h1::before { content: "walletstorm · "; color: var(--muted); font-weight: 400; }
h2 { font-size: 17px; margin: 22px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 14px; margin: 12px 0 6px; }
.meta { color: var(--muted); margin: 0; } code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; }
pre { background: #f6f8fa; padding: 8px; overflow-x: auto; }
.banner { font-weight: 600; padding: 8px 12px; border-radius: 6px; margin: 0 0 10px; }
.banner.pass { background: #e6f4ea; color: var(--good); } .banner.fail { background: #fce8e6; color: var(--bad); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 10px; }
.card { border: 1px solid var(--line); border-left-width: 5px; border-radius: 6px; padding: 6px 12px; }
.card.pass { border-left-color: var(--good); } .card.fail { border-left-color: var(--bad); }
.card h3 { margin: 4px 0; } .card ul { margin: 0; padding-left: 18px; } li.bad, td.bad { color: var(--bad); font-weight: 600; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 10px; border-bottom: 1px solid #eceff1; text-align: right; white-space: nowrap; }
th[scope=row], thead th:first-child { text-align: left; font-weight: 500; }
thead th { border-bottom: 2px solid var(--line); }
tr.regression td { color: var(--bad); } tr.improvement td { color: var(--good); }
.plots { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 14px 20px; }
figure.plot { margin: 0; } figcaption { font-weight: 600; margin-bottom: 2px; }
figcaption .note { display: block; font-weight: 400; color: var(--muted); font-size: 12px; }
svg { width: 100%; height: auto; display: block; }
svg .frame { fill: none; stroke: #9aa0a6; } svg .grid { stroke: #eceff1; } svg .tick { font-size: 11px; fill: var(--muted); }
svg .axis-label { font-size: 12px; fill: #3c4043; } svg .line { fill: none; stroke-width: 1.8; stroke-linejoin: round; }
svg .band { fill: rgba(234, 67, 53, 0.13); } svg .band-label { font-size: 10px; fill: var(--bad); }
svg .mark { stroke: #80868b; stroke-dasharray: 3 3; } svg .mark-label { font-size: 10px; fill: var(--muted); }
svg .empty { font-size: 14px; fill: var(--muted); }
.legend { display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12px; color: #3c4043; }
.key { display: inline-flex; align-items: center; gap: 4px; white-space: nowrap; } .swatch { display: inline-block; width: 18px; height: 10px; }
.band-swatch { background: rgba(234, 67, 53, 0.25); }
.note { color: var(--muted); }
`;
