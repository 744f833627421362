import { render, type Instance } from 'ink';
import type { Reporter, RunControl } from '../report/reporter.js';
import { Dashboard } from './dashboard.js';
import { LiveState } from './live-state.js';

export interface DashboardReporterOptions {
  readonly stdout: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
  readonly color: boolean;
  /**
   * A run as fast as possible shows the dashboard only once it has lasted this long (wall ms),
   * so a run that is over in a moment prints its summary alone. A paced run shows it at once.
   */
  readonly showAfterMs?: number;
}

/** Renders no more often than this (wall ms), except on a key press and at the end. */
const RENDER_EVERY_MS = 100;

/**
 * The live dashboard as one more reporter: it folds the live hooks into a view and renders it
 * with ink. It steers the run only through the RunControl it is handed (q, p, Ctrl-C).
 */
export function dashboardReporter(options: DashboardReporterOptions): Reporter {
  let state: LiveState | undefined;
  let control: RunControl | undefined;
  let ink: Instance | undefined;
  let lastRender = -Infinity;
  const showAfterMs = options.showAfterMs ?? 1000;

  const keys = {
    onStop: () => {
      state?.setStopping();
      control?.stop();
      draw(true);
    },
    onInterrupt: () => {
      state?.setStopping();
      control?.interrupt();
      draw(true);
    },
    onPause: () => {
      if (control?.canPause) state?.setPaused(control.togglePause());
      draw(true);
    },
    onNextModel: () => {
      state?.selectNext();
      draw(true);
    },
  };

  const element = () => <Dashboard view={state!.view()} columns={options.stdout.columns || 80} color={options.color} {...keys} />;

  function mount(): void {
    if (ink !== undefined || state === undefined) return;
    ink = render(element(), { stdout: options.stdout, stdin: options.stdin, exitOnCtrlC: false, patchConsole: false, maxFps: 20 });
    lastRender = performance.now();
  }

  function draw(now = false): void {
    if (ink === undefined || state === undefined) return;
    const t = performance.now();
    if (!now && t - lastRender < RENDER_EVERY_MS) return;
    lastRender = t;
    ink.rerender(element());
  }

  return {
    name: 'dashboard',
    onRunStart(start) {
      control = start.control;
      state = new LiveState({ ...start, canPause: start.control.canPause });
      if (start.pace !== null) mount();
    },
    onInterval(model, figures) {
      state?.interval(model, figures);
      draw();
    },
    onProgress(progress) {
      state?.progress(progress);
      if (ink === undefined && progress.wallMs >= showAfterMs) mount();
      draw();
    },
    onRunEnd(run) {
      state?.runEnd(run);
      draw(true);
    },
    async onReport() {
      if (ink === undefined || state === undefined) return;
      state.setFinished();
      draw(true);
      ink.unmount();
      await ink.waitUntilExit();
      ink = undefined;
    },
  };
}
