import type { Verdict, VerdictSink } from '../check/verdicts.js';
import type { ModelTrace, PlayerTrace, TraceEvent, WalletEvent } from './model.js';
import type { ProviderSide, TraceRecorder } from './recorder.js';
import { entrySourceOf, ledgerSides, type EntrySource } from './ledger-side.js';

/** The wallet's ledger as a trace reads it, or why it could not be read. */
export type TracedLedger = { readonly entries: EntrySource } | { readonly unread: string };

/**
 * One model's trace at the end of its run: the recorder's provider side, and the ledger's. A
 * ledger not read leaves no wallet side at all: not its refusals either, whose balances it gives.
 */
export function modelTrace(model: string, recorder: TraceRecorder, ledger: TracedLedger, initialBalance: (playerId: string) => number): ModelTrace {
  const entries = 'entries' in ledger ? ledger.entries : entrySourceOf([]);
  const sides = recorder.providerSides().map((s) => ('entries' in ledger ? s : { ...s, refusals: [] }));
  const players = playerTraces(sides, entries, initialBalance, recorder.verdicts);
  return 'unread' in ledger ? { model, players, ledgerUnread: ledger.unread } : { model, players };
}

/**
 * Each traced player's story: the provider's events and the ledger's entries in one run-time
 * order (see merge), with the checker's verdicts on the lines they are about (see
 * markOperations). Never the order of a hash map: a seed gives one story.
 */
export function playerTraces(sides: readonly ProviderSide[], entries: EntrySource, initialBalance: (playerId: string) => number, verdicts?: VerdictSink): PlayerTrace[] {
  const verdictsOf = (playerId: string): readonly Verdict[] => verdicts?.of(playerId) ?? [];
  const ledgers = ledgerSides(entries, sides, initialBalance, verdictsOf);
  return sides.map((side, i) => ({
    playerId: side.playerId,
    initialBalance: initialBalance(side.playerId),
    events: markOperations(merge(side.events, ledgers[i]!.wallet), verdictsOf(side.playerId)),
    finalBalance: ledgers[i]!.finalBalance,
    ops: side.ops,
    opsNotRecorded: side.opsNotRecorded,
    verdicts: verdictsOf(side.playerId),
  }));
}

/**
 * The wallet's lines (the ledger's entries, and the settlements it refused) placed among the
 * provider's events, each before the first event later than it; the provider's events keep the order they were recorded in, which is the order they
 * happened (in the real world an arrival may fire a little before its intended time, and a held
 * attempt counts from when it was asked for: sorting by time would put a send before its
 * opening). At a tie the entry goes first: a wallet applies and answers in one instant, and a
 * send cannot arrive in the instant it leaves, so an entry at the time of a provider's event
 * caused it, not the other way round.
 *
 * But never before the first send of its txId, whatever its time says: a wallet over HTTP may
 * give an entry's time to the millisecond only (appliedAt without appliedAtEpochMs), which
 * rounds it down to before a send in the same millisecond, and a wallet's clock may run behind
 * the load generator's. An entry waits for its send, and those after it in the ledger with it.
 */
function merge(provider: readonly TraceEvent[], applied: readonly WalletEvent[]): TraceEvent[] {
  const sendOf = (opId: number, txId: string) => `${opId} ${txId}`;
  // A txId no recorded send of the player carried sets no such bound.
  const everSent = new Set(provider.flatMap((e) => (e.type === 'sent' ? [sendOf(e.op.opId, e.txId)] : [])));
  const sent = new Set<string>();
  const mayGo = (a: WalletEvent, beforeMs: number) => {
    if (a.atMs > beforeMs) return false;
    if (a.op === undefined) return true;
    const send = sendOf(a.op.opId, a.txId);
    return sent.has(send) || !everSent.has(send);
  };
  const out: TraceEvent[] = [];
  let next = 0;
  for (const e of provider) {
    while (next < applied.length && mayGo(applied[next]!, e.atMs)) out.push(applied[next++]!);
    out.push(e);
    if (e.type === 'sent') sent.add(sendOf(e.op.opId, e.txId));
  }
  while (next < applied.length) out.push(applied[next++]!);
  return out;
}

/**
 * The checker's verdicts about the player's operations, each on the line it is about. An
 * entry's is on the entry already (the ledger side put it there). An operation's goes on its
 * outcome line (ended ok, failed…), or, for an answer DUPLICATE_MISMATCH, on that answer; so
 * does one about an entry booked to another player for one of this player's operations (a
 * mismatch, whose entry is in the other player's story). A balance's has no line: the
 * renderer prints it under the headline. Verdicts about operations past the recording bound
 * have no line either.
 */
function markOperations(events: TraceEvent[], verdicts: readonly Verdict[]): TraceEvent[] {
  if (verdicts.length === 0) return events;
  const shown = new Set(events.flatMap((e) => (e.type === 'applied' ? [e.entry] : [])));
  const anchors = operationAnchors(events);
  const marks = new Map<number, Verdict[]>();
  for (const v of verdicts) {
    if (('entry' in v && shown.has(v.entry)) || !('opId' in v)) continue;
    const a = anchors.get(v.opId);
    const at = a === undefined ? undefined : v.kind === 'answer-mismatch' ? (a.mismatchAnswer ?? a.outcome) : a.outcome;
    if (at === undefined) continue;
    const list = marks.get(at);
    if (list === undefined) marks.set(at, [v]);
    else list.push(v);
  }
  return events.map((e, i) => {
    const m = marks.get(i);
    return m === undefined ? e : { ...e, verdicts: [...(e.verdicts ?? []), ...m] };
  });
}

/** Per operation of the story: its outcome line (else its last provider line), and its first answer DUPLICATE_MISMATCH. */
function operationAnchors(events: readonly TraceEvent[]): Map<number, { outcome: number; mismatchAnswer?: number }> {
  const anchors = new Map<number, { outcome: number; mismatchAnswer?: number; ended: boolean }>();
  events.forEach((e, i) => {
    // The wallet's lines are not the provider's: a refusal after the last of them is no outcome line.
    if (e.type === 'applied' || e.type === 'refused' || e.op === undefined) return;
    const a = anchors.get(e.op.opId) ?? { outcome: i, ended: false };
    anchors.set(e.op.opId, a);
    if (!a.ended) a.outcome = i;
    if (e.type === 'finished') a.ended = true;
    if ((e.type === 'answered' || e.type === 'late') && e.answer.code === 'DUPLICATE_MISMATCH') a.mismatchAnswer ??= i;
  });
  return anchors;
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
 * opening of the operation of the first line the checker judged wrong (a busy player's other
 * operations may push that line itself further: then it is shown, with the lines that follow
 * it), or from that line itself when it has no operation (an unexpected entry); else from the
 * start.
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
  const problem = events.findIndex((e) => e.verdicts !== undefined && e.verdicts.length > 0);
  if (problem < 0) return { problem: 0, opened: 0 };
  const opId = events[problem]!.op?.opId;
  const opened = opId === undefined ? -1 : events.findIndex((e) => e.type === 'opened' && e.op.opId === opId);
  return { problem, opened: opened >= 0 ? opened : problem };
}
