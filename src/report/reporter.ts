import type { IntervalFigures } from '../check/series.js';
import type { Scenario } from '../scenario/schema.js';
import type { Report, RunReport } from './model.js';

/**
 * An output of a run. Reporters are looked up by name and implement only the hooks they need
 * (vitest's reporter idea), so the dashboard, JSON, JUnit and HTML outputs stay out of the core.
 * The live hooks (onRunStart, onInterval, onProgress, onRunEnd) are called by the driver that
 * runs the worlds; the core only emits interval figures and never knows who listens.
 */
export interface Reporter {
  readonly name: string;
  /** Before the first event: what is about to run, and a handle to steer it (the dashboard's keys). */
  onRunStart?(start: RunStart): void;
  /** One model's interval of run time has closed. */
  onInterval?(model: string, figures: IntervalFigures): void;
  /** Where the run stands, a few times a second of wall time. */
  onProgress?(progress: RunProgress): void;
  /** One model's run is over (the others may still be running). */
  onRunEnd?(run: RunReport): void;
  /** The run is over and the report is final. */
  onReport?(report: Report): void | Promise<void>;
}

/** What a live output may do to the run it watches. */
export interface RunControl {
  /** Ends the run now (the `q` key); the reports then cover the run up to this moment. */
  stop(): void;
  /** As stop, but the run counts as interrupted (Ctrl-C, exit 130). */
  interrupt(): void;
  /** Pauses or resumes a paced run; returns whether it is paused now. */
  togglePause(): boolean;
  /** Pausing means something only when the run follows the wall clock. */
  readonly canPause: boolean;
}

export interface RunStart {
  readonly command: string;
  readonly world: 'virtual' | 'real';
  readonly scenario: Scenario;
  readonly seed: number;
  readonly models: readonly string[];
  /** Run milliseconds per wall millisecond; null: as fast as possible. */
  readonly pace: number | null;
  /** Run time at which the traffic ends; after it the worlds drain. */
  readonly trafficMs: number;
  readonly control: RunControl;
}

export interface RunProgress {
  /** Run time reached, per model. */
  readonly runMs: Readonly<Record<string, number>>;
  /** Wall time since the run started, pauses excluded. */
  readonly wallMs: number;
  readonly paused: boolean;
  /** A paced run whose worlds cannot keep up with the pace on this machine. */
  readonly behindPace: boolean;
}
