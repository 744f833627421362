import type { Random } from '../ports/random.js';

export type PhaseKind = 'steady' | 'ramp' | 'spike';

export interface Phase {
  readonly name: string;
  readonly kind: PhaseKind;
  readonly startMs: number;
  readonly endMs: number;
  /** Rounds started per second at the phase start and end (equal unless it is a ramp). */
  readonly fromPerSec: number;
  readonly toPerSec: number;
}

/**
 * The open-model schedule: when each round starts is decided by the profile alone, never by
 * how fast the wallet answers, so a slow wallet cannot slow the traffic down and hide its queue.
 */
export class ArrivalSchedule {
  readonly endMs: number;
  private cursor = 0;

  constructor(
    readonly phases: readonly Phase[],
    private readonly process: 'poisson' | 'uniform',
  ) {
    this.endMs = phases.length === 0 ? 0 : phases[phases.length - 1]!.endMs;
  }

  /** The first phase that ends after atMs (the last one past the end). */
  phaseIndexAt(atMs: number): number {
    // Arrivals go forward in time: the search starts at the phase found last time when atMs
    // lies past the phases before it, which finds the same phase as a search from the start.
    const phases = this.phases;
    let i = this.cursor > 0 && atMs >= phases[this.cursor - 1]!.endMs ? this.cursor : 0;
    for (; i < phases.length; i++) {
      if (atMs < phases[i]!.endMs) {
        this.cursor = i;
        return i;
      }
    }
    return phases.length - 1;
  }

  ratePerSecAt(atMs: number): number {
    const p = this.phases[this.phaseIndexAt(atMs)];
    if (p === undefined) return 0;
    const share = p.endMs > p.startMs ? (atMs - p.startMs) / (p.endMs - p.startMs) : 0;
    return p.fromPerSec + (p.toPerSec - p.fromPerSec) * share;
  }

  /** The next arrival after atMs, or null once the schedule is over. */
  next(atMs: number, rng: Random): number | null {
    let t = atMs;
    while (t < this.endMs) {
      const rate = this.ratePerSecAt(t);
      if (rate <= 0) {
        t = this.phases[this.phaseIndexAt(t)]!.endMs;
        continue;
      }
      const gapMs = this.process === 'poisson' ? (-Math.log(1 - rng.next()) * 1000) / rate : 1000 / rate;
      return t + gapMs < this.endMs ? t + gapMs : null;
    }
    return null;
  }
}
