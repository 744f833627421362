import { describe, expect, it } from 'vitest';
import type { LedgerEntry } from '../src/domain/journal.js';
import { entrySourceOf } from '../src/trace/ledger-side.js';
import type { AppliedEvent, TracedOp } from '../src/trace/model.js';
import type { ProviderSide } from '../src/trace/recorder.js';
import { renderTraces } from '../src/trace/render.js';
import { playerTraces } from '../src/trace/timeline.js';

/**
 * A player past the recording bound (MAX_OPS_PER_PLAYER): operations opened after it are not in
 * the trace, but their entries still move the player's money. The entries shown must carry the
 * balance the ledger really had after them, and the headline the player's real final balance.
 */
describe('trace: balances past the recording bound', () => {
  const kept: TracedOp & { sentTxIds: string[] } = { opId: 0, kind: 'bet', amount: 100, txId: 'b0', attempts: 2, sentTxIds: ['b0'] };
  const side: ProviderSide = {
    playerId: 'p0',
    events: [{ type: 'opened', atMs: 0, op: kept }],
    ops: [kept],
    opsNotRecorded: 2,
    firstUnrecordedOpId: 1,
    refusals: [],
  };
  const entry = (seq: number, txId: string, delta: number, opRef: number): LedgerEntry => ({ seq, txId, kind: delta < 0 ? 'bet' : 'win', playerId: 'p0', delta, opRef, appliedAtMs: seq + 1 });
  // b0 applied; b1 (not recorded) applied; b0 applied again (a naive wallet's retry); w1 (not recorded) applied.
  const entries = [entry(0, 'b0', -100, 0), entry(1, 'b1', -50, 1), entry(2, 'b0', -100, 0), entry(3, 'w1', 30, 2)];
  const [trace] = playerTraces([side], entrySourceOf(entries), () => 1000);

  it('each entry shown has the balance after every entry before it, recorded or not', () => {
    const applied = trace!.events.filter((e): e is AppliedEvent => e.type === 'applied');
    expect(applied.map((e) => [e.txId, e.balanceAfter])).toEqual([
      ['b0', 900],
      ['b0', 750],
    ]);
  });

  it('the headline ends at the final balance', () => {
    expect(renderTraces([{ model: 'request', players: [trace!] }], { color: false, limit: 0 })).toContain('balance 1,000 → 780');
  });
});
