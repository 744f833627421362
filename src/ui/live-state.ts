import type { IntervalFigures } from '../check/series.js';
import { compileFaults, type FaultPlan } from '../faults/plan.js';
import type { RunReport } from '../report/model.js';
import type { RunProgress, RunStart } from '../report/reporter.js';
import { activeFaults } from './faults.js';
import { Narrator, type FiredNote } from './narration.js';

/** Intervals kept per model for the sparklines: more than the widest terminal shows. */
const KEEP_INTERVALS = 240;
const KEEP_NOTES = 20;

export interface ModelView {
  readonly model: string;
  readonly runMs: number;
  readonly done: boolean;
  /** Per interval, oldest first (the last KEEP_INTERVALS). */
  readonly offered: readonly number[];
  readonly goodput: readonly number[];
  readonly last?: IntervalFigures;
  readonly totals: { readonly offered: number; readonly goodput: number; readonly retries: number; readonly timeouts: number; readonly duplicates: number };
  /** The worst interval p99 so far: the live stand-in for the run's p99, which is exact only at the end. */
  readonly peakP99Ms: number;
  readonly hasLog: boolean;
  readonly faults: readonly string[];
  /** The model's final report, once its run is over: lost and the run's exact percentiles. */
  readonly final?: {
    readonly lost: number;
    readonly duplicates: number;
    readonly ackP50Ms: number | null;
    readonly ackP99Ms: number | null;
    readonly consistent: boolean;
    readonly stopReason: string;
  };
}

export interface DashboardView {
  readonly command: string;
  readonly scenario: string;
  readonly seed: number;
  readonly world: 'virtual' | 'real';
  readonly pace: number | null;
  readonly trafficMs: number;
  readonly phase: string;
  readonly wallMs: number;
  readonly paused: boolean;
  readonly behindPace: boolean;
  readonly canPause: boolean;
  readonly stopping: boolean;
  readonly finished: boolean;
  readonly selected: number;
  readonly models: readonly ModelView[];
  /** Newest last. */
  readonly notes: readonly FiredNote[];
}

interface ModelState {
  model: string;
  runMs: number;
  offered: number[];
  goodput: number[];
  last?: IntervalFigures;
  totals: { offered: number; goodput: number; retries: number; timeouts: number; duplicates: number };
  peakP99Ms: number;
  final?: ModelView['final'];
}

interface Phase {
  readonly name: string;
  readonly endMs: number;
}

/**
 * Everything the dashboard shows, folded from the reporter hooks: interval figures, progress,
 * each model's final report, and the narration they set off. Plain data in, a plain view out,
 * so the rendering is tested from a recorded stream without running a world.
 */
export class LiveState {
  private readonly models: ModelState[];
  private readonly narrator: Narrator;
  private readonly faults: FaultPlan;
  private readonly phases: Phase[];
  private readonly notes: FiredNote[] = [];
  private selected = 0;
  private wallMs = 0;
  private paused = false;
  private behindPace = false;
  private stopping = false;
  private finished = false;

  constructor(private readonly start: Omit<RunStart, 'control'> & { readonly canPause: boolean }) {
    this.models = start.models.map((model) => ({
      model,
      runMs: 0,
      offered: [],
      goodput: [],
      totals: { offered: 0, goodput: 0, retries: 0, timeouts: 0, duplicates: 0 },
      peakP99Ms: 0,
    }));
    this.narrator = new Narrator(start.scenario.narration);
    this.faults = compileFaults(start.scenario.faults);
    let endMs = 0;
    this.phases = start.scenario.traffic.phases.map((p, i) => ({ name: p.name ?? `${p.kind}-${i + 1}`, endMs: (endMs += p.durationSec * 1000) }));
  }

  interval(model: string, f: IntervalFigures): void {
    const m = this.find(model);
    if (m === undefined) return;
    m.last = f;
    push(m.offered, f.offered);
    push(m.goodput, f.goodput);
    m.totals.offered += f.offered;
    m.totals.goodput += f.goodput;
    m.totals.retries += f.retries;
    m.totals.timeouts += f.timeouts;
    m.totals.duplicates += f.duplicates;
    if (f.ackP99Ms > m.peakP99Ms) m.peakP99Ms = f.ackP99Ms;
    this.note(this.narrator.interval(model, f));
  }

  progress(p: RunProgress): void {
    this.wallMs = p.wallMs;
    this.paused = p.paused;
    this.behindPace = p.behindPace;
    for (const m of this.models) {
      const runMs = p.runMs[m.model];
      if (runMs === undefined) continue;
      m.runMs = runMs;
      this.note(this.narrator.reached(m.model, runMs));
    }
  }

  runEnd(run: RunReport): void {
    const m = this.find(run.model);
    if (m === undefined) return;
    m.runMs = run.endMs;
    const all = run.latency.ack;
    m.final = {
      lost: run.lost,
      duplicates: run.duplicates,
      ackP50Ms: all.bet.count === 0 ? null : all.bet.p50,
      ackP99Ms: all.bet.count === 0 ? null : all.bet.p99,
      consistent: run.consistency.ok,
      stopReason: run.stopReason,
    };
  }

  /** The next model in `compare` (the space key). */
  selectNext(): void {
    this.selected = (this.selected + 1) % this.models.length;
  }

  setPaused(paused: boolean): void {
    this.paused = paused;
  }

  setStopping(): void {
    this.stopping = true;
  }

  setFinished(): void {
    this.finished = true;
  }

  view(): DashboardView {
    // The phase of the models still running: one run after another, a finished run's end is not where the next one is.
    const running = this.models.filter((m) => m.final === undefined && m.runMs > 0);
    const front = Math.max(0, ...(running.length > 0 ? running : this.models).map((m) => m.runMs));
    const { trafficMs } = this.start;
    return {
      command: this.start.command,
      scenario: this.start.scenario.name,
      seed: this.start.seed,
      world: this.start.world,
      pace: this.start.pace,
      trafficMs,
      phase: front >= trafficMs ? 'drain' : (this.phases.find((p) => front < p.endMs)?.name ?? ''),
      wallMs: this.wallMs,
      paused: this.paused,
      behindPace: this.behindPace,
      canPause: this.start.canPause,
      stopping: this.stopping,
      finished: this.finished,
      selected: this.selected,
      notes: [...this.notes],
      models: this.models.map((m) => ({
        model: m.model,
        runMs: m.runMs,
        done: m.final !== undefined,
        offered: [...m.offered],
        goodput: [...m.goodput],
        last: m.last,
        totals: { ...m.totals },
        peakP99Ms: m.peakP99Ms,
        hasLog: m.model !== 'request',
        faults: m.final === undefined ? activeFaults(this.faults, m.runMs, m.model, trafficMs) : [],
        final: m.final,
      })),
    };
  }

  private find(model: string): ModelState | undefined {
    return this.models.find((m) => m.model === model);
  }

  private note(fired: readonly FiredNote[]): void {
    for (const n of fired) {
      this.notes.push(n);
      if (this.notes.length > KEEP_NOTES) this.notes.shift();
    }
  }
}

function push(values: number[], v: number): void {
  values.push(v);
  if (values.length > KEEP_INTERVALS) values.shift();
}
