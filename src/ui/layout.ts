import type { DashboardView, ModelView } from './live-state.js';
import { bar, clock, int, ms, paceLabel, sparkline } from './format.js';

/**
 * The dashboard as rows of styled segments: a pure function of the view and the terminal
 * width, so that every layout is tested as text. `bad` segments are red (or, without color,
 * marked with `!`); a row never exceeds the width it was laid out for (the renderer truncates).
 */
export type Tone = 'bad' | 'good' | 'dim' | 'bold' | 'warn' | 'accent';
export interface Segment {
  readonly text: string;
  readonly tone?: Tone;
}
export type Row = readonly Segment[];

/** Below this many columns the compact layout is used. */
export const WIDE_COLUMNS = 80;
const MAX_WIDTH = 120;

const MODEL_TITLES: Record<string, string> = { request: 'request-driven', event: 'event-driven', hybrid: 'hybrid' };

const seg = (text: string, tone?: Tone): Segment => (tone === undefined ? { text } : { text, tone });
const counter = (n: number): Segment => seg(int(n), n > 0 ? 'bad' : 'good');

export function layout(view: DashboardView, columns: number): Row[] {
  return columns >= WIDE_COLUMNS ? wide(view, Math.min(columns, MAX_WIDTH)) : compact(view, Math.max(20, columns));
}

function state(view: DashboardView): Segment {
  if (view.finished) {
    // The last frame stays on the screen above the report: an interrupted run (Ctrl-C, exit 130)
    // is not done, as the report under it says.
    if (view.models.some((m) => m.final?.stopReason === 'interrupted')) return seg('✘ interrupted', 'bad');
    return seg('✔ done', 'good');
  }
  if (view.stopping) return seg('■ stopping, writing reports', 'warn');
  if (view.paused) return seg('❚❚ paused', 'warn');
  if (view.behindPace) return seg('▶ running (behind pace: this machine is slower)', 'warn');
  return seg('▶ running', 'accent');
}

function front(view: DashboardView): number {
  return Math.max(0, ...view.models.map((m) => m.runMs));
}

/**
 * The wall time the traffic is expected to take: its length over the pace, or, on a machine
 * that cannot keep the pace, over the pace it keeps (a 10x run that reads "wall 10.0 s / ~8.0 s"
 * says nothing). None once the traffic is over: the drain was never in the estimate.
 */
function wallEstimate(view: DashboardView, now: number, drain: boolean): string {
  if (view.pace === null || drain) return '';
  const planned = view.trafficMs / view.pace;
  const kept = view.behindPace && now > 0 ? (view.wallMs * view.trafficMs) / now : 0;
  return ` / ~${clock(Math.max(planned, kept))}`;
}

function timeline(view: DashboardView, barWidth: number, short: boolean): Row {
  const now = front(view);
  const drain = now >= view.trafficMs;
  const run = short ? `${Math.floor(now / 1000)}/${Math.round(view.trafficMs / 1000)} s` : `run ${clock(now)} / ${clock(view.trafficMs)}`;
  const wall = view.world === 'real' || short ? '' : ` · wall ${clock(view.wallMs)}${wallEstimate(view, now, drain)}`;
  return [seg(bar(now / Math.max(1, view.trafficMs), barWidth), drain ? 'good' : 'accent'), seg(` ${run} · ${drain ? 'draining' : view.phase}${wall}`)];
}

function lost(m: ModelView): Segment {
  return m.final === undefined ? seg('…', 'dim') : counter(m.final.lost);
}

/** An interval without a single answer has no percentile (the recorder says 0). */
function lastP99(m: ModelView): string {
  return m.last === undefined || m.last.ackP99Ms === 0 ? '—' : ms(m.last.ackP99Ms);
}

function lastP50(m: ModelView): string {
  return m.last === undefined || m.last.ackP50Ms === 0 ? '—' : ms(m.last.ackP50Ms);
}

function lag(m: ModelView): string {
  if (!m.hasLog) return '—';
  return m.last === undefined ? '—' : ms(m.last.maxLagMs);
}

function keys(view: DashboardView, short: boolean): Row {
  if (view.finished) return [];
  const parts = [short ? 'q stop' : 'q stop and write reports'];
  if (view.canPause) parts.push(view.paused ? 'p resume' : 'p pause');
  if (view.models.length > 1) parts.push(short ? 'space model' : 'space next model');
  return [seg(parts.join(' · '), 'dim')];
}

function notes(view: DashboardView, count: number): Row[] {
  return view.notes.slice(-count).map((n) => [seg(`${clock(n.atMs).padStart(6)}  `, 'dim'), ...(n.model ? [seg(`${n.model}: `, 'bold')] : []), seg(n.text)]);
}

const pad = (s: string, n: number) => (s.length >= n ? `${s} ` : s.padEnd(n));
const padL = (s: string, n: number) => (s.length >= n ? ` ${s}` : s.padStart(n));

function wide(view: DashboardView, width: number): Row[] {
  const rows: Row[] = [];
  rows.push([seg('walletstorm', 'bold'), seg(` ${view.command} · ${view.scenario} · seed ${view.seed} · pace ${paceLabel(view.pace)}  `), state(view)]);
  rows.push(timeline(view, Math.max(10, Math.min(40, width - 60)), false));
  if (view.models.length > 1) {
    rows.push([]);
    rows.push([seg(`  ${pad('model', 9)}${padL('offered/s', 10)}${padL('goodput/s', 10)}${padL('p99 1s', 9)}${padL('queue', 8)}${padL('lag', 8)}${padL('retries', 9)}${padL('timeouts', 9)}${padL('dup', 6)}${padL('lost', 6)}`, 'dim')]);
    view.models.forEach((m, i) => {
      const sel = i === view.selected;
      const n = (v: number) => (m.last === undefined ? '—' : int(v));
      rows.push([
        seg(sel ? '▸ ' : '  ', 'accent'),
        seg(pad(m.model, 9), sel ? 'bold' : undefined),
        seg(`${padL(n(m.last?.offered ?? 0), 10)}${padL(n(m.last?.goodput ?? 0), 10)}${padL(lastP99(m), 9)}${padL(n(m.last?.maxQueueDepth ?? 0), 8)}${padL(lag(m), 8)}`),
        seg(' '.repeat(Math.max(1, 9 - int(m.totals.retries).length))),
        counter(m.totals.retries),
        seg(' '.repeat(Math.max(1, 9 - int(m.totals.timeouts).length))),
        counter(m.totals.timeouts),
        seg(' '.repeat(Math.max(1, 6 - int(m.totals.duplicates).length))),
        counter(m.totals.duplicates),
        seg(' '.repeat(Math.max(1, 6 - (m.final === undefined ? 1 : int(m.final.lost).length)))),
        lost(m),
      ]);
    });
  }
  const m = view.models[view.selected];
  if (m !== undefined) {
    rows.push([]);
    const title = MODEL_TITLES[m.model] ?? m.model;
    rows.push([seg('── ', 'dim'), seg(title, 'bold'), seg(` ${'─'.repeat(Math.max(0, width - title.length - 4))}`, 'dim')]);
    const sparkWidth = Math.max(10, Math.min(60, width - 28));
    const scale = Math.max(1, ...m.offered.slice(-sparkWidth), ...m.goodput.slice(-sparkWidth));
    rows.push([seg(pad('offered', 10)), seg(sparkline(m.offered, sparkWidth, scale).padEnd(sparkWidth), 'accent'), seg(`  ${m.last ? int(m.last.offered) : '—'}/s`)]);
    rows.push([seg(pad('goodput', 10)), seg(sparkline(m.goodput, sparkWidth, scale).padEnd(sparkWidth), 'good'), seg(`  ${m.last ? int(m.last.goodput) : '—'}/s`)]);
    const run = m.final === undefined ? 'run at the end' : `run p50 ${ms(m.final.ackP50Ms)} p99 ${ms(m.final.ackP99Ms)} (bets)`;
    rows.push([seg(pad('ack', 10)), seg(`last 1 s p50 ${lastP50(m)} p99 ${lastP99(m)} · worst 1 s p99 ${m.peakP99Ms > 0 ? ms(m.peakP99Ms) : '—'} · ${run}`)]);
    rows.push([seg(pad('queue', 10)), seg(`${m.last ? int(m.last.maxQueueDepth) : '—'} waiting`), seg(`   log lag ${m.hasLog ? lag(m) : '— (no log)'}`)]);
    rows.push([seg('retries '), counter(m.totals.retries), seg('   timeouts '), counter(m.totals.timeouts), seg('   duplicates '), counter(m.totals.duplicates), seg('   lost '), lost(m), ...(m.final !== undefined && !m.final.consistent ? [seg('   consistency FAILED', 'bad')] : [])]);
    rows.push([seg(pad('faults', 10)), m.faults.length === 0 ? seg('none active', 'dim') : seg(m.faults.join(', '), 'warn')]);
  }
  rows.push([]);
  const shown = notes(view, 4);
  rows.push(shown.length === 0 ? [seg('notes: none yet', 'dim')] : [seg('notes', 'dim')]);
  rows.push(...shown);
  rows.push([]);
  rows.push(keys(view, false));
  return rows;
}

function compact(view: DashboardView, width: number): Row[] {
  const rows: Row[] = [];
  rows.push([seg(`${view.scenario} · ${paceLabel(view.pace)} `), state(view)]);
  rows.push(timeline(view, Math.max(5, width - 18), true));
  const m = view.models[view.selected];
  if (m !== undefined) {
    const which = view.models.length > 1 ? ` (${view.selected + 1}/${view.models.length})` : '';
    rows.push([seg(m.model, 'bold'), seg(which, 'dim')]);
    const sparkWidth = Math.max(5, width - 16);
    const scale = Math.max(1, ...m.offered.slice(-sparkWidth), ...m.goodput.slice(-sparkWidth));
    rows.push([seg('off  '), seg(sparkline(m.offered, sparkWidth, scale), 'accent'), seg(` ${m.last ? int(m.last.offered) : '—'}`)]);
    rows.push([seg('good '), seg(sparkline(m.goodput, sparkWidth, scale), 'good'), seg(` ${m.last ? int(m.last.goodput) : '—'}`)]);
    rows.push([seg(`p50/p99 ${lastP50(m)} / ${lastP99(m)}`)]);
    rows.push([seg(`queue ${m.last ? int(m.last.maxQueueDepth) : '—'} lag ${lag(m)}`)]);
    rows.push([seg('retry '), counter(m.totals.retries), seg(' t/o '), counter(m.totals.timeouts)]);
    rows.push([seg('dup '), counter(m.totals.duplicates), seg(' lost '), lost(m)]);
    if (m.faults.length > 0) rows.push([seg('fault ', 'dim'), seg(m.faults.join(', '), 'warn')]);
  }
  rows.push(...notes(view, 2).map((r) => r.slice(1)));
  rows.push(keys(view, true));
  return rows;
}
