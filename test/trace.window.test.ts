import { describe, expect, it } from 'vitest';
import type { TracedOp, TraceEvent } from '../src/trace/model.js';
import { traceWindow } from '../src/trace/timeline.js';

const op = (opId: number): TracedOp => ({ opId, kind: 'bet', amount: 100, txId: `b${opId}`, attempts: 1 });

/** A story of `n` lines: op 0 opened at `openAt`, applied at `firstAt` and again at `againAt`; other ops' lines around. */
function story(n: number, openAt: number, againAt: number): TraceEvent[] {
  const problem = op(0);
  return Array.from({ length: n }, (_, i): TraceEvent => {
    if (i === openAt) return { type: 'opened', atMs: i, op: problem };
    if (i === againAt) return { type: 'applied', atMs: i, entry: 1, op: problem, txId: 'b0', kind: 'bet', delta: -100, balanceAfter: 0, nth: 2, duplicate: true, verdicts: [{ kind: 'duplicate', entry: 1, opId: 0, nth: 2 }] };
    return { type: 'opened', atMs: i, op: op(i + 1) };
  });
}

describe('traceWindow: at most the limit, where the problem is', () => {
  it('keeps everything under the limit, and with 0', () => {
    expect(traceWindow(story(10, 2, 5), 10)).toMatchObject({ before: 0, after: 0 });
    expect(traceWindow(story(500, 2, 5), 0).events).toHaveLength(500);
  });

  it('starts a few lines before the opening of the operation applied twice', () => {
    const w = traceWindow(story(500, 200, 210), 20);
    expect(w.events).toHaveLength(20);
    expect(w.before).toBe(197);
    expect(w.after).toBe(500 - 197 - 20);
    expect(w.events[3]!.type === 'opened' && w.events[3]!.op.opId).toBe(0);
  });

  it('shows the duplicate itself and what follows when its opening is too far back', () => {
    const w = traceWindow(story(500, 100, 300), 10);
    expect(w.before).toBe(300 + 3 + 1 - 10);
    expect(w.events.some((e) => e.type === 'applied' && e.duplicate)).toBe(true);
  });

  it('starts at the beginning without a problem, and never runs past the end', () => {
    expect(traceWindow(story(500, 0, -1), 10)).toMatchObject({ before: 0, after: 490 });
    expect(traceWindow(story(500, 495, 498), 10)).toMatchObject({ before: 490, after: 0 });
  });
});
