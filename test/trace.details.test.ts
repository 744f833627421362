/**
 * Details of a trace against a real wallet: an entry whose time the wallet gave to the
 * millisecond only, and an attempt the load generator never sent.
 */
import { describe, expect, it } from 'vitest';
import { fromWireEntry } from '../src/drivers/http/protocol.js';
import type { MoneyRequest } from '../src/domain/operations.js';
import { entrySourceOf } from '../src/trace/ledger-side.js';
import { TraceRecorder } from '../src/trace/recorder.js';
import { renderTraces } from '../src/trace/render.js';
import { playerTraces } from '../src/trace/timeline.js';

const text = (recorder: TraceRecorder, entries: Parameters<typeof entrySourceOf>[0] = []) =>
  renderTraces([{ model: 'target', players: playerTraces(recorder.providerSides(), entrySourceOf(entries), () => 1000, recorder.verdicts) }], { color: false, limit: 0 });

const lines = (story: string) => story.split('\n').slice(2, -1).map((l) => l.replace(/^ +[\d,.]+ {2}/, ''));

describe('trace: an entry is never shown before the send of its attempt', () => {
  it('a wallet that gives appliedAt to the millisecond only: the entry, rounded down before its send, follows it', () => {
    const recorder = new TraceRecorder(['p1']);
    // The load generator's clock started at epoch 1,000,000.4 ms: the bet goes out at run time
    // 100.3 (epoch 1,000,100.7), the wallet applies it at epoch 1,000,100.9 and answers at run 100.8.
    const clockEpochMs = 1_000_000.4;
    recorder.opened(0, { kind: 'bet', playerId: 'p1', amount: 100, intendedAtMs: 100.3, phase: 0 });
    recorder.attemptSent(0, 'b0', 1, 100.3);
    recorder.answered(0, { code: 'OK', balance: 900 }, 100.8);
    recorder.finished(0, 'ok', 100.8);
    const appliedAt = new Date(clockEpochMs + 100.5).toISOString(); // '…:40.100Z': the .9 is gone
    const entry = fromWireEntry({ seq: 0, txId: 'b0', type: 'bet', playerId: 'p1', amount: 100, appliedAt }, clockEpochMs, 0);
    expect(entry.appliedAtMs).toBeLessThan(100.3);
    expect(lines(text(recorder, [entry]))).toEqual([
      'provider  bet b0 opened: 100',
      'provider  b0 attempt 1 sent',
      'wallet    b0 bet -100 applied, balance 900',
      'provider  b0 attempt 1 answered OK, balance 900',
      'provider  b0 bet ended ok after 1 attempt',
    ]);
  });

  it('keeps the ledger order: an entry after it waits with it', () => {
    const recorder = new TraceRecorder(['p1']);
    recorder.opened(0, { kind: 'bet', playerId: 'p1', amount: 100, intendedAtMs: 10, phase: 0 });
    recorder.attemptSent(0, 'b0', 1, 10);
    recorder.opened(1, { kind: 'bet', playerId: 'p1', amount: 50, intendedAtMs: 10.5, phase: 0 });
    recorder.attemptSent(1, 'b1', 1, 10.5);
    const entries = [
      { seq: 0, txId: 'b1', kind: 'bet' as const, playerId: 'p1', delta: -50, opRef: 1, appliedAtMs: 10 },
      { seq: 1, txId: 'b0', kind: 'bet' as const, playerId: 'p1', delta: -100, opRef: 0, appliedAtMs: 10 },
    ];
    expect(lines(text(recorder, entries))).toEqual([
      'provider  bet b0 opened: 100',
      'provider  b0 attempt 1 sent',
      'provider  bet b1 opened: 50',
      'provider  b1 attempt 1 sent',
      'wallet    b1 bet -50 applied, balance 950',
      'wallet    b0 bet -100 applied, balance 850',
    ]);
  });
});

describe('trace: an attempt the transport dropped', () => {
  it('is shown as never sent, with why, at the time it was asked for; the next attempt is sent', () => {
    const recorder = new TraceRecorder(['p1']);
    const request: MoneyRequest = { kind: 'bet', txId: 'b0', playerId: 'p1', roundId: 'r0', amount: 100, currency: 'EUR', opRef: 0 };
    recorder.opened(0, { kind: 'bet', playerId: 'p1', amount: 100, intendedAtMs: 0, phase: 0 });
    recorder.attemptSent(0, 'b0', 1, 0);
    recorder.timedOut(0, 1000);
    recorder.attemptSent(0, 'b0', 2, 1500);
    // The first attempt waited for a connection until it had timed out; the transport gives it up later.
    recorder.attemptDropped(request, 1, 'waited-past-timeout', 1200);
    recorder.answered(0, { code: 'OK', balance: 900 }, 1510);
    expect(lines(text(recorder))).toEqual([
      'provider  bet b0 opened: 100',
      'provider  b0 attempt 1 never sent: it waited for a free connection until it had timed out',
      'provider  b0 attempt 1 timed out: no answer in time',
      'provider  b0 attempt 2 sent again, same txId',
      'provider  b0 attempt 2 answered OK, balance 900',
    ]);
  });

  it('says why for each reason a transport gives', () => {
    for (const [why, said] of [
      ['wait-list-full', 'every connection was busy and the wait list full'],
      ['stopped', 'the load generator had stopped sending'],
    ] as const) {
      const recorder = new TraceRecorder(['p1']);
      recorder.opened(3, { kind: 'win', playerId: 'p1', amount: 5, intendedAtMs: 0, phase: 0 });
      recorder.attemptSent(3, 'w1', 1, 0);
      recorder.attemptDropped({ kind: 'win', txId: 'w1', betTxId: 'b1', playerId: 'p1', roundId: 'r1', amount: 5, currency: 'EUR', opRef: 3 }, 1, why, 0);
      expect(lines(text(recorder))[1]).toBe(`provider  w1 attempt 1 never sent: ${said}`);
    }
  });
});
