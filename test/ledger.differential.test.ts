/**
 * The ledger against its reference (test/support/ledger-reference.ts, the ledger before its txId
 * state moved into columns): random sequences of apply (with and without dedupe), reserve, post
 * and balance calls, over small txId pools so that replays, mismatches, tombstones, expiries and
 * the naive wallet's second reservations are all frequent. Every answer must be the same object
 * shape, keys in the same order (the HTTP server serialises answers as they are), and so must
 * the entries, balances and replay count.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ledger, type PlayerAccount } from '../src/domain/ledger.js';
import { validationProblem, type BetRequest, type MoneyRequest, type WalletRequest } from '../src/domain/operations.js';
import { ReferenceLedger } from './support/ledger-reference.js';

const FC_PARAMS = {
  seed: Number(process.env.FC_SEED ?? 20_251_125),
  numRuns: Number(process.env.FC_RUNS ?? 300),
};

const PLAYERS: readonly PlayerAccount[] = [
  { id: 'p0', currency: 'EUR', initialBalance: 500 },
  { id: 'p1', currency: 'EUR', initialBalance: 2000 },
  { id: 'p2', currency: 'USD', initialBalance: 300 },
];

const arbPlayer = fc.constantFrom('p0', 'p1', 'p2', 'p0', 'p1', 'ghost');
const arbRound = fc.constantFrom('r0', 'r1', 'r2');
const arbCurrency = fc.constantFrom('EUR', 'EUR', 'EUR', 'USD');
/** Bet txIds include what the naive wallet names its second reservations ("b0#1"). */
const arbBetTxId = fc.constantFrom('b0', 'b1', 'b2', 'b0#1');
const arbAmount = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(50, 100, 400, 900) },
  { weight: 1, arbitrary: fc.constantFrom<unknown>(0, -0, -5, 1.5, Number.NaN, '100', Number.MAX_SAFE_INTEGER) },
);

const arbBet = fc
  .record({ txId: arbBetTxId, playerId: arbPlayer, roundId: arbRound, amount: arbAmount, currency: arbCurrency, opRef: fc.nat(9) })
  .map((r) => ({ kind: 'bet' as const, ...r, amount: r.amount as number }));

const arbWin = fc
  .record({
    txId: fc.constantFrom('w0', 'w1', 'w2', 'b0'),
    betTxId: fc.oneof(arbBetTxId, fc.constantFrom('w1', 'rb0')),
    playerId: arbPlayer,
    roundId: arbRound,
    amount: fc.oneof(fc.constant(0), arbAmount),
    currency: arbCurrency,
  })
  .map((r) => ({ kind: 'win' as const, ...r, amount: r.amount as number }));

const arbRollback = fc
  .record({ txId: fc.constantFrom('rb0', 'rb1', 'rb2', 'rb3', 'rb4', 'b9'), refTxId: fc.oneof(arbBetTxId, fc.constantFrom('b9', 'rb0', 'w0')), playerId: arbPlayer })
  .map((r) => ({ kind: 'rollback' as const, ...r }));

const arbOddity = fc.constantFrom<WalletRequest>(
  { kind: 'balance', playerId: 'p1' },
  { kind: 'balance', playerId: 'ghost' },
  { kind: 'bet', txId: '', playerId: 'p1', roundId: 'r0', amount: 5, currency: 'EUR' },
  { kind: 'jackpot', txId: 'j1', playerId: 'p1' } as unknown as WalletRequest,
);

const arbRequest: fc.Arbitrary<WalletRequest> = fc.oneof(
  { weight: 5, arbitrary: arbBet },
  { weight: 4, arbitrary: arbWin },
  { weight: 3, arbitrary: arbRollback },
  { weight: 1, arbitrary: arbOddity },
);

type Call =
  | { op: 'apply'; req: WalletRequest; dedupe: boolean | undefined; dtMs: number }
  | { op: 'reserve'; req: BetRequest; ttlMs: number; dtMs: number }
  | { op: 'post'; key: number; req: BetRequest; dtMs: number }
  /** An earlier apply or reserve sent again, the same request: a retry or a redelivery. */
  | { op: 'again'; of: number; dtMs: number };

const arbDt = fc.integer({ min: 0, max: 40 });
const arbCall: fc.Arbitrary<Call> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant('apply' as const), req: arbRequest, dedupe: fc.constantFrom(undefined, undefined, true, false), dtMs: arbDt }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('reserve' as const), req: arbBet, ttlMs: fc.integer({ min: 0, max: 120 }), dtMs: arbDt }) },
  // key: an index into the keys reserve returned so far, or (past them) a bet txId of the pool
  { weight: 4, arbitrary: fc.record({ op: fc.constant('post' as const), key: fc.nat(12), req: arbBet, dtMs: arbDt }) },
  { weight: 6, arbitrary: fc.record({ op: fc.constant('again' as const), of: fc.nat(), dtMs: arbDt }) },
);

/** Resolves each `again` to a copy of the earlier call it repeats (dropped if there is none). */
function withRetries(calls: readonly Call[]): Call[] {
  const out: Call[] = [];
  for (const call of calls) {
    if (call.op !== 'again') {
      out.push(call);
      continue;
    }
    const earlier = out.filter((c) => c.op === 'apply' || c.op === 'reserve');
    const repeated = earlier[call.of % Math.max(1, earlier.length)];
    if (repeated !== undefined) out.push({ ...repeated, req: { ...repeated.req }, dtMs: call.dtMs } as Call);
  }
  return out;
}

/** The same object, keys in the same order, nested included. */
function expectSame(actual: unknown, expected: unknown, at: string): void {
  expect(actual, at).toStrictEqual(expected);
  expect(JSON.stringify(actual), at).toBe(JSON.stringify(expected));
  if (actual !== null && typeof actual === 'object') expect(Object.keys(actual), at).toEqual(Object.keys(expected as object));
}

/**
 * Whether a log-backed wallet's API would admit `req` and hand it to the ledger's *Admitted entry
 * points: valid, and its player known (ApiGate.admit's first checks).
 */
function admissible(ledger: Ledger, req: WalletRequest): req is MoneyRequest {
  return req.kind !== 'balance' && validationProblem(req) === null && ledger.currencyOf(req.playerId) !== undefined;
}

/** What ApiGate.admit hands the consumer for an admissible request. */
function admission(ledger: Ledger, req: MoneyRequest): number {
  return ledger.admission(ledger.accountIndexOf(req.playerId), ledger.admitTxId(req.txId));
}

/**
 * `admitted`: every request the API would admit goes to applyAdmitted or reserveAdmitted under
 * the id admitTxId gives its txId, and each post of a reservation made so to postAt under the key's
 * id, as the event-driven and hybrid wallets do; the answers must not change.
 */
function runBoth(calls: readonly Call[], idempotency: boolean, tombstones: boolean, admitted = false): void {
  const options = { idempotency, players: PLAYERS, safety: { tombstones } };
  const ledger = new Ledger(options);
  const reference = new ReferenceLedger(options);
  const keys: string[] = [];
  /** The admission of the post of each key in `keys` (reserveAdmitted's), or -1. */
  const postAdmissions: number[] = [];
  /** The player of the reservation of each key in `keys`. */
  const reservedBy: string[] = [];
  let nowMs = 0;
  calls.forEach((call, i) => {
    nowMs += call.dtMs;
    const at = `call ${i} (${call.op})`;
    if (call.op === 'apply') {
      const dedupe = call.dedupe;
      const req = call.req;
      const got =
        admitted && admissible(ledger, req) ? ledger.applyAdmitted(req, admission(ledger, req), nowMs, dedupe)
        : dedupe === undefined ? ledger.apply(req, nowMs)
        : ledger.apply(req, nowMs, dedupe);
      const want = dedupe === undefined ? reference.apply(call.req, nowMs) : reference.apply(call.req, nowMs, dedupe);
      expectSame(got, want, at);
    } else if (call.op === 'reserve') {
      const req = call.req;
      const reservation = admitted && admissible(ledger, req) ? ledger.reserveAdmitted(req, admission(ledger, req), nowMs, call.ttlMs) : undefined;
      const got = reservation === undefined ? ledger.reserve(req, nowMs, call.ttlMs) : { response: reservation.response, key: reservation.key };
      const want = reference.reserve(req, nowMs, call.ttlMs);
      expectSame(got, want, at);
      keys.push(want.key);
      postAdmissions.push(reservation?.postAdmission ?? -1);
      reservedBy.push(req.playerId);
    } else if (call.op === 'post') {
      const key = keys[call.key] ?? `b${call.key - keys.length}`;
      const postAdmission = postAdmissions[call.key] ?? -1;
      // A post names the reserved bet's player: another request posts under the key's name only.
      const got = postAdmission >= 0 && call.req.playerId === reservedBy[call.key] ? ledger.postAdmitted(postAdmission, call.req, nowMs) : ledger.post(key, call.req, nowMs);
      expectSame(got, reference.post(key, call.req, nowMs), at);
    }
  });
  expect(ledger.journal.length).toBe(reference.entries.length);
  ledger.journal.toArray().forEach((e, i) => expectSame(e, reference.entries[i], `entry ${i}`));
  expect(ledger.playerBalances()).toEqual(reference.playerBalances());
  expect(ledger.houseBalance).toBe(reference.houseBalance);
  expect(ledger.replays).toBe(reference.replays);
  for (const id of ['p0', 'p1', 'p2', 'ghost']) expect(ledger.balanceOf(id)).toBe(reference.balanceOf(id));
}

describe('ledger vs the reference ledger', () => {
  for (const idempotency of [true, false]) {
    for (const tombstones of [true, false]) {
      it(`answers every call the same (idempotency ${idempotency ? 'on' : 'off'}, tombstones ${tombstones ? 'on' : 'off'})`, () => {
        fc.assert(
          fc.property(fc.array(arbCall, { minLength: 1, maxLength: 80, size: 'max' }), (calls) => runBoth(withRetries(calls), idempotency, tombstones)),
          FC_PARAMS,
        );
      });
      it(`answers the same through the entry points for admitted requests (idempotency ${idempotency ? 'on' : 'off'}, tombstones ${tombstones ? 'on' : 'off'})`, () => {
        fc.assert(
          fc.property(fc.array(arbCall, { minLength: 1, maxLength: 80, size: 'max' }), (calls) => runBoth(withRetries(calls), idempotency, tombstones, true)),
          FC_PARAMS,
        );
      });
    }
  }
});
