import { performance } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { usageError } from '../errors.js';
import type { ModelName } from '../models/config.js';
import type { Reporter, RunControl, RunProgress } from '../report/reporter.js';
import type { RunReport } from '../report/model.js';
import type { CompiledScenario } from '../scenario/compile.js';
import type { SimulationResult } from '../sim/simulate.js';
import type { ModelTrace } from '../trace/model.js';
import { VirtualWorld, type VirtualRun } from '../sim/world.js';

/** Run milliseconds per wall millisecond; null: as fast as the machine goes. */
export type Pace = number | null;

export function parsePace(text: string): Pace {
  if (text === 'max') return null;
  const m = /^(\d+(?:\.\d+)?)x$/.exec(text);
  const factor = m === null ? NaN : Number(m[1]);
  if (!(factor > 0 && factor <= 1000)) {
    throw usageError('E_BAD_PACE', `--pace must be 1x, 10x (any factor up to 1000x) or max, got "${text}"`, 'for example --pace 1x to watch in real time');
  }
  return factor;
}

/** The wall clock, injectable so that tests can pace without waiting. */
export interface WallClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** Lets timers, input and rendering run before the next slice. */
  yield(): Promise<void>;
}

export const realWallClock: WallClock = {
  now: () => performance.now(),
  sleep: async (ms) => void (await sleep(ms)),
  yield: async () => void (await nextTurn()),
};

export interface DriveOptions {
  readonly scenario: CompiledScenario;
  readonly models: readonly ModelName[];
  readonly seed: number;
  readonly pace: Pace;
  /** All models move through run time together (a paced or watched run); else one after another. */
  readonly lockstep: boolean;
  readonly listeners: readonly Reporter[];
  readonly wall?: WallClock;
  /** Players whose story each world records (--trace). */
  readonly trace?: readonly string[];
}

export interface DriveResult extends SimulationResult {
  /** Set when the run was ended early: by the `q` key, or interrupted (Ctrl-C). */
  readonly stopped?: 'user' | 'interrupt';
  readonly wallMs: number;
  /** Per model that ran, the traced players' stories (empty without --trace). */
  readonly traces: readonly ModelTrace[];
  /** The player of the first problem about one, in the first run (in model order) that has one: the one `trace it:` names. */
  readonly firstProblemPlayer?: string;
}

interface Slot {
  readonly model: ModelName;
  readonly world: VirtualWorld;
  reachedMs: number;
  run?: VirtualRun;
}

/** Wall time between two progress calls; the dashboard renders at most this often anyway. */
const PROGRESS_EVERY_MS = 50;
/** How long a paced run sleeps when it is ahead of the wall clock (or paused). */
const TICK_MS = 40;
/** Work per slice, in wall ms: short enough that keys and frames are never held up long. */
const SLICE_WORK_MS = { low: 15, high: 60 };

/**
 * Runs the virtual worlds in slices of run time, following the wall clock at a pace (or as fast
 * as possible), and yields to the event loop between slices so that the dashboard renders and
 * keys are read. Slicing never changes a world's result: each world is independent and
 * `advance` stops between events, so a paced run and a max run give identical reports.
 * The wall clock lives here, in the UI layer; the worlds never see it.
 */
export class RunDriver implements RunControl {
  readonly canPause: boolean;
  private stopRequest: 'user' | 'interrupt' | undefined;
  private paused = false;
  private readonly wall: WallClock;
  private wallStart = 0;
  private pausedWallMs = 0;
  private lastProgressAt = -Infinity;

  constructor(private readonly options: DriveOptions) {
    this.canPause = options.pace !== null;
    this.wall = options.wall ?? realWallClock;
  }

  stop(): void {
    this.stopRequest ??= 'user';
  }

  interrupt(): void {
    this.stopRequest = 'interrupt';
  }

  togglePause(): boolean {
    if (this.canPause) this.paused = !this.paused;
    return this.paused;
  }

  /** Ctrl-C ends the clock as q does; the report tells them apart, as README's stopReason table does. */
  private asEnded(r: RunReport): RunReport {
    return this.stopRequest === 'interrupt' && r.stopReason === 'stopped' ? { ...r, stopReason: 'interrupted', interrupted: true } : r;
  }

  async run(): Promise<DriveResult> {
    const { models, lockstep } = this.options;
    this.wallStart = this.wall.now();
    const done = new Map<ModelName, VirtualRun>();
    for (const group of lockstep ? [models] : models.map((m) => [m])) {
      if (this.stopRequest !== undefined) break;
      await this.runGroup(group, done);
    }
    const runs = models.flatMap((m) => (done.has(m) ? [done.get(m)!] : []));
    const firstProblemPlayer = runs.find((r) => r.firstProblemPlayer !== undefined)?.firstProblemPlayer;
    return {
      runs: runs.map((r) => this.asEnded(r.report)),
      logicalOps: runs.reduce((n, r) => n + r.report.operations.logical, 0),
      eventsRun: runs.reduce((n, r) => n + r.eventsRun, 0),
      wallMs: this.wall.now() - this.wallStart,
      traces: runs.flatMap((r) => (r.trace === undefined ? [] : [r.trace])),
      ...(firstProblemPlayer !== undefined && { firstProblemPlayer }),
      ...(this.stopRequest === undefined ? {} : { stopped: this.stopRequest }),
    };
  }

  private async runGroup(models: readonly ModelName[], done: Map<ModelName, VirtualRun>): Promise<void> {
    const { scenario, seed, pace, listeners, trace } = this.options;
    const slots: Slot[] = models.map((model) => ({
      model,
      reachedMs: 0,
      world: new VirtualWorld(scenario, model, seed, {
        trace,
        onInterval: (figures) => {
          for (const l of listeners) l.onInterval?.(model, figures);
        },
      }),
    }));
    const finish = (slot: Slot) => {
      slot.run = slot.world.finish();
      done.set(slot.model, slot.run);
      // The listeners (the dashboard's last frame) hear how it ended as the report will say it.
      for (const l of listeners) l.onRunEnd?.(this.asEnded(slot.run.report));
    };
    // Pace counts from the start of this group, pauses excluded.
    const origin = this.wall.now();
    const pausedBefore = this.pausedWallMs;
    let frontierMs = 0;
    let sliceMs = 1000;
    let wasPaused = false;
    for (;;) {
      const open = slots.filter((s) => s.run === undefined);
      if (open.length === 0) break;
      if (this.stopRequest !== undefined) {
        for (const s of open) {
          s.world.clock.stop();
          finish(s);
        }
        break;
      }
      if (this.paused) {
        // Show the frozen run time at once: a throttled figure from before the pause would
        // otherwise jump forward on the next frame, as if the run had gone on.
        this.progress(slots, false, true, !wasPaused);
        wasPaused = true;
        const t0 = this.wall.now();
        await this.wall.sleep(TICK_MS);
        this.pausedWallMs += this.wall.now() - t0;
        continue;
      }
      wasPaused = false;
      const elapsed = this.wall.now() - origin - (this.pausedWallMs - pausedBefore);
      const dueMs = pace === null ? Infinity : elapsed * pace;
      const targetMs = Math.min(dueMs, frontierMs + sliceMs);
      if (targetMs > frontierMs) {
        const t0 = this.wall.now();
        for (const s of open) {
          if (s.world.advance(targetMs)) finish(s);
          else s.reachedMs = targetMs;
        }
        frontierMs = targetMs;
        // Size the next slice by how long this one took: the pace decides results never, only rhythm.
        const took = this.wall.now() - t0;
        if (took > SLICE_WORK_MS.high) sliceMs = Math.max(10, sliceMs / 2);
        else if (took < SLICE_WORK_MS.low) sliceMs = Math.min(60_000, sliceMs * 2);
      }
      const behind = pace !== null && dueMs - frontierMs > Math.max(1000, pace * 500);
      this.progress(slots, behind, false);
      if (pace !== null && frontierMs >= dueMs) await this.wall.sleep(TICK_MS);
      else await this.wall.yield();
    }
    this.progress(slots, false, false, true);
  }

  private progress(slots: readonly Slot[], behindPace: boolean, paused: boolean, force = false): void {
    const now = this.wall.now();
    if (!force && now - this.lastProgressAt < PROGRESS_EVERY_MS) return;
    this.lastProgressAt = now;
    const runMs: Record<string, number> = {};
    for (const s of slots) runMs[s.model] = s.run === undefined ? Math.min(s.reachedMs, s.world.deadlineMs) : s.run.report.endMs;
    const progress: RunProgress = { runMs, wallMs: now - this.wallStart - this.pausedWallMs, paused, behindPace };
    for (const l of this.options.listeners) l.onProgress?.(progress);
  }
}
