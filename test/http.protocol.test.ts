import { describe, expect, it } from 'vitest';
import { decodeMoneyRequest, decodeResponse, encodeMoneyRequest, fromWireEntry, statusFor, toWireEntry } from '../src/drivers/http/protocol.js';
import { RealClock } from '../src/drivers/real-clock.js';
import { RESULT_CODES } from '../src/domain/results.js';

describe('protocol codec', () => {
  it('round-trips every money request through the wire, op ref in the header', () => {
    const requests = [
      { kind: 'bet', txId: 'b1', playerId: 'p1', roundId: 'r1', amount: 500, currency: 'EUR', opRef: 3 },
      { kind: 'win', txId: 'w1', betTxId: 'b1', playerId: 'p1', roundId: 'r1', amount: 0, currency: 'EUR', opRef: 4 },
      { kind: 'rollback', txId: 'rb1', refTxId: 'b1', playerId: 'p1', opRef: 5 },
    ] as const;
    for (const r of requests) {
      expect(decodeMoneyRequest(r.kind, JSON.parse(encodeMoneyRequest(r)), String(r.opRef))).toEqual({ ok: true, request: r });
    }
    const prefixed = decodeMoneyRequest('win', JSON.parse(encodeMoneyRequest(requests[1], 'run1-')), undefined);
    expect(prefixed.ok && prefixed.request).toMatchObject({ txId: 'run1-w1', betTxId: 'run1-b1', roundId: 'run1-r1' });
    const noRef = decodeMoneyRequest('bet', JSON.parse(encodeMoneyRequest(requests[0])), 'not-a-number');
    expect(noRef.ok && noRef.request.opRef).toBeUndefined();
  });

  it('refuses an amount with what the ledger requires: a bet at least 1, a win at least 0, whole and safe', () => {
    const bet = { txId: 'b1', playerId: 'p1', roundId: 'r1', currency: 'EUR' };
    const win = { ...bet, txId: 'w1', betTxId: 'b1' };
    const why = (kind: 'bet' | 'win', amount: unknown) => {
      const d = decodeMoneyRequest(kind, { ...(kind === 'bet' ? bet : win), amount }, undefined);
      return d.ok ? 'ok' : d.message;
    };
    const forBet = `amount: must be a positive safe integer (minor units, 1 to ${Number.MAX_SAFE_INTEGER})`;
    const forWin = `amount: must be a safe integer >= 0 (minor units, 0 to ${Number.MAX_SAFE_INTEGER})`;
    for (const bad of [-5, 0, 1.5, 2 ** 53]) expect(why('bet', bad), String(bad)).toBe(forBet);
    for (const bad of [-5, 0.5, 2 ** 53]) expect(why('win', bad), String(bad)).toBe(forWin);
    expect([why('bet', 1), why('win', 0)]).toEqual(['ok', 'ok']);
    // Not a number at all: the type is what is wrong.
    expect(why('bet', '500')).toBe('amount: Invalid input: expected number, received string');
  });

  it('maps every result code to a status, 4xx for the client’s mistakes, 503 only for retriable ones', () => {
    for (const code of RESULT_CODES) {
      const status = statusFor({ code });
      if (code === 'OK') expect(status).toBe(200);
      else if (code === 'TEMPORARY_ERROR' || code === 'OVERLOADED') expect(status).toBe(503);
      else expect(status >= 400 && status < 500, code).toBe(true);
    }
    expect(statusFor({ code: 'OK', accepted: true })).toBe(202);
  });

  it('reads answers by their result code, and an unreadable answer as no answer', () => {
    expect(decodeResponse(200, '{"code":"OK","balance":5,"replay":true}')).toEqual({ code: 'OK', balance: 5, replay: true });
    expect(decodeResponse(202, '{"code":"OK"}')).toEqual({ code: 'OK', accepted: true });
    expect(decodeResponse(200, '{"code":"NOPE"}')).toBeUndefined();
    expect(decodeResponse(200, '<html>')).toBeUndefined();
    expect(decodeResponse(502, 'bad gateway')).toBeUndefined();
    expect(decodeResponse(503, 'busy')).toMatchObject({ code: 'OVERLOADED' });
  });

  it('keeps an audit entry’s content and time through the wire', () => {
    const entry = { seq: 7, txId: 'rb1', kind: 'rollback' as const, playerId: 'p1', delta: 500, refTxId: 'b1', opRef: 9, appliedAtMs: 1234.5 };
    const wire = toWireEntry(entry, 1_700_000_000_000);
    expect(wire).toMatchObject({ seq: 7, type: 'rollback', amount: 500, opRef: '9', appliedAt: '2023-11-14T22:13:21.234Z' });
    expect(fromWireEntry(wire, 1_700_000_000_000, 9)).toEqual(entry);
    const sent = toWireEntry({ ...entry, txId: 'run1-rb1', refTxId: 'run1-b1' }, 1_700_000_000_000);
    expect(fromWireEntry(sent, 1_700_000_000_000, 9, 'run1-')).toEqual(entry);
    expect(fromWireEntry(sent, 1_700_000_000_000, 9, 'run2-').txId).toBe('run1-rb1');
    expect(fromWireEntry({ ...toWireEntry({ ...entry, kind: 'bet', delta: -500 }, 0) }, 0, 9).delta).toBe(-500);
  });
});

describe('RealClock', () => {
  it('never runs a due callback inside the caller, runs a chain of them in one turn, and halts', async () => {
    const clock = new RealClock();
    const ran: number[] = [];
    let inside = true;
    clock.after(0, () => {
      expect(inside).toBe(false);
      ran.push(1);
      clock.after(-5, () => ran.push(2));
    });
    inside = false;
    expect(clock.pending).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(ran).toEqual([1, 2]);
    const cancelled = clock.after(0, () => ran.push(3));
    cancelled.cancel();
    clock.after(50, () => ran.push(4));
    expect(clock.pending).toBe(1);
    clock.halt();
    clock.after(0, () => ran.push(5));
    await new Promise((r) => setTimeout(r, 80));
    expect(ran).toEqual([1, 2]);
    expect(clock.pending).toBe(0);
  });
});
