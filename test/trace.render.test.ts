import { describe, expect, it } from 'vitest';
import type { ModelTrace, TracedOp } from '../src/trace/model.js';
import { renderTraces } from '../src/trace/render.js';

const bet: TracedOp = { opId: 0, kind: 'bet', amount: 500, txId: 'b1', attempts: 1 };

describe('renderTraces', () => {
  it('says when the wallet side is missing, instead of claiming an empty ledger', () => {
    const trace: ModelTrace = {
      model: 'target',
      ledgerUnread: 'the target has no audit endpoint',
      players: [{ playerId: 'p3', initialBalance: 1000, ops: [bet], opsNotRecorded: 0, events: [{ type: 'opened', atMs: 12.34, op: bet }] }],
    };
    expect(renderTraces([trace], { color: false, limit: 0 })).toBe(
      ['', 'trace p3 · target · 1 operation · times in run ms', '  no wallet side: the target has no audit endpoint', '  12.3  provider  bet b1 opened: 500', ''].join('\n'),
    );
  });

  it('names a player without operations, and an entry no attempt sent', () => {
    const trace: ModelTrace = {
      model: 'request',
      players: [
        { playerId: 'p1', initialBalance: 1000, ops: [], opsNotRecorded: 0, events: [] },
        {
          playerId: 'p2',
          initialBalance: 1000,
          ops: [],
          opsNotRecorded: 2,
          events: [{ type: 'applied', atMs: 5, entry: 0, op: undefined, txId: 'x9', kind: 'bet', delta: -10, balanceAfter: 990, nth: 1, duplicate: false, verdicts: [{ kind: 'unexpected', entry: 0 }] }],
          verdicts: [{ kind: 'unexpected', entry: 0 }],
        },
      ],
    };
    const text = renderTraces([trace], { color: false, limit: 0 });
    expect(text).toContain('trace p1 · request · 0 operations, 0 ledger entries, balance 1,000 → 1,000 · times in run ms\n  no operations in this run\n');
    expect(text).toContain('trace p2 · request · 0 operations, 1 ledger entry, 1 unexpected, balance 1,000 → 990');
    expect(text).toContain('  5.0  wallet    x9 bet -10 applied, balance 990  ◀ UNEXPECTED: no attempt sent it');
    expect(text).toContain('(the trace kept the first 0 operations; 2 later ones were not recorded)');
  });
});
