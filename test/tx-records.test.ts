/**
 * The columnar idempotency records: replayed answers rebuilt with the same keys in the same order
 * as `{ ...answer, balance, replay: true }` for every kind of answer stored, RequestFields
 * agreeing with sameContent(), AcceptedTxIds answering like the Map it replaced, and the two
 * sharing one table of txIds without seeing each other's.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../src/domain/ledger.js';
import type { BetRequest, MoneyRequest, WalletRequest } from '../src/domain/operations.js';
import { sameContent } from '../src/domain/operations.js';
import { REQUEST_NUMBERS, REQUEST_REFS, RequestFields } from '../src/domain/request-fields.js';
import { NumberRows, RefRows } from '../src/util/columns.js';
import type { WalletResponse } from '../src/domain/results.js';
import { AcceptedTxIds } from '../src/models/accepted-txids.js';

const players = [
  { id: 'p1', currency: 'EUR', initialBalance: 1000 },
  { id: 'p2', currency: 'EUR', initialBalance: 1000 },
];
const bet = (txId: string, amount: number, over: Partial<BetRequest> = {}): BetRequest => ({
  kind: 'bet', txId, playerId: 'p1', roundId: 'r1', amount, currency: 'EUR', ...over,
});

/** Sends `req` twice (with other money moved in between) and checks the replay's exact shape. */
function expectReplay(ledger: Ledger, send: () => WalletResponse, expectedKeys: string[]): void {
  const first = send();
  ledger.apply(bet(`move-${Math.random()}`, 7), 1); // the balance changes: the replay must show the new one
  const again = send();
  const balance = ledger.availableOf('p1');
  expect(again).toStrictEqual({ ...first, balance, replay: true });
  expect(Object.keys(again)).toEqual(expectedKeys);
  expect(JSON.stringify(again)).toBe(JSON.stringify({ ...first, balance, replay: true }));
}

describe('replayed answers', () => {
  const fresh = () => new Ledger({ idempotency: true, players });

  it('an OK bet: code, balance, replay', () => {
    const ledger = fresh();
    expectReplay(ledger, () => ledger.apply(bet('b1', 100), 0), ['code', 'balance', 'replay']);
  });

  it('a hold (reservation): code, balance, accepted, replay', () => {
    const ledger = fresh();
    expectReplay(ledger, () => ledger.reserve(bet('b1', 100), 0, 1000).response, ['code', 'balance', 'accepted', 'replay']);
  });

  it('a failure with a balance: code, balance, replay', () => {
    const ledger = fresh();
    expectReplay(ledger, () => ledger.apply(bet('b1', 5000), 0), ['code', 'balance', 'replay']);
    expect(ledger.apply(bet('b1', 5000), 2).code).toBe('INSUFFICIENT_FUNDS');
  });

  it('INVALID_REQUEST with a balance: code, balance, message, replay', () => {
    const ledger = fresh();
    ledger.apply({ kind: 'rollback', txId: 'rb1', refTxId: 'b1', playerId: 'p2' }, 0);
    expectReplay(ledger, () => ledger.apply(bet('b1', 100), 0), ['code', 'balance', 'message', 'replay']);
    expect(ledger.apply(bet('b1', 100), 2).code).toBe('INVALID_REQUEST');
  });

  it('INVALID_REQUEST without a balance: code, message, balance, replay', () => {
    const ledger = fresh();
    ledger.apply(bet('b1', 100), 0);
    const win: WalletRequest = { kind: 'win', txId: 'w1', betTxId: 'b1', playerId: 'p1', roundId: 'r9', amount: 5, currency: 'EUR' };
    expectReplay(ledger, () => ledger.apply(win, 0), ['code', 'message', 'balance', 'replay']);
    expect(ledger.apply(win, 2).code).toBe('INVALID_REQUEST');
  });
});

// ---- RequestFields and AcceptedTxIds ---------------------------------------------------------

const arbRequest: fc.Arbitrary<MoneyRequest> = fc.oneof(
  fc.record({
    kind: fc.constant('bet' as const), txId: fc.constantFrom('t1', 't2'), playerId: fc.constantFrom('p1', 'p2'),
    roundId: fc.constantFrom('r1', 'r2'), amount: fc.constantFrom(0, -0, 1, 2, 2 ** 52), currency: fc.constantFrom('EUR', 'USD'),
  }),
  fc.record({
    kind: fc.constant('win' as const), txId: fc.constantFrom('t1', 't2'), betTxId: fc.constantFrom('t1', 'b2'), playerId: fc.constantFrom('p1', 'p2'),
    roundId: fc.constantFrom('r1', 'r2'), amount: fc.constantFrom(0, -0, 1, 2), currency: fc.constantFrom('EUR', 'USD'),
  }),
  fc.record({
    kind: fc.constant('rollback' as const), txId: fc.constantFrom('t1', 't2'), refTxId: fc.constantFrom('t1', 'b2'), playerId: fc.constantFrom('p1', 'p2'),
  }),
);

describe('RequestFields', () => {
  it('matches() agrees with sameContent() for any stored and incoming request, at any place in a row', () => {
    fc.assert(
      fc.property(arbRequest, arbRequest, fc.nat(3), fc.nat(3), (stored, incoming, firstNumber, firstRef) => {
        const numbers = new NumberRows(REQUEST_NUMBERS + firstNumber);
        const refs = new RefRows<string>(REQUEST_REFS + firstRef);
        numbers.ensure(0);
        refs.ensure(0);
        const fields = new RequestFields(numbers, refs, firstNumber, firstRef);
        expect(fields.has(0)).toBe(false);
        fields.store(0, stored);
        expect(fields.has(0)).toBe(true);
        expect(fields.matches(0, incoming)).toBe(sameContent(stored, incoming));
        fields.clear(0);
        expect(fields.has(0)).toBe(false);
      }),
      { seed: 20_251_125, numRuns: 2000 },
    );
  });
});

/** AcceptedTxIds as it was: a Map of the first request per txId. */
function referenceKnown(seen: Map<string, MoneyRequest>, request: MoneyRequest): WalletResponse | undefined {
  const first = seen.get(request.txId);
  if (first === undefined) {
    seen.set(request.txId, request);
    return undefined;
  }
  return sameContent(first, request) ? { code: 'OK', accepted: true, replay: true } : { code: 'DUPLICATE_MISMATCH', message: `txId ${request.txId} was used with different content` };
}

describe('AcceptedTxIds', () => {
  it('answers like the Map of first requests it replaced', () => {
    fc.assert(
      fc.property(fc.array(arbRequest, { maxLength: 60 }), (requests) => {
        const accepted = new AcceptedTxIds();
        const seen = new Map<string, MoneyRequest>();
        for (const r of requests) {
          const got = accepted.known(r);
          const want = referenceKnown(seen, r);
          expect(got).toStrictEqual(want);
          expect(JSON.stringify(got)).toBe(JSON.stringify(want));
        }
      }),
      { seed: 20_251_125, numRuns: 500 },
    );
  });

  it('remembers many txIds across growths', () => {
    const accepted = new AcceptedTxIds();
    const n = 150_000;
    const rollback = (i: number, ref = i) => ({ kind: 'rollback' as const, txId: `rb${i}`, refTxId: `b${ref}`, playerId: 'p1' });
    let wrong = 0;
    for (let i = 0; i < n; i++) if (accepted.known(rollback(i)) !== undefined) wrong++;
    for (let i = 0; i < n; i += 97) {
      if (accepted.known(rollback(i))?.replay !== true) wrong++;
      if (accepted.known(rollback(i, i + 1))?.code !== 'DUPLICATE_MISMATCH') wrong++;
    }
    expect(wrong).toBe(0);
  });
});

describe('a table of txIds shared by the ledger and the API in front of it', () => {
  it('keeps each store to the txIds it added: the other store sees them as unknown', () => {
    const ledger = new Ledger({ idempotency: true, players });
    const accepted = new AcceptedTxIds(ledger.txIdTable);
    // Enough txIds that each store's ids run past a page of rows the other one started.
    const n = 40_000;
    const win = (i: number) => ({ kind: 'win' as const, txId: `w${i}`, betTxId: `b${i}`, playerId: 'p1', roundId: `r${i}`, amount: 0, currency: 'EUR' });
    for (let i = 0; i < n; i++) expect(accepted.known(win(i))).toBeUndefined();
    // The ledger never saw the wins the API answered: each is told its bet is missing, not a replay.
    expect(ledger.apply(win(n - 1), 1)).toStrictEqual({ code: 'BET_NOT_FOUND', balance: 1000 });
    expect(ledger.apply(bet(`b${n}`, 10, { roundId: `r${n}` }), 1)).toStrictEqual({ code: 'OK', balance: 990 });
    // Nor did the API answer the bet the ledger took, and the win it answered is still known to it.
    expect(accepted.has(`b${n}`)).toBe(false);
    expect(accepted.known(win(0))).toStrictEqual({ code: 'OK', accepted: true, replay: true });
    expect(accepted.known(win(n + 5))).toBeUndefined();
    // txIds the ledger added past the last row the API has.
    for (let i = 1; i <= n; i++) ledger.apply(bet(`b${n + i}`, 1), 1);
    expect(accepted.has(`b${2 * n}`)).toBe(false);
    accepted.forget(`b${2 * n}`);
    expect(accepted.known(win(2 * n))).toBeUndefined();
  });
});
