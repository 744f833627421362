import { describe, expect, it } from 'vitest';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import { runVirtual, type VirtualRun } from '../src/sim/world.js';
import type { AppliedEvent, PlayerTrace, TracedOp, TraceEvent } from '../src/trace/model.js';
import { renderTraces } from '../src/trace/render.js';

/** retry-storm, shortened: the storm still outlasts the queue's second of latency, so retries double-charge. */
const STORM = ['traffic.phases.0.durationSec=1', 'traffic.phases.1.durationSec=15', 'traffic.phases.2.durationSec=3', 'players.count=500'];

function run(overrides: readonly string[], trace?: readonly string[], scenario = 'retry-storm'): VirtualRun {
  const compiled = compileScenario(loadScenario(scenario, [...STORM.filter(() => scenario === 'retry-storm'), ...overrides]).scenario);
  return runVirtual(compiled, 'request', 7, { trace });
}

const traceOf = (r: VirtualRun): PlayerTrace => r.trace!.players[0]!;
const eventsOf = (t: PlayerTrace, op: TracedOp): TraceEvent[] => t.events.filter((e) => e.op?.opId === op.opId);
const applied = (events: readonly TraceEvent[]) => events.filter((e): e is AppliedEvent => e.type === 'applied');

describe('--trace: the story of one player (retry-storm, request-driven)', () => {
  const naive = run(['wallet.idempotency=off']);
  const player = naive.firstProblemPlayer!;
  const traced = run(['wallet.idempotency=off'], [player]);

  it('records nothing and changes nothing when not asked: the report is the same with a trace', () => {
    expect(naive.trace).toBeUndefined();
    expect(player).toMatch(/^p\d+$/);
    expect(JSON.stringify(traced.report)).toBe(JSON.stringify(naive.report));
  });

  it('with idempotency off, shows the operation applied twice and the attempts that caused it', () => {
    const t = traceOf(traced);
    const dup = applied(t.events).find((e) => e.duplicate)!;
    expect(dup, 'a ledger entry marked duplicate').toBeDefined();
    expect(dup.nth).toBe(2);
    // The checker's first problem line names this operation: the trace finds the same one.
    expect(naive.report.consistency.problems[0]).toContain(`${dup.op!.kind} ${dup.op!.txId} of ${player} applied`);
    const story = eventsOf(t, dup.op!);
    const sent = story.filter((e): e is Extract<TraceEvent, { type: 'sent' }> => e.type === 'sent');
    expect(sent.length).toBeGreaterThanOrEqual(2);
    expect(new Set(sent.map((e) => e.txId)).size, 'the retry carried the same txId').toBe(1);
    // An attempt timed out before the second entry: the provider retried what the wallet had already applied.
    const firstEntry = story.indexOf(applied(story)[0]!);
    const timeout = story.findIndex((e) => e.type === 'timed-out');
    const secondSend = story.findIndex((e) => e.type === 'sent' && e.attempt === 2);
    expect(timeout).toBeGreaterThan(0);
    expect(secondSend).toBeGreaterThan(timeout);
    expect(story.indexOf(dup)).toBeGreaterThan(secondSend);
    expect(firstEntry).toBeLessThan(story.indexOf(dup));
    // Balances follow the player's entries: each is the one before it plus the entry's delta.
    const entries = applied(t.events);
    entries.forEach((e, i) => expect(e.balanceAfter).toBe((i === 0 ? t.initialBalance : entries[i - 1]!.balanceAfter) + e.delta));
  });

  it('with idempotency on, the retry is answered as a replay and the ledger has one entry', () => {
    const t = traceOf(run([], [player]));
    expect(applied(t.events).some((e) => e.duplicate)).toBe(false);
    const replayed = t.ops.filter((op) => eventsOf(t, op).some((e) => (e.type === 'answered' || e.type === 'late') && e.answer.replay));
    expect(replayed.length, `an operation of ${player} answered as a replay`).toBeGreaterThan(0);
    for (const op of replayed) {
      expect(eventsOf(t, op).filter((e) => e.type === 'sent').length).toBeGreaterThanOrEqual(2);
      expect(applied(eventsOf(t, op)).map((e) => e.nth)).toEqual([1]);
    }
  });

  it('with a new txId per retry, says so, and finds the retry\'s entry under its operation', () => {
    const t = traceOf(run(['provider.retry.txId=new'], [player]));
    const dup = applied(t.events).find((e) => e.duplicate)!;
    expect(dup.txId).toBe(`${dup.op!.txId}.2`);
    const resent = eventsOf(t, dup.op!).find((e) => e.type === 'sent' && e.attempt === 2);
    expect(resent).toMatchObject({ txId: dup.txId, newTxId: true });
    expect(renderTraces([{ model: 'request', players: [t] }], { color: false, limit: 0 })).toContain(`attempt 2 sent as ${dup.txId}, a new txId`);
  });

  it('names the txId a rollback refers to: after retries under new txIds, the last one, not the bet\'s first', () => {
    // The provider rolls back an indeterminate bet by the txId of its last attempt (b5.3), so the
    // first attempt's charge (b5) stays: the trace must not say the rollback was for b5.
    const t = traceOf(run(['provider.retry.txId=new'], [player]));
    const sentTxIds = (op: TracedOp) => eventsOf(t, op).flatMap((e) => (e.type === 'sent' ? [e.txId] : []));
    const rollbacks = t.ops.filter((op) => op.kind === 'rollback');
    const renamed = rollbacks.filter((rb) => {
      const bet = t.ops.find((op) => op.kind === 'bet' && sentTxIds(op).includes(rb.betTxId!))!;
      expect(rb.betTxId, `rollback ${rb.txId} names a txId its bet was sent with`).toBe(sentTxIds(bet).at(-1));
      return rb.betTxId !== bet.txId;
    });
    expect(renamed.length, `a rollback of ${player} after retries under new txIds`).toBeGreaterThan(0);
    const text = renderTraces([{ model: 'request', players: [t] }], { color: false, limit: 0 });
    const rb = renamed[0]!;
    expect(text).toContain(`rollback ${rb.txId} opened for bet ${rb.betTxId} (of ${rb.betTxId!.replace(/\.\d+$/, '')})`);
  });

  it('prints the same story for the same scenario and seed', () => {
    const again = run(['wallet.idempotency=off'], [player]);
    const text = (r: VirtualRun) => renderTraces([r.trace!], { color: false, limit: 0 });
    expect(text(again)).toBe(text(traced));
    expect(text(traced)).toContain('◀ DUPLICATE');
  });
});

describe('--trace: an answer lost on its way back (the responseLoss fault)', () => {
  it('shows the lost answer, the timeout and the retry that charged again', () => {
    const loss = ['traffic.phases.0.durationSec=5', 'wallet.idempotency=off', 'faults.responseLoss={rate: 0.05}', 'players.count=200'];
    const player = run(loss, undefined, 'steady').firstProblemPlayer!;
    const t = traceOf(run(loss, [player], 'steady'));
    const dup = applied(t.events).find((e) => e.duplicate)!;
    const story = eventsOf(t, dup.op!).map((e) => e.type);
    // The wallet applied the first attempt, then its answer was lost: the provider timed out and sent it again.
    expect(story.slice(0, 6)).toEqual(['opened', 'sent', 'applied', 'answer-lost', 'timed-out', 'sent']);
    expect(story[6]).toBe('applied');
  });
});

describe("--trace: settlements the wallet refused when its log applied them get the wallet's line", () => {
  const lowBalance = compileScenario(loadScenario('low-balance', []).scenario);
  const story = (model: 'request' | 'event' | 'hybrid') => runVirtual(lowBalance, model, 17, { trace: ['p100'] }).trace!.players[0]!;

  it('event-driven: one refused line per settlement refused, after its send, with the code the checker judged it by', () => {
    const t = story('event');
    const refused = t.events.filter((e): e is Extract<TraceEvent, { type: 'refused' }> => e.type === 'refused');
    const late = (t.verdicts ?? []).filter((v) => v.kind === 'rejected-late');
    expect(late.length).toBeGreaterThan(0);
    // Each operation refused late has its refusal line, with the verdict's code (the first refusal is the one judged).
    expect(refused.map((e) => [e.op.opId, e.code])).toEqual(late.map((v) => [v.opId, v.code]));
    for (const e of refused) expect(t.events.findIndex((x) => x.type === 'sent' && x.op.opId === e.op.opId)).toBeLessThan(t.events.indexOf(e));
  });

  it('request-driven: none, its answer carries the refusal and the provider shows it', () => {
    const t = story('request');
    expect(t.events.some((e) => e.type === 'answered' && e.answer.code === 'INSUFFICIENT_FUNDS')).toBe(true);
    expect(t.events.some((e) => e.type === 'refused')).toBe(false);
  });
});
