import type { Reporter } from '../report/reporter.js';
import { clock, int, ms } from './format.js';
import { LiveState, type DashboardView } from './live-state.js';

export interface ProgressReporterOptions {
  /** Where the lines go (stderr): plain text, no escape codes. */
  readonly write: (text: string) => void;
  /** Wall ms between two lines; the first comes after as long, so a short run prints none. */
  readonly everyMs?: number;
}

/**
 * The dashboard's stand-in without a terminal (CI, pipes): one plain line every few seconds on
 * stderr saying where the run is, so a long run is visibly alive; the summary follows at the end.
 */
export function progressReporter(options: ProgressReporterOptions): Reporter {
  const everyMs = options.everyMs ?? 3000;
  let state: LiveState | undefined;
  let nextAt = everyMs;
  return {
    name: 'progress',
    onRunStart(start) {
      state = new LiveState({ ...start, canPause: false });
    },
    onInterval(model, figures) {
      state?.interval(model, figures);
    },
    onRunEnd(run) {
      state?.runEnd(run);
    },
    onProgress(progress) {
      if (state === undefined) return;
      state.progress(progress);
      if (progress.wallMs < nextAt) return;
      nextAt = progress.wallMs + everyMs;
      const line = progressLine(state.view());
      if (line !== undefined) options.write(`${line}\n`);
    },
  };
}

/** Where the running models stand; undefined once none is running (the summary comes next). */
export function progressLine(view: DashboardView): string | undefined {
  const running = view.models.filter((m) => !m.done && m.runMs > 0);
  if (running.length === 0) return undefined;
  const now = Math.max(0, ...running.map((m) => m.runMs));
  const where = now >= view.trafficMs ? 'draining' : view.phase;
  const models = running.map((m) => {
    const f = m.last;
    const figures = f === undefined ? 'starting' : `${int(f.offered)}/s offered, ${int(f.goodput)}/s goodput, p99 ${f.ackP99Ms > 0 ? ms(f.ackP99Ms) : '—'}, queue ${int(f.maxQueueDepth)}${m.hasLog ? `, lag ${ms(f.maxLagMs)}` : ''}`;
    return `${m.model}: ${figures}, retries ${int(m.totals.retries)}, timeouts ${int(m.totals.timeouts)}, duplicates ${int(m.totals.duplicates)}`;
  });
  return [`walletstorm: ${view.scenario} · run ${clock(now)} / ${clock(view.trafficMs)} (${where}) · wall ${clock(view.wallMs)}`, ...models].join(' · ');
}
