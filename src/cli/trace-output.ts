import { Chalk } from 'chalk';
import type { Report } from '../report/model.js';
import type { ModelTrace } from '../trace/model.js';
import { renderTraces } from '../trace/render.js';
import type { TraceFlags } from './trace-flags.js';

export interface TraceOutput {
  readonly flags: TraceFlags;
  readonly traces: readonly ModelTrace[];
  readonly report: Report;
  /** The command that replays the run (the hint adds --trace to it); none for a real run, which no command replays. */
  readonly replay?: string;
  /** The player of the first problem about one, as the checker found it (DriveResult): the one the hint names. */
  readonly firstProblemPlayer?: string;
  readonly color: boolean;
  readonly write: (text: string) => void;
}

/**
 * After the report: the traced players' stories, or, for a run that failed its consistency check
 * without --trace, the command that tells the story of the player of its first problem. A run
 * whose problems are about no player (money not conserved, and nothing else) still gets the
 * command, to be completed with a player: a trace is where to look next, and saying nothing
 * read as if there were nothing to look at.
 */
export function writeTraceOutput(o: TraceOutput): void {
  if (o.flags.players.length > 0) {
    o.write(renderTraces(o.traces, { color: o.color, limit: o.flags.limit }));
    return;
  }
  const hint = traceHint(o);
  if (hint !== undefined) o.write(`${new Chalk({ level: o.color ? 1 : 0 }).dim(hint)}\n`);
}

function traceHint(o: TraceOutput): string | undefined {
  if (o.replay === undefined) return undefined;
  if (o.firstProblemPlayer !== undefined) return `trace it: ${o.replay} --trace ${o.firstProblemPlayer}`;
  const failed = o.report.runs.filter((r) => !r.consistency.ok);
  if (failed.length === 0) return undefined;
  const why = failed.some((r) => !r.consistency.conservation.ok) ? 'money is not conserved across players and house, and ' : '';
  return `trace it: ${why}no problem is about one player; pick one: ${o.replay} --trace PLAYER`;
}
