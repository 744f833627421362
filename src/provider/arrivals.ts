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
    return p === undefined ? 0 : rateAt(p, atMs);
  }

  /**
   * The next arrival after atMs, or null once the schedule is over.
   *
   * Drawn on the profile's cumulative rate (the expected rounds up to a time): the next arrival
   * is where it has grown by one round past atMs (uniform), or by an exponential draw of mean
   * one (Poisson, which is memoryless, so a draw may carry over a phase boundary and on at the
   * next phase's rate). A gap drawn at the rate of one instant would overshoot: a quiet first
   * phase (0.1/s) skipped the busy phase after it, and a ramp from 0 was skipped whole.
   */
  next(atMs: number, rng: Random): number | null {
    if (atMs >= this.endMs) return null;
    let work = this.process === 'poisson' ? -Math.log(1 - rng.next()) : 1;
    let t = atMs;
    for (let i = this.phaseIndexAt(t); i < this.phases.length; i++) {
      const p = this.phases[i]!;
      if (t < p.startMs) t = p.startMs;
      const left = expectedRounds(p, t, p.endMs);
      // An arrival due at the phase's very end belongs to the next phase, as in a steady phase;
      // a ramp's sums only come within rounding of it, hence the tolerance.
      if (work < left - 1e-9 * Math.max(1, left)) {
        const at = t + gapMs(p, t, work);
        return at < this.endMs ? at : null;
      }
      work = Math.max(0, work - left);
      t = p.endMs;
    }
    return null;
  }
}

function rateAt(p: Phase, atMs: number): number {
  const share = p.endMs > p.startMs ? (atMs - p.startMs) / (p.endMs - p.startMs) : 0;
  return p.fromPerSec + (p.toPerSec - p.fromPerSec) * share;
}

/** Rounds the phase starts on average between two of its times (the rate is linear in time). */
function expectedRounds(p: Phase, fromMs: number, toMs: number): number {
  return ((toMs - fromMs) * (rateAt(p, fromMs) + rateAt(p, toMs))) / 2000;
}

/**
 * Milliseconds after `t` by which the phase has started `rounds` more on average (fewer than
 * it has left): the root of r*u + k/2*u^2 = 1000*rounds, with r the rate at t (per second) and
 * k its slope (per second, per ms). Written so that a steady phase gives exactly 1000*rounds/r,
 * and without cancellation when k is small.
 */
function gapMs(p: Phase, t: number, rounds: number): number {
  if (rounds === 0) return 0;
  const rate = rateAt(p, t);
  const slope = p.endMs > p.startMs ? (p.toPerSec - p.fromPerSec) / (p.endMs - p.startMs) : 0;
  if (slope === 0) return (rounds * 1000) / rate;
  const twoWork = 2000 * rounds;
  return twoWork / (rate + Math.sqrt(Math.max(0, rate * rate + slope * twoWork)));
}
