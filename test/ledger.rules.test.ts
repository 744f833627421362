/**
 * The ledger rules of DESIGN.md ("Wallet semantics"), one table row per rule.
 *
 * Each row starts a fresh ledger, applies its steps in order and, after every step, checks:
 * - the response, exactly (`toEqual`: a fresh answer must not carry `replay`);
 * - the entries appended by that step, exactly (none unless the step lists some);
 * - that each player's balance moved by exactly the deltas of those entries (so a step that
 *   appends nothing must leave every balance alone), plus any balances the step spells out;
 * - money conservation: player balances + house == initial total, and house == -(sum of deltas).
 */
import { describe, expect, it } from 'vitest';
import { Ledger, type LedgerEntry, type PlayerAccount } from '../src/domain/ledger.js';
import type { BalanceRequest, BetRequest, RollbackRequest, WalletRequest, WinRequest } from '../src/domain/operations.js';
import type { WalletResponse } from '../src/domain/results.js';

const PLAYERS: readonly PlayerAccount[] = [
  { id: 'p1', currency: 'EUR', initialBalance: 1000 },
  { id: 'p2', currency: 'EUR', initialBalance: 500 },
  { id: 'p3', currency: 'USD', initialBalance: 1000 },
];
const INITIAL_TOTAL = PLAYERS.reduce((s, p) => s + p.initialBalance, 0);

// ---- request builders (defaults: player p1, round r1, EUR) -------------------------------

const bet = (txId: string, amount: number, over: Partial<BetRequest> = {}): BetRequest => ({
  kind: 'bet', txId, playerId: 'p1', roundId: 'r1', amount, currency: 'EUR', ...over,
});
const win = (txId: string, betTxId: string, amount: number, over: Partial<WinRequest> = {}): WinRequest => ({
  kind: 'win', txId, betTxId, playerId: 'p1', roundId: 'r1', amount, currency: 'EUR', ...over,
});
const rollback = (txId: string, refTxId: string, over: Partial<RollbackRequest> = {}): RollbackRequest => ({
  kind: 'rollback', txId, refTxId, playerId: 'p1', ...over,
});
const balance = (playerId: string): BalanceRequest => ({ kind: 'balance', playerId });
/** A request that does not type-check: what a buggy or hostile provider may send. */
const raw = (req: Record<string, unknown>) => req as unknown as WalletRequest;

// ---- expected responses and entries ------------------------------------------------------

const ok = (bal: number): WalletResponse => ({ code: 'OK', balance: bal });
const replayed = (r: WalletResponse): WalletResponse => ({ ...r, replay: true });
const fail = (code: WalletResponse['code'], bal: number): WalletResponse => ({ code, balance: bal });
const withMessage = (code: WalletResponse['code']) => ({ code, message: expect.any(String) }) as WalletResponse;
/** A duplicate mismatch also carries the player's current balance. */
const mismatch = () => ({ code: 'DUPLICATE_MISMATCH', balance: expect.any(Number), message: expect.any(String) }) as WalletResponse;

type EntryShape = Pick<LedgerEntry, 'txId' | 'kind' | 'playerId' | 'delta' | 'refTxId' | 'opRef'>;
const entry = (txId: string, kind: LedgerEntry['kind'], delta: number, over: Partial<EntryShape> = {}): EntryShape => ({
  txId, kind, playerId: 'p1', delta, refTxId: undefined, opRef: undefined, ...over,
});

interface Step {
  readonly req: WalletRequest;
  readonly expect: WalletResponse;
  /** Entries this step appends, in order. Default: none. */
  readonly entries?: readonly EntryShape[];
  /** Balances to spell out after this step (the others are still derived and checked). */
  readonly balances?: Readonly<Record<string, number>>;
  readonly house?: number;
}

interface Row {
  readonly name: string;
  readonly idempotency: boolean;
  readonly steps: readonly Step[];
  /** Replays counted by the ledger at the end. */
  readonly replays?: number;
}

const ON = true;
const OFF = false;

const ROWS: Row[] = [
  // ---- debits and replays ----
  {
    name: 'a bet debits the stake and moves it to the house',
    idempotency: ON,
    steps: [
      { req: bet('b1', 300, { opRef: 7 }), expect: ok(700), entries: [entry('b1', 'bet', -300, { opRef: 7 })], balances: { p1: 700 }, house: 300 },
      { req: bet('b2', 700, { playerId: 'p1' }), expect: ok(0), entries: [entry('b2', 'bet', -700)], balances: { p1: 0 }, house: 1000 },
      { req: balance('p1'), expect: ok(0) },
    ],
  },
  {
    name: 'a replay of a bet (same txId, same content) returns the original result, flagged, and changes nothing',
    idempotency: ON,
    replays: 3,
    steps: [
      { req: bet('b1', 300, { opRef: 1 }), expect: ok(700), entries: [entry('b1', 'bet', -300, { opRef: 1 })] },
      { req: bet('b1', 300, { opRef: 1 }), expect: replayed(ok(700)), balances: { p1: 700 } },
      { req: bet('b2', 200), expect: ok(500), entries: [entry('b2', 'bet', -200)] },
      // the original result code with the balance as it is now; opRef is not part of the content
      { req: bet('b1', 300, { opRef: 2 }), expect: replayed(ok(500)), balances: { p1: 500 }, house: 500 },
      { req: bet('b2', 200), expect: replayed(ok(500)) },
    ],
  },
  {
    name: 'replays of a win and of a rollback change nothing',
    idempotency: ON,
    replays: 2,
    steps: [
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req: win('w1', 'b1', 900), expect: ok(1600), entries: [entry('w1', 'win', 900, { refTxId: 'b1' })] },
      { req: win('w1', 'b1', 900), expect: replayed(ok(1600)), balances: { p1: 1600 }, house: -600 },
      { req: bet('b2', 100, { roundId: 'r2' }), expect: ok(1500), entries: [entry('b2', 'bet', -100)] },
      { req: rollback('rb2', 'b2'), expect: ok(1600), entries: [entry('rb2', 'rollback', 100, { refTxId: 'b2' })] },
      { req: rollback('rb2', 'b2'), expect: replayed(ok(1600)), balances: { p1: 1600 }, house: -600 },
    ],
  },

  // ---- same txId, different content ----
  ...(
    [
      ['amount', bet('b1', 301)],
      ['player', bet('b1', 300, { playerId: 'p2' })],
      ['round', bet('b1', 300, { roundId: 'r9' })],
      ['kind (a win reusing the bet txId)', win('b1', 'b1', 10)],
      ['kind (a rollback reusing the bet txId)', rollback('b1', 'b1')],
    ] as const
  ).map(([what, req]): Row => ({
    name: `a known bet txId with a different ${what} is DUPLICATE_MISMATCH and changes nothing`,
    idempotency: ON,
    replays: 1,
    steps: [
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req, expect: mismatch(), balances: { p1: 700, p2: 500 }, house: 300 },
      // the original is still known and replays
      { req: bet('b1', 300), expect: replayed(ok(700)) },
    ],
  })),
  {
    name: 'a known win txId with a different amount or bet is DUPLICATE_MISMATCH',
    idempotency: ON,
    steps: [
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req: win('w1', 'b1', 50), expect: ok(750), entries: [entry('w1', 'win', 50, { refTxId: 'b1' })] },
      { req: win('w1', 'b1', 5000), expect: mismatch(), balances: { p1: 750 } },
      { req: win('w1', 'b2', 50), expect: mismatch(), balances: { p1: 750 } },
    ],
  },
  {
    name: 'a known rollback txId naming another bet is DUPLICATE_MISMATCH',
    idempotency: ON,
    steps: [
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req: bet('b2', 200, { roundId: 'r2' }), expect: ok(500), entries: [entry('b2', 'bet', -200)] },
      { req: rollback('rb1', 'b1'), expect: ok(800), entries: [entry('rb1', 'rollback', 300, { refTxId: 'b1' })] },
      { req: rollback('rb1', 'b2'), expect: mismatch(), balances: { p1: 800 }, house: 200 },
    ],
  },

  // ---- rollbacks ----
  {
    name: 'a rollback refunds an open bet; the bet can then not be won',
    idempotency: ON,
    steps: [
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req: rollback('rb1', 'b1', { opRef: 3 }), expect: ok(1000), entries: [entry('rb1', 'rollback', 300, { refTxId: 'b1', opRef: 3 })], house: 0 },
      { req: win('w1', 'b1', 500), expect: fail('BET_ROLLED_BACK', 1000) },
    ],
  },
  {
    name: 'a rollback before its bet succeeds, leaves a tombstone, and the late bet is BET_ROLLED_BACK and debits nothing',
    idempotency: ON,
    replays: 1,
    steps: [
      { req: rollback('rb1', 'b1'), expect: ok(1000), entries: [entry('rb1', 'rollback', 0, { refTxId: 'b1' })] },
      { req: bet('b1', 300), expect: fail('BET_ROLLED_BACK', 1000), balances: { p1: 1000 }, house: 0 },
      // the provider retries the bet: still refused, still nothing debited
      { req: bet('b1', 300), expect: replayed(fail('BET_ROLLED_BACK', 1000)), balances: { p1: 1000 } },
      // the refused bet never existed as far as wins are concerned
      { req: win('w1', 'b1', 500), expect: fail('BET_NOT_FOUND', 1000) },
    ],
  },
  {
    name: 'a rollback after a win is ALREADY_SETTLED (wins are never rolled back)',
    idempotency: ON,
    steps: [
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req: win('w1', 'b1', 600), expect: ok(1300), entries: [entry('w1', 'win', 600, { refTxId: 'b1' })] },
      { req: rollback('rb1', 'b1'), expect: fail('ALREADY_SETTLED', 1300), balances: { p1: 1300 }, house: -300 },
      // a failed txId stays failed
      { req: rollback('rb1', 'b1'), expect: replayed(fail('ALREADY_SETTLED', 1300)) },
    ],
  },
  {
    name: 'a second, different rollback of the same bet succeeds without refunding twice',
    idempotency: ON,
    steps: [
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req: rollback('rb1', 'b1'), expect: ok(1000), entries: [entry('rb1', 'rollback', 300, { refTxId: 'b1' })] },
      { req: rollback('rb2', 'b1'), expect: ok(1000), entries: [entry('rb2', 'rollback', 0, { refTxId: 'b1' })], balances: { p1: 1000 }, house: 0 },
      { req: rollback('rb3', 'b1'), expect: ok(1000), entries: [entry('rb3', 'rollback', 0, { refTxId: 'b1' })], balances: { p1: 1000 }, house: 0 },
    ],
  },
  {
    name: 'two rollbacks of a bet never seen: neither refunds, and the bet still cannot debit',
    idempotency: ON,
    steps: [
      { req: rollback('rb1', 'b1'), expect: ok(1000), entries: [entry('rb1', 'rollback', 0, { refTxId: 'b1' })] },
      { req: rollback('rb2', 'b1'), expect: ok(1000), entries: [entry('rb2', 'rollback', 0, { refTxId: 'b1' })] },
      { req: bet('b1', 300), expect: fail('BET_ROLLED_BACK', 1000), balances: { p1: 1000 }, house: 0 },
    ],
  },

  {
    name: "a rollback naming a win's txId is INVALID_REQUEST: no money moves, no tombstone, the round stays won, a retry replays it",
    idempotency: ON,
    replays: 1,
    steps: [
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req: win('w1', 'b1', 600), expect: ok(1300), entries: [entry('w1', 'win', 600, { refTxId: 'b1' })] },
      { req: rollback('rb1', 'w1'), expect: { code: 'INVALID_REQUEST', message: 'rollback rb1 names win w1, not a bet' }, balances: { p1: 1300 }, house: -300 },
      { req: rollback('rb1', 'w1'), expect: { code: 'INVALID_REQUEST', message: 'rollback rb1 names win w1, not a bet', balance: 1300, replay: true } },
      { req: rollback('rb2', 'b1'), expect: fail('ALREADY_SETTLED', 1300), balances: { p1: 1300 } },
      // a win the ledger refused is still a win: its txId names no bet either
      { req: win('w9', 'b9', 100, { roundId: 'r9' }), expect: fail('BET_NOT_FOUND', 1300) },
      { req: rollback('rb9', 'w9'), expect: { code: 'INVALID_REQUEST', message: 'rollback rb9 names win w9, not a bet' }, balances: { p1: 1300 }, house: -300 },
    ],
  },
  {
    name: "a rollback naming a rollback's txId is INVALID_REQUEST and refunds nothing again",
    idempotency: ON,
    steps: [
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req: rollback('rb1', 'b1'), expect: ok(1000), entries: [entry('rb1', 'rollback', 300, { refTxId: 'b1' })] },
      { req: rollback('rb2', 'rb1'), expect: { code: 'INVALID_REQUEST', message: 'rollback rb2 names rollback rb1, not a bet' }, balances: { p1: 1000 }, house: 0 },
    ],
  },

  {
    name: 'a rollback naming itself (refTxId = txId) is INVALID_REQUEST: no entry, no tombstone, a retry replays it',
    idempotency: ON,
    replays: 1,
    steps: [
      { req: rollback('rb1', 'rb1'), expect: { code: 'INVALID_REQUEST', message: 'rollback rb1 names itself' }, balances: { p1: 1000 }, house: 0 },
      { req: rollback('rb1', 'rb1'), expect: { code: 'INVALID_REQUEST', message: 'rollback rb1 names itself', balance: 1000, replay: true } },
      // the txId is taken by the refused rollback, as any remembered txId is
      { req: bet('rb1', 100), expect: mismatch(), balances: { p1: 1000 }, house: 0 },
    ],
  },
  {
    name: 'a win naming itself (betTxId = txId) is INVALID_REQUEST, not BET_NOT_FOUND: no bet can come under that txId, a retry replays it',
    idempotency: ON,
    replays: 1,
    steps: [
      { req: win('w1', 'w1', 500), expect: { code: 'INVALID_REQUEST', message: 'win w1 names itself' }, balances: { p1: 1000 }, house: 0 },
      { req: win('w1', 'w1', 500), expect: { code: 'INVALID_REQUEST', message: 'win w1 names itself', balance: 1000, replay: true } },
      { req: bet('w1', 100), expect: mismatch(), balances: { p1: 1000 }, house: 0 },
    ],
  },
  {
    name: "a win naming a win's or a rollback's txId is INVALID_REQUEST: no money moves, no bet is closed, a retry replays it",
    idempotency: ON,
    replays: 1,
    steps: [
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req: win('w1', 'b1', 600), expect: ok(1300), entries: [entry('w1', 'win', 600, { refTxId: 'b1' })] },
      { req: bet('b2', 200, { roundId: 'r2' }), expect: ok(1100), entries: [entry('b2', 'bet', -200)] },
      { req: win('w9', 'w1', 500), expect: { code: 'INVALID_REQUEST', message: 'win w9 names win w1, not a bet' }, balances: { p1: 1100 }, house: -100 },
      { req: win('w9', 'w1', 500), expect: { code: 'INVALID_REQUEST', message: 'win w9 names win w1, not a bet', balance: 1100, replay: true } },
      { req: rollback('rb2', 'b2'), expect: ok(1300), entries: [entry('rb2', 'rollback', 200, { refTxId: 'b2' })] },
      { req: win('w8', 'rb2', 500, { roundId: 'r2' }), expect: { code: 'INVALID_REQUEST', message: 'win w8 names rollback rb2, not a bet' }, balances: { p1: 1300 } },
      // a win the ledger refused is still a win: its txId names no bet either
      { req: win('w7', 'b7', 100, { roundId: 'r7' }), expect: fail('BET_NOT_FOUND', 1300) },
      { req: win('w6', 'w7', 100, { roundId: 'r7' }), expect: { code: 'INVALID_REQUEST', message: 'win w6 names win w7, not a bet' }, balances: { p1: 1300 }, house: -300 },
    ],
  },

  // ---- insufficient funds ----
  {
    name: 'INSUFFICIENT_FUNDS carries the balance and a failed txId stays failed after a top-up',
    idempotency: ON,
    replays: 1,
    steps: [
      { req: bet('b1', 600, { playerId: 'p2' }), expect: fail('INSUFFICIENT_FUNDS', 500), balances: { p2: 500 }, house: 0 },
      { req: bet('b2', 400, { playerId: 'p2', roundId: 'r2' }), expect: ok(100), entries: [entry('b2', 'bet', -400, { playerId: 'p2' })] },
      { req: win('w2', 'b2', 1000, { playerId: 'p2', roundId: 'r2' }), expect: ok(1100), entries: [entry('w2', 'win', 1000, { playerId: 'p2', refTxId: 'b2' })] },
      // enough money now, but the same txId keeps its original failure (the balance it carries
      // is deliberately not pinned here: see the report about stale balances in replays)
      {
        req: bet('b1', 600, { playerId: 'p2' }),
        expect: { code: 'INSUFFICIENT_FUNDS', balance: expect.any(Number), replay: true },
        balances: { p2: 1100 },
        house: -600,
      },
    ],
  },
  {
    name: 'a bet of exactly the balance is accepted; one unit more is not',
    idempotency: ON,
    steps: [
      { req: bet('b1', 501, { playerId: 'p2' }), expect: fail('INSUFFICIENT_FUNDS', 500) },
      { req: bet('b2', 500, { playerId: 'p2' }), expect: ok(0), entries: [entry('b2', 'bet', -500, { playerId: 'p2' })] },
      { req: bet('b3', 1, { playerId: 'p2' }), expect: fail('INSUFFICIENT_FUNDS', 0), balances: { p2: 0 } },
    ],
  },

  // ---- wins ----
  {
    name: 'a zero win is OK and closes the bet',
    idempotency: ON,
    steps: [
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req: win('w1', 'b1', 0), expect: ok(700), entries: [entry('w1', 'win', 0, { refTxId: 'b1' })], house: 300 },
      { req: win('w2', 'b1', 500), expect: fail('ALREADY_SETTLED', 700) },
      { req: rollback('rb1', 'b1'), expect: fail('ALREADY_SETTLED', 700), balances: { p1: 700 }, house: 300 },
    ],
  },
  {
    name: 'a second win on the same bet is ALREADY_SETTLED',
    idempotency: ON,
    steps: [
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req: win('w1', 'b1', 450), expect: ok(1150), entries: [entry('w1', 'win', 450, { refTxId: 'b1' })] },
      { req: win('w2', 'b1', 450), expect: fail('ALREADY_SETTLED', 1150), balances: { p1: 1150 }, house: -150 },
      { req: win('w2', 'b1', 450), expect: replayed(fail('ALREADY_SETTLED', 1150)) },
    ],
  },
  {
    name: 'a win for an unknown bet is BET_NOT_FOUND',
    idempotency: ON,
    steps: [
      { req: win('w1', 'nope', 100), expect: fail('BET_NOT_FOUND', 1000), balances: { p1: 1000 }, house: 0 },
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req: win('w2', 'b2', 100), expect: fail('BET_NOT_FOUND', 700) },
    ],
  },
  {
    name: 'a win naming another player or round than its bet is refused',
    idempotency: ON,
    steps: [
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req: win('w1', 'b1', 100, { playerId: 'p2' }), expect: withMessage('INVALID_REQUEST'), balances: { p1: 700, p2: 500 } },
      { req: win('w2', 'b1', 100, { roundId: 'r2' }), expect: withMessage('INVALID_REQUEST'), balances: { p1: 700 } },
      { req: rollback('rb1', 'b1', { playerId: 'p2' }), expect: withMessage('INVALID_REQUEST'), balances: { p1: 700, p2: 500 } },
      // the bet is still open
      { req: win('w3', 'b1', 100), expect: ok(800), entries: [entry('w3', 'win', 100, { refTxId: 'b1' })] },
    ],
  },

  // ---- unknown players and currencies ----
  {
    name: 'an unknown player is PLAYER_NOT_FOUND for every operation',
    idempotency: ON,
    steps: [
      { req: bet('b1', 300, { playerId: 'ghost' }), expect: { code: 'PLAYER_NOT_FOUND' } },
      { req: win('w1', 'b1', 300, { playerId: 'ghost' }), expect: { code: 'PLAYER_NOT_FOUND' } },
      { req: rollback('rb1', 'b1', { playerId: 'ghost' }), expect: { code: 'PLAYER_NOT_FOUND' } },
      { req: balance('ghost'), expect: { code: 'PLAYER_NOT_FOUND' }, house: 0 },
    ],
  },
  {
    name: 'a currency other than the player’s is CURRENCY_MISMATCH and changes nothing',
    idempotency: ON,
    steps: [
      { req: bet('b1', 300, { currency: 'USD' }), expect: fail('CURRENCY_MISMATCH', 1000) },
      { req: bet('b2', 300, { playerId: 'p3', currency: 'EUR' }), expect: fail('CURRENCY_MISMATCH', 1000) },
      { req: bet('b3', 300, { playerId: 'p3', currency: 'USD' }), expect: ok(700), entries: [entry('b3', 'bet', -300, { playerId: 'p3' })] },
      { req: win('w3', 'b3', 100, { playerId: 'p3', currency: 'EUR' }), expect: fail('CURRENCY_MISMATCH', 700), balances: { p1: 1000, p3: 700 }, house: 300 },
    ],
  },

  // ---- malformed requests ----
  ...invalidAmountRows(),
  {
    name: 'malformed identifiers are INVALID_REQUEST',
    idempotency: ON,
    steps: [
      { req: bet('', 300), expect: withMessage('INVALID_REQUEST') },
      { req: bet('b1', 300, { playerId: '' }), expect: withMessage('INVALID_REQUEST') },
      { req: bet('b1', 300, { roundId: '' }), expect: withMessage('INVALID_REQUEST') },
      { req: bet('b1', 300, { currency: '' }), expect: withMessage('INVALID_REQUEST') },
      { req: bet('x'.repeat(257), 300), expect: withMessage('INVALID_REQUEST') },
      { req: raw({ kind: 'bet', txId: 42, playerId: 'p1', roundId: 'r1', amount: 300, currency: 'EUR' }), expect: withMessage('INVALID_REQUEST') },
      { req: win('w1', '', 0), expect: withMessage('INVALID_REQUEST') },
      { req: rollback('rb1', ''), expect: withMessage('INVALID_REQUEST'), balances: { p1: 1000 }, house: 0 },
    ],
  },

  // ---- idempotency off: the naive wallet ----
  {
    name: 'idempotency off: a retried bet (same txId) debits twice',
    idempotency: OFF,
    replays: 0,
    steps: [
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req: bet('b1', 300), expect: ok(400), entries: [entry('b1', 'bet', -300)], balances: { p1: 400 }, house: 600 },
      { req: bet('b1', 300), expect: ok(100), entries: [entry('b1', 'bet', -300)], balances: { p1: 100 }, house: 900 },
      { req: bet('b1', 300), expect: fail('INSUFFICIENT_FUNDS', 100) },
    ],
  },
  {
    name: 'idempotency off: the same txId with other content is applied as new (no DUPLICATE_MISMATCH)',
    idempotency: OFF,
    steps: [
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req: bet('b1', 200), expect: ok(500), entries: [entry('b1', 'bet', -200)], house: 500 },
    ],
  },
  {
    name: 'idempotency off: bet state still guards wins and rollbacks from paying twice',
    idempotency: OFF,
    steps: [
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req: win('w1', 'b1', 400), expect: ok(1100), entries: [entry('w1', 'win', 400, { refTxId: 'b1' })] },
      { req: win('w1', 'b1', 400), expect: fail('ALREADY_SETTLED', 1100) },
      { req: bet('b2', 100, { roundId: 'r2' }), expect: ok(1000), entries: [entry('b2', 'bet', -100)] },
      { req: rollback('rb2', 'b2'), expect: ok(1100), entries: [entry('rb2', 'rollback', 100, { refTxId: 'b2' })] },
      { req: rollback('rb2', 'b2'), expect: ok(1100), entries: [entry('rb2', 'rollback', 0, { refTxId: 'b2' })], balances: { p1: 1100 }, house: -100 },
    ],
  },
  {
    name: 'idempotency off: a rollback naming an applied win or rollback is still refused, leaving no tombstone; a refused win is not remembered',
    idempotency: OFF,
    steps: [
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req: win('w1', 'b1', 600), expect: ok(1300), entries: [entry('w1', 'win', 600, { refTxId: 'b1' })] },
      { req: rollback('rb1', 'w1'), expect: { code: 'INVALID_REQUEST', message: 'rollback rb1 names win w1, not a bet' }, balances: { p1: 1300 } },
      // no tombstone on w1: the naive wallet takes a bet under that txId as new
      { req: bet('w1', 100, { roundId: 'r2' }), expect: ok(1200), entries: [entry('w1', 'bet', -100)] },
      { req: bet('b3', 100, { roundId: 'r3' }), expect: ok(1100), entries: [entry('b3', 'bet', -100)] },
      { req: rollback('rb3', 'b3'), expect: ok(1200), entries: [entry('rb3', 'rollback', 100, { refTxId: 'b3' })] },
      { req: rollback('rb4', 'rb3'), expect: { code: 'INVALID_REQUEST', message: 'rollback rb4 names rollback rb3, not a bet' }, balances: { p1: 1200 } },
      // without idempotency records a refused win leaves nothing: its txId is an unseen bet
      { req: win('w9', 'b9', 100, { roundId: 'r9' }), expect: fail('BET_NOT_FOUND', 1200) },
      { req: rollback('rb9', 'w9'), expect: ok(1200), entries: [entry('rb9', 'rollback', 0, { refTxId: 'w9' })], balances: { p1: 1200 }, house: -200 },
    ],
  },
  {
    name: 'idempotency off: a win naming an applied win or rollback is still refused; a refused win is not remembered; a bet under a win\'s txId is a bet',
    idempotency: OFF,
    steps: [
      { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
      { req: win('w1', 'b1', 600), expect: ok(1300), entries: [entry('w1', 'win', 600, { refTxId: 'b1' })] },
      { req: win('w9', 'w1', 500), expect: { code: 'INVALID_REQUEST', message: 'win w9 names win w1, not a bet' }, balances: { p1: 1300 } },
      { req: bet('b2', 200, { roundId: 'r2' }), expect: ok(1100), entries: [entry('b2', 'bet', -200)] },
      { req: rollback('rb2', 'b2'), expect: ok(1300), entries: [entry('rb2', 'rollback', 200, { refTxId: 'b2' })] },
      { req: win('w8', 'rb2', 500, { roundId: 'r2' }), expect: { code: 'INVALID_REQUEST', message: 'win w8 names rollback rb2, not a bet' }, balances: { p1: 1300 } },
      // without idempotency records a refused win leaves nothing: its txId is an unseen bet
      { req: win('w7', 'b7', 100, { roundId: 'r7' }), expect: fail('BET_NOT_FOUND', 1300) },
      { req: win('w6', 'w7', 100, { roundId: 'r7' }), expect: fail('BET_NOT_FOUND', 1300) },
      // the naive wallet takes a bet under a win's txId as new; a win naming it then finds that bet
      { req: bet('w1', 100, { roundId: 'r3' }), expect: ok(1200), entries: [entry('w1', 'bet', -100)] },
      { req: win('w5', 'w1', 50, { roundId: 'r3' }), expect: ok(1250), entries: [entry('w5', 'win', 50, { refTxId: 'w1' })], balances: { p1: 1250 }, house: -250 },
    ],
  },
  {
    name: 'idempotency off: a win naming itself is INVALID_REQUEST every time, and settles no bet the naive wallet took under its txId',
    idempotency: OFF,
    steps: [
      { req: win('w1', 'w1', 500), expect: { code: 'INVALID_REQUEST', message: 'win w1 names itself' }, balances: { p1: 1000 } },
      // the naive wallet takes a bet under that txId as new; the win still does not settle it
      { req: bet('w1', 100), expect: ok(900), entries: [entry('w1', 'bet', -100)] },
      { req: win('w1', 'w1', 500), expect: { code: 'INVALID_REQUEST', message: 'win w1 names itself' }, balances: { p1: 900 }, house: 100 },
      { req: win('w2', 'w1', 500), expect: ok(1400), entries: [entry('w2', 'win', 500, { refTxId: 'w1' })], balances: { p1: 1400 }, house: -400 },
    ],
  },
  {
    name: 'idempotency off: a rollback naming itself is INVALID_REQUEST every time, leaves no tombstone, and refunds no bet under its txId',
    idempotency: OFF,
    steps: [
      { req: rollback('rb1', 'rb1'), expect: { code: 'INVALID_REQUEST', message: 'rollback rb1 names itself' }, balances: { p1: 1000 } },
      { req: rollback('rb1', 'rb1'), expect: { code: 'INVALID_REQUEST', message: 'rollback rb1 names itself' }, balances: { p1: 1000 } },
      // no tombstone: the naive wallet takes a bet under that txId as new
      { req: bet('rb1', 100), expect: ok(900), entries: [entry('rb1', 'bet', -100)] },
      { req: rollback('rb1', 'rb1'), expect: { code: 'INVALID_REQUEST', message: 'rollback rb1 names itself' }, balances: { p1: 900 }, house: 100 },
      { req: rollback('rb2', 'rb1'), expect: ok(1000), entries: [entry('rb2', 'rollback', 100, { refTxId: 'rb1' })], balances: { p1: 1000 }, house: 0 },
    ],
  },
  {
    name: 'idempotency off: tombstones still refuse a bet that was rolled back before it arrived',
    idempotency: OFF,
    steps: [
      { req: rollback('rb1', 'b1'), expect: ok(1000), entries: [entry('rb1', 'rollback', 0, { refTxId: 'b1' })] },
      { req: bet('b1', 300), expect: fail('BET_ROLLED_BACK', 1000), balances: { p1: 1000 }, house: 0 },
    ],
  },
];

function invalidAmountRows(): Row[] {
  const bad: [string, unknown][] = [
    ['negative', -100],
    ['fractional', 10.5],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['above MAX_SAFE_INTEGER', Number.MAX_SAFE_INTEGER + 1],
    ['a numeric string', '100'],
    ['null', null],
    ['missing', undefined],
  ];
  const rows: Row[] = [
    {
      name: 'a bet of 0 is INVALID_REQUEST and changes nothing',
      idempotency: ON,
      steps: [{ req: bet('b1', 0), expect: withMessage('INVALID_REQUEST'), balances: { p1: 1000 }, house: 0 }],
    },
  ];
  for (const [label, amount] of bad) {
    rows.push({
      name: `an amount that is ${label} is INVALID_REQUEST for bets and wins, and changes nothing`,
      idempotency: ON,
      steps: [
        { req: bet('b1', 300), expect: ok(700), entries: [entry('b1', 'bet', -300)] },
        { req: raw({ ...bet('b2', 0, { roundId: 'r2' }), amount }), expect: withMessage('INVALID_REQUEST'), balances: { p1: 700 } },
        { req: raw({ ...win('w1', 'b1', 0), amount }), expect: withMessage('INVALID_REQUEST'), balances: { p1: 700 }, house: 300 },
        // the bet was not closed by the refused win
        { req: win('w2', 'b1', 0), expect: ok(700), entries: [entry('w2', 'win', 0, { refTxId: 'b1' })] },
      ],
    });
  }
  return rows;
}

// ---- the runner --------------------------------------------------------------------------

const pickEntry = (e: LedgerEntry): EntryShape => ({
  txId: e.txId, kind: e.kind, playerId: e.playerId, delta: e.delta, refTxId: e.refTxId, opRef: e.opRef,
});

describe('ledger rules (DESIGN.md, "Wallet semantics")', () => {
  it.each(ROWS.map((r) => [r.name, r] as const))('%s', (_name, row) => {
    const ledger = new Ledger({ idempotency: row.idempotency, players: PLAYERS });
    let balances = new Map(PLAYERS.map((p) => [p.id, p.initialBalance]));

    row.steps.forEach((step, i) => {
      const at = `step ${i + 1} (${JSON.stringify(step.req)})`;
      const nowMs = 10 * (i + 1);
      const before = ledger.journal.length;

      expect(ledger.apply(step.req, nowMs), at).toEqual(step.expect);

      const added = ledger.journal.slice(before);
      expect(added.map(pickEntry), `${at}: entries appended`).toEqual(step.entries ?? []);
      added.forEach((e, k) => {
        expect(e.seq, `${at}: seq`).toBe(before + k);
        expect(e.appliedAtMs, `${at}: appliedAtMs`).toBe(nowMs);
      });

      const expected = new Map(balances);
      for (const e of added) expected.set(e.playerId, expected.get(e.playerId)! + e.delta);
      for (const [id, b] of Object.entries(step.balances ?? {})) expect(expected.get(id), `${at}: spelled-out balance of ${id}`).toBe(b);
      expect(ledger.playerBalances(), `${at}: balances`).toEqual(expected);
      for (const [id, b] of expected) expect(ledger.balanceOf(id)).toBe(b);
      balances = expected;

      const playersTotal = [...balances.values()].reduce((s, b) => s + b, 0);
      expect(playersTotal + ledger.houseBalance, `${at}: conservation`).toBe(INITIAL_TOTAL);
      expect(ledger.houseBalance, `${at}: house`).toBe(-ledger.journal.toArray().reduce((s, e) => s + e.delta, 0) || 0);
      if (step.house !== undefined) expect(ledger.houseBalance, `${at}: house`).toBe(step.house);
    });

    if (row.replays !== undefined) expect(ledger.replays).toBe(row.replays);
  });

  it('the balance request of a known player reads without writing', () => {
    const ledger = new Ledger({ idempotency: true, players: PLAYERS });
    expect(ledger.apply(balance('p3'), 0)).toEqual(ok(1000));
    expect(ledger.journal.toArray()).toEqual([]);
    expect(ledger.balanceOf('ghost')).toBeUndefined();
  });
});
