import { Chalk, type ChalkInstance } from 'chalk';
import type { BalanceVerdict, Verdict } from '../check/verdicts.js';
import { balanceVerdictText, eventText } from './event-text.js';
import type { ModelTrace, PlayerTrace, TraceEvent } from './model.js';
import { traceWindow } from './timeline.js';

export interface TraceRenderOptions {
  readonly color: boolean;
  /** Lines per player and model (0: all). */
  readonly limit: number;
}

/** Lines per player and model when --trace-limit is not given: a screenful or two, around the first problem. */
export const DEFAULT_TRACE_LIMIT = 100;

const int = (n: number) => n.toLocaleString('en-US');
/** Run time to the tenth of a millisecond: network hops are fractions of one. */
const runMs = (t: number) => t.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

/** Every traced player's story in every model that ran, one block each, model by model. */
export function renderTraces(traces: readonly ModelTrace[], options: TraceRenderOptions): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const blocks = traces.flatMap((t) => t.players.map((p) => renderPlayer(t, p, options.limit, c)));
  return blocks.map((b) => `\n${b}`).join('');
}

function renderPlayer(trace: ModelTrace, p: PlayerTrace, limit: number, c: ChalkInstance): string {
  const out = [`${c.bold(`trace ${p.playerId}`)} · ${trace.model} · ${headline(p, trace.ledgerUnread === undefined)} · times in run ms`];
  if (trace.ledgerUnread !== undefined) out.push(c.yellow(`  no wallet side: ${trace.ledgerUnread}`));
  for (const v of p.verdicts ?? []) if (isBalanceVerdict(v)) out.push(`  ${c.red.bold(`◀ ${balanceVerdictText(v)}`)}`);
  if (p.events.length === 0) out.push('  no operations in this run');
  const window = traceWindow(p.events, limit);
  const more = limit === 0 ? '' : ' (--trace-limit 0 shows every line)';
  if (window.before > 0) out.push(c.dim(`  … ${int(window.before)} earlier line${window.before === 1 ? '' : 's'}${more}`));
  out.push(...eventLines(window.events, p.playerId, c));
  if (window.after > 0) out.push(c.dim(`  … ${int(window.after)} more line${window.after === 1 ? '' : 's'}${more}`));
  if (p.opsNotRecorded > 0) out.push(c.dim(`  (the trace kept the first ${int(p.ops.length)} operations; ${int(p.opsNotRecorded)} later ones were not recorded)`));
  return `${out.join('\n')}\n`;
}

/** Verdicts about a balance as a whole, which no line of the story is about. */
const isBalanceVerdict = (v: Verdict): v is BalanceVerdict => !('opId' in v) && !('entry' in v);

/** What a support person asks first: how much happened, and whether anything was applied twice, or lost… */
function headline(p: PlayerTrace, ledgerRead: boolean): string {
  const ops = `${int(p.ops.length)} operation${p.ops.length === 1 ? '' : 's'}`;
  if (!ledgerRead) return ops;
  const applied = p.events.filter((e) => e.type === 'applied');
  const last = p.finalBalance ?? applied.at(-1)?.balanceAfter ?? p.initialBalance;
  const parts = [ops, `${int(applied.length)} ledger entr${applied.length === 1 ? 'y' : 'ies'}`, ...verdictCounts(p.verdicts ?? [])];
  parts.push(`balance ${int(p.initialBalance)} → ${int(last)}`);
  return parts.join(', ');
}

/** The checker's verdicts about the player, counted: operations applied more than once, lost, and so on. */
function verdictCounts(verdicts: readonly Verdict[]): string[] {
  const count = (kinds: readonly Verdict['kind'][]) => verdicts.filter((v) => kinds.includes(v.kind)).length;
  // A bet refused when applied is a late rejection; a win or a rollback a failed event (the marks' words).
  const lateBets = verdicts.filter((v) => v.kind === 'rejected-late' && v.opKind === 'bet').length;
  const failedEvents = count(['rejected-late']) - lateBets;
  const unrefunded = count(['unrefunded']);
  const twice = new Set(verdicts.flatMap((v) => (v.kind === 'duplicate' ? [v.opId] : []))).size;
  const parts: [number, string][] = [
    [twice, 'applied more than once'],
    [count(['unexpected']), 'unexpected'],
    [count(['refused-applied']), 'refused but applied'],
    [count(['lost']), 'lost'],
    [count(['entry-mismatch', 'answer-mismatch']), 'mismatched'],
    [lateBets, 'rejected late'],
    [failedEvents, `failed event${failedEvents === 1 ? '' : 's'}`],
    [unrefunded, `rollback${unrefunded === 1 ? '' : 's'} unrefunded`],
    [count(['unsettled']), 'unsettled'],
  ];
  const out = parts.filter(([n]) => n > 0).map(([n, what]) => `${int(n)} ${what}`);
  if (count(['below-zero']) > 0) out.push('went below zero');
  return out;
}

function eventLines(events: readonly TraceEvent[], playerId: string, c: ChalkInstance): string[] {
  const times = events.map((e) => runMs(e.atMs));
  const width = Math.max(0, ...times.map((t) => t.length));
  return events.map((e, i) => {
    const { side, text } = eventText(e, playerId, c);
    return `  ${c.dim(times[i]!.padStart(width))}  ${side.padEnd(8)}  ${text}`;
  });
}
