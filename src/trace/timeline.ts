import type { AppliedEvent, ModelTrace, PlayerTrace, TraceEvent } from './model.js';
import type { ProviderSide, TraceRecorder } from './recorder.js';
import { entrySourceOf, ledgerSides, type EntrySource } from './ledger-side.js';

/** The wallet's ledger as a trace reads it, or why it could not be read. */
export type TracedLedger = { readonly entries: EntrySource } | { readonly unread: string };

/** One model's trace at the end of its run: the recorder's provider side, and the ledger's. */
export function modelTrace(model: string, recorder: TraceRecorder, ledger: TracedLedger, initialBalance: (playerId: string) => number): ModelTrace {
  const entries = 'entries' in ledger ? ledger.entries : entrySourceOf([]);
  const players = playerTraces(recorder.providerSides(), entries, initialBalance);
  return 'unread' in ledger ? { model, players, ledgerUnread: ledger.unread } : { model, players };
}

/**
 * Each traced player's story: the provider's events and the ledger's entries in one run-time
 * order (see merge). Never the order of a hash map: a seed gives one story.
 */
export function playerTraces(sides: readonly ProviderSide[], entries: EntrySource, initialBalance: (playerId: string) => number): PlayerTrace[] {
  const ledgers = ledgerSides(entries, sides, initialBalance);
  return sides.map((side, i) => ({
    playerId: side.playerId,
    initialBalance: initialBalance(side.playerId),
    events: merge(side.events, ledgers[i]!.applied),
    finalBalance: ledgers[i]!.finalBalance,
    ops: side.ops,
    opsNotRecorded: side.opsNotRecorded,
  }));
}

/**
 * The ledger's entries placed among the provider's events, each before the first event later
 * than it; the provider's events keep the order they were recorded in, which is the order they
 * happened (in the real world an arrival may fire a little before its intended time, and a held
 * attempt counts from when it was asked for: sorting by time would put a send before its
 * opening). At a tie the entry goes first: a wallet applies and answers in one instant, and a
 * send cannot arrive in the instant it leaves, so an entry at the time of a provider's event
 * caused it, not the other way round.
 */
function merge(provider: readonly TraceEvent[], applied: readonly AppliedEvent[]): TraceEvent[] {
  const out: TraceEvent[] = [];
  let next = 0;
  for (const e of provider) {
    while (next < applied.length && applied[next]!.atMs <= e.atMs) out.push(applied[next++]!);
    out.push(e);
  }
  while (next < applied.length) out.push(applied[next++]!);
  return out;
}

/** Lines shown before the opening of the operation whose story holds the first problem: the lead-up. */
const LEAD_LINES = 3;
/** Lines shown after the problem itself: the answer that follows it. */
const FOLLOW_LINES = 3;

export interface TraceWindow {
  readonly events: readonly TraceEvent[];
  /** Events left out before and after the window. */
  readonly before: number;
  readonly after: number;
}

/**
 * At most `limit` events (0: all), placed where the story is: from a few lines before the
 * opening of the first operation applied more than once (a busy player's other operations may
 * push the problem itself further: then it is shown, with the lines that follow it), or an entry
 * that matches no attempt; else from the start.
 */
export function traceWindow(events: readonly TraceEvent[], limit: number): TraceWindow {
  if (limit === 0 || events.length <= limit) return { events, before: 0, after: 0 };
  const { problem, opened } = problemAt(events);
  const keepProblem = problem + Math.min(FOLLOW_LINES, limit - 1) + 1 - limit;
  const start = Math.min(Math.max(0, opened - LEAD_LINES, keepProblem), events.length - limit);
  return { events: events.slice(start, start + limit), before: start, after: events.length - start - limit };
}

/** The first problem's index, and that of its operation's opening (the problem's own when it has none). */
function problemAt(events: readonly TraceEvent[]): { problem: number; opened: number } {
  const problem = events.findIndex((e) => e.type === 'applied' && (e.duplicate || e.op === undefined));
  if (problem < 0) return { problem: 0, opened: 0 };
  const opId = events[problem]!.op?.opId;
  const opened = opId === undefined ? -1 : events.findIndex((e) => e.type === 'opened' && e.op.opId === opId);
  return { problem, opened: opened >= 0 ? opened : problem };
}
