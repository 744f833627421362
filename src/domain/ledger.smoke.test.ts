import { describe, expect, it } from 'vitest';
import { Ledger } from './ledger.js';

describe('ledger smoke', () => {
  it('debits a bet and replays it', () => {
    const ledger = new Ledger({ idempotency: true, players: [{ id: 'p1', currency: 'EUR', initialBalance: 1000 }] });
    const bet = { kind: 'bet', txId: 't1', playerId: 'p1', roundId: 'r1', amount: 300, currency: 'EUR' } as const;
    expect(ledger.apply(bet, 0)).toEqual({ code: 'OK', balance: 700 });
    expect(ledger.apply(bet, 1)).toEqual({ code: 'OK', balance: 700, replay: true });
    expect(ledger.balanceOf('p1')).toBe(700);
  });
});
