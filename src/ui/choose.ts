import type { Reporter } from '../report/reporter.js';
import { progressReporter } from './progress-reporter.js';

export interface LiveOutputOptions {
  /** false with --no-ui. */
  readonly ui: boolean;
  readonly color: boolean;
  readonly stdout: NodeJS.WriteStream;
  readonly stdin: NodeJS.ReadStream;
  readonly stderr: NodeJS.WriteStream;
  readonly env: NodeJS.ProcessEnv;
}

/** As ink's own check: where CI is set, ink would draw only the last frame, so a log serves better. */
function inCi(env: NodeJS.ProcessEnv): boolean {
  const set = (k: string) => env[k] !== undefined && env[k] !== '0' && env[k] !== 'false';
  return set('CI') || set('CONTINUOUS_INTEGRATION');
}

/** The dashboard needs a terminal that draws: a TTY on stdout, not `dumb`, not a CI log. */
export function wantsDashboard(o: LiveOutputOptions): boolean {
  return o.ui && o.stdout.isTTY === true && o.env.TERM !== 'dumb' && !inCi(o.env);
}

/**
 * The live output of a run: the dashboard on a terminal, else a plain progress line every few
 * seconds on stderr. ink and react load only when the dashboard is shown.
 */
export async function chooseLiveOutput(o: LiveOutputOptions): Promise<Reporter> {
  if (wantsDashboard(o)) {
    const { dashboardReporter } = await import('./dashboard-reporter.js');
    return dashboardReporter({ stdout: o.stdout, stdin: o.stdin, color: o.color });
  }
  return progressReporter({ write: (text) => o.stderr.write(text) });
}
