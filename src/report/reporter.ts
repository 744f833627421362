import type { Report } from './model.js';

/**
 * An output of a run. Reporters are looked up by name and implement only the hooks they need
 * (vitest's reporter idea), so the dashboard, JSON, JUnit and HTML outputs stay out of the core.
 */
export interface Reporter {
  readonly name: string;
  /** The run is over and the report is final. */
  onReport?(report: Report): void | Promise<void>;
}
