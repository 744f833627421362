import type { IntervalFigures } from '../check/series.js';
import type { Scenario } from '../scenario/schema.js';

export type NarrationNote = NonNullable<Scenario['narration']>[number];

/** A note as it fired: when (run time), for which model (conditions), and what it says. */
export interface FiredNote {
  readonly atMs: number;
  readonly model?: string;
  readonly text: string;
}

type Condition = (figures: IntervalFigures, seen: { above: boolean }) => boolean;

function condition(when: string): Condition {
  const [name, arg] = when.split(':') as [string, string | undefined];
  const n = Number(arg);
  switch (name) {
    case 'firstRetry':
      return (f) => f.retries > 0;
    case 'firstTimeout':
      return (f) => f.timeouts > 0;
    case 'firstDuplicate':
      return (f) => f.duplicates > 0;
    case 'queueAbove':
      return (f) => f.maxQueueDepth > n;
    case 'lagAboveMs':
      return (f) => f.maxLagMs > n;
    case 'p99AboveMs':
      return (f) => f.ackP99Ms > n;
    case 'lagBelowMs':
      // Draining is only news after the lag was up: remember that it was.
      return (f, seen) => {
        if (f.maxLagMs >= n) seen.above = true;
        return seen.above && f.maxLagMs < n;
      };
    default:
      throw new Error(`unknown narration condition ${when}`);
  }
}

interface Pending {
  readonly note: NarrationNote;
  readonly test?: Condition;
  /** Per model: fired already, and the memory of lagBelowMs. */
  readonly fired: Set<string>;
  readonly seen: Map<string, { above: boolean }>;
}

/**
 * Decides when the scenario's notes fire: a timed note once, when the run reaches its time (for
 * every model at once in a side-by-side run, so once); a condition once per model, in the
 * interval where it first holds, stamped with the start of that interval.
 */
export class Narrator {
  private readonly pending: Pending[];

  constructor(notes: readonly NarrationNote[] = []) {
    this.pending = notes.map((note) => ({
      note,
      test: note.when === undefined ? undefined : condition(note.when),
      fired: new Set<string>(),
      seen: new Map<string, { above: boolean }>(),
    }));
  }

  /** Timed notes whose time the given model has reached. */
  reached(model: string, runMs: number): FiredNote[] {
    const out: FiredNote[] = [];
    for (const p of this.pending) {
      const at = p.note.atSec;
      if (at === undefined || runMs < at * 1000) continue;
      if (p.note.model !== undefined && p.note.model !== model) continue;
      if (p.fired.size > 0) continue;
      p.fired.add(model);
      out.push({ atMs: at * 1000, text: p.note.text, ...(p.note.model === undefined ? {} : { model }) });
    }
    return out;
  }

  /** Condition notes that an interval of one model sets off. */
  interval(model: string, figures: IntervalFigures): FiredNote[] {
    const out: FiredNote[] = [];
    for (const p of this.pending) {
      if (p.test === undefined || p.fired.has(model)) continue;
      if (p.note.model !== undefined && p.note.model !== model) continue;
      let seen = p.seen.get(model);
      if (seen === undefined) p.seen.set(model, (seen = { above: false }));
      if (!p.test(figures, seen)) continue;
      p.fired.add(model);
      out.push({ atMs: figures.tMs, model, text: p.note.text });
    }
    return out;
  }
}
