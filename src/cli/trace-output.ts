import { Chalk } from 'chalk';
import type { Report } from '../report/model.js';
import { firstProblemPlayer } from '../trace/hint.js';
import type { ModelTrace } from '../trace/model.js';
import { renderTraces } from '../trace/render.js';
import type { TraceFlags } from './trace-flags.js';

export interface TraceOutput {
  readonly flags: TraceFlags;
  readonly traces: readonly ModelTrace[];
  readonly report: Report;
  /** The command that replays the run (the hint adds --trace to it); none for a real run, which no command replays. */
  readonly replay?: string;
  readonly playerCount: number;
  readonly color: boolean;
  readonly write: (text: string) => void;
}

/**
 * After the report: the traced players' stories, or, for a run that failed without --trace, the
 * command that tells the story of the player its first problem line names.
 */
export function writeTraceOutput(o: TraceOutput): void {
  if (o.flags.players.length > 0) {
    o.write(renderTraces(o.traces, { color: o.color, limit: o.flags.limit }));
    return;
  }
  const player = o.replay === undefined ? undefined : firstProblemPlayer(o.report.runs, o.playerCount);
  if (player !== undefined) o.write(`${new Chalk({ level: o.color ? 1 : 0 }).dim(`trace it: ${o.replay} --trace ${player}`)}\n`);
}
