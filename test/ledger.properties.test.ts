/**
 * Property tests of the ledger: random sequences of bets, wins and rollbacks over a few players,
 * drawn from small txId pools so that retries, exact replays, reused txIds with other content,
 * rollbacks of unknown bets and operations out of order are all frequent.
 *
 * Fixed seed and run count so the suite is reproducible and fast; explore further with
 * `FC_SEED=… FC_RUNS=5000 npx vitest run test/ledger.properties.test.ts`.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ledger, type LedgerEntry, type LedgerOptions, type PlayerAccount } from '../src/domain/ledger.js';
import type { MoneyRequest, WalletRequest } from '../src/domain/operations.js';
import type { ResultCode, WalletResponse } from '../src/domain/results.js';

const FC_PARAMS = {
  seed: Number(process.env.FC_SEED ?? 20_251_124),
  numRuns: Number(process.env.FC_RUNS ?? 300),
};

// ---- the world: three players (one in another currency), a stranger, small id pools --------

const PLAYER_IDS = ['p0', 'p1', 'p2'] as const;
const CURRENCY: Readonly<Record<string, string>> = { p0: 'EUR', p1: 'EUR', p2: 'USD' };
const BETS = 8;
const WINS = 8;
const ROLLBACKS = 8;

/** Most operations on bet k are coherent: its owner, its round, its usual stake. */
const owner = (k: number) => PLAYER_IDS[k % PLAYER_IDS.length]!;
const usualStake = (k: number) => 60 * (k + 1);

const arbPlayer = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...PLAYER_IDS) },
  { weight: 1, arbitrary: fc.constant('ghost') },
);

/** Occasional noise: another player, round or currency than the coherent one. */
const arbNoise = fc.oneof(
  { weight: 6, arbitrary: fc.constant(null) },
  {
    weight: 1,
    arbitrary: fc.record({
      player: fc.option(arbPlayer, { freq: 2 }),
      round: fc.option(fc.constantFrom('r0', 'r1', 'rX'), { freq: 2 }),
      currency: fc.option(fc.constantFrom('EUR', 'USD', 'GBP'), { freq: 2 }),
    }),
  },
);

const arbBadAmount = fc.constantFrom<unknown>(0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1, '100');

function coherent(k: number, noise: { player: string | null; round: string | null; currency: string | null } | null) {
  const playerId = noise?.player ?? owner(k);
  return {
    playerId,
    roundId: noise?.round ?? `r${k}`,
    currency: noise?.currency ?? CURRENCY[playerId] ?? 'EUR',
  };
}

const arbBet = fc
  .record({
    k: fc.nat(BETS - 1),
    amount: fc.oneof(
      { weight: 6, arbitrary: fc.constant<unknown>(null) }, // the usual stake of bet k
      { weight: 6, arbitrary: fc.integer({ min: 1, max: 600 }) },
      { weight: 1, arbitrary: arbBadAmount },
    ),
    noise: arbNoise,
  })
  .map(({ k, amount, noise }) => ({
    kind: 'bet' as const,
    txId: `b${k}`,
    ...coherent(k, noise),
    amount: (amount ?? usualStake(k)) as number,
  }));

const arbWin = fc
  .record({
    id: fc.nat(WINS - 1),
    k: fc.nat(BETS - 1),
    amount: fc.oneof(
      { weight: 3, arbitrary: fc.constant(0) },
      { weight: 8, arbitrary: fc.integer({ min: 0, max: 1500 }) },
      { weight: 1, arbitrary: arbBadAmount },
    ),
    noise: arbNoise,
  })
  .map(({ id, k, amount, noise }) => ({
    kind: 'win' as const,
    txId: `w${id}`,
    betTxId: `b${k}`,
    ...coherent(k, noise),
    amount: amount as number,
  }));

const arbRollback = fc
  .record({ id: fc.nat(ROLLBACKS - 1), k: fc.nat(BETS + 1), noise: arbNoise })
  .map(({ id, k, noise }) => ({
    kind: 'rollback' as const,
    txId: `rb${id}`,
    // k >= BETS: a rollback of a bet that is never sent
    refTxId: `b${k}`,
    playerId: coherent(k, noise).playerId,
  }));

type Step = { fresh: MoneyRequest } | { replayOf: number };

const arbStep: fc.Arbitrary<Step> = fc.oneof(
  { weight: 5, arbitrary: arbBet.map((fresh) => ({ fresh })) },
  { weight: 3, arbitrary: arbWin.map((fresh) => ({ fresh })) },
  { weight: 2, arbitrary: arbRollback.map((fresh) => ({ fresh })) },
  // an exact copy of an earlier request: a provider retry or an at-least-once redelivery
  { weight: 3, arbitrary: fc.nat().map((replayOf) => ({ replayOf })) },
);

interface Case {
  readonly players: readonly PlayerAccount[];
  readonly requests: readonly MoneyRequest[];
}

const arbCase: fc.Arbitrary<Case> = fc
  .record({
    balances: fc.tuple(...PLAYER_IDS.map(() => fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.integer({ min: 0, max: 2000 }) }))),
    steps: fc.array(arbStep, { minLength: 1, maxLength: 60, size: 'max' }),
  })
  .map(({ balances, steps }) => {
    const requests: MoneyRequest[] = [];
    for (const s of steps) {
      if ('fresh' in s) requests.push(s.fresh);
      else if (requests.length > 0) requests.push({ ...requests[s.replayOf % requests.length]! });
    }
    return {
      players: PLAYER_IDS.map((id, i) => ({ id, currency: CURRENCY[id]!, initialBalance: balances[i]! })),
      requests,
    };
  });

// ---- invariants ------------------------------------------------------------------------------

/** Content that identifies a request (opRef is bookkeeping, not content). */
const contentKey = (r: MoneyRequest) =>
  [r.kind, r.txId, r.playerId, 'roundId' in r ? r.roundId : '', 'betTxId' in r ? r.betTxId : '', 'refTxId' in r ? r.refTxId : '',
    'amount' in r ? `${typeof r.amount}:${String(r.amount)}` : '', 'currency' in r ? r.currency : ''].join('|');

const initialTotal = (players: readonly PlayerAccount[]) => players.reduce((s, p) => s + p.initialBalance, 0);

/** (b) conservation, (c) no negative balance, (d) balance = initial + the player's deltas. */
function checkBalances(ledger: Ledger, players: readonly PlayerAccount[], at: string): void {
  const balances = ledger.playerBalances();
  let sum = 0;
  for (const p of players) {
    const b = balances.get(p.id)!;
    sum += b;
    expect(b, `${at}: balance of ${p.id} is negative`).toBeGreaterThanOrEqual(0);
    const fromEntries = ledger.journal.toArray().filter((e) => e.playerId === p.id).reduce((s, e) => s + e.delta, p.initialBalance);
    expect(b, `${at}: balance of ${p.id} != initial + its entry deltas`).toBe(fromEntries);
  }
  expect(sum + ledger.houseBalance, `${at}: money not conserved`).toBe(initialTotal(players));
}

/** Per bet: one debit at most, refunds only of what was debited, never both a win and a refund. */
function checkBets(entries: readonly LedgerEntry[], at: string): void {
  const bets = new Map<string, LedgerEntry>();
  for (const e of entries) {
    if (e.kind !== 'bet') continue;
    expect(bets.has(e.txId), `${at}: bet ${e.txId} debited twice`).toBe(false);
    bets.set(e.txId, e);
  }
  const byRef = new Map<string, LedgerEntry[]>();
  for (const e of entries) if (e.refTxId !== undefined) byRef.set(e.refTxId, [...(byRef.get(e.refTxId) ?? []), e]);
  for (const [ref, settles] of byRef) {
    const bet = bets.get(ref);
    const wins = settles.filter((e) => e.kind === 'win');
    const refunds = settles.filter((e) => e.kind === 'rollback');
    const refunded = refunds.reduce((s, e) => s + e.delta, 0);
    expect(wins.length, `${at}: bet ${ref} won ${wins.length} times`).toBeLessThanOrEqual(1);
    if (bet === undefined) {
      expect(wins, `${at}: win paid for bet ${ref} that never debited`).toEqual([]);
      expect(refunded, `${at}: refund of bet ${ref} that never debited`).toBe(0);
      continue;
    }
    expect(refunded === 0 || refunded === -bet.delta, `${at}: bet ${ref} of ${-bet.delta} refunded ${refunded}`).toBe(true);
    if (wins.length > 0) expect(refunds, `${at}: bet ${ref} both won and rolled back`).toEqual([]);
    // tombstones: a rollback that overtook its bet means the bet never debits
    const firstRollback = refunds[0];
    if (firstRollback !== undefined) expect(bet.seq < firstRollback.seq, `${at}: bet ${ref} debited after its rollback`).toBe(true);
    for (const w of wins) expect(bet.seq < w.seq, `${at}: win before its bet ${ref}`).toBe(true);
  }
}

/** Answers the wallet decided on and must therefore replay (the others are stateless checks). */
const DECIDED: readonly ResultCode[] = ['OK', 'INSUFFICIENT_FUNDS', 'BET_NOT_FOUND', 'BET_ROLLED_BACK', 'ALREADY_SETTLED'];

interface Pass {
  readonly responses: WalletResponse[];
}

/** Applies every request, checking all invariants after each step. Idempotency on. */
function runChecked(c: Case, options: Partial<LedgerOptions> = {}): { ledger: Ledger; pass: Pass } {
  const ledger = new Ledger({ idempotency: true, players: c.players, ...options });
  const txIds = new Set<string>();
  const codeByContent = new Map<string, ResultCode>();
  const decisions = new Map<string, { req: MoneyRequest; res: WalletResponse }>();
  const responses: WalletResponse[] = [];
  c.requests.forEach((req, i) => {
    const at = `request ${i} ${JSON.stringify(req)}`;
    const before = ledger.journal.length;
    const res = ledger.apply(req, i);
    responses.push(res);
    const added = ledger.journal.slice(before);

    // an answer is applied exactly when it is a fresh OK, and then as exactly this request
    if (res.code === 'OK' && res.replay !== true) {
      expect(added.map((e) => [e.txId, e.kind, e.playerId]), at).toEqual([[req.txId, req.kind, req.playerId]]);
      expect(res.balance, `${at}: OK carries the new balance`).toBe(ledger.balanceOf(req.playerId));
    } else {
      expect(added, `${at}: ${res.code}${res.replay ? ' (replay)' : ''} must not change the ledger`).toEqual([]);
    }
    // (a) no txId is ever applied twice
    for (const e of added) {
      expect(txIds.has(e.txId), `${at}: txId ${e.txId} applied twice`).toBe(false);
      txIds.add(e.txId);
    }
    // a txId the wallet decided on: the same content replays that decision, other content is
    // refused (DUPLICATE_MISMATCH, unless a stateless check refuses it first)
    const decided = decisions.get(req.txId);
    if (decided !== undefined) {
      if (contentKey(decided.req) === contentKey(req)) {
        // the original decision, with the player's balance as it is now
        const current = ledger.balanceOf(req.playerId);
        expect(res, `${at}: a replay returns the original answer`).toEqual({ ...decided.res, balance: current, replay: true });
      } else {
        expect(['DUPLICATE_MISMATCH', 'INVALID_REQUEST', 'PLAYER_NOT_FOUND', 'CURRENCY_MISMATCH'], `${at}: txId reused with other content`).toContain(res.code);
      }
    } else if (DECIDED.includes(res.code)) {
      expect(res.replay, `${at}: first answer for this txId flagged as replay`).toBeUndefined();
      decisions.set(req.txId, { req, res });
    }
    // identical content always gets the same answer code ("a failed txId stays failed")
    const key = contentKey(req);
    const seen = codeByContent.get(key);
    if (seen !== undefined) expect(res.code, `${at}: same request, other answer`).toBe(seen);
    else codeByContent.set(key, res.code);

    checkBalances(ledger, c.players, at);
  });
  checkBets(ledger.journal.toArray(), 'end');
  return { ledger, pass: { responses } };
}

/** (e) the whole sequence sent again changes nothing and gets the same answers. */
function checkSecondPass(ledger: Ledger, c: Case, first: Pass): void {
  const balances = ledger.playerBalances();
  const house = ledger.houseBalance;
  const entries = ledger.journal.length;
  c.requests.forEach((req, i) => {
    const at = `second pass, request ${i} ${JSON.stringify(req)}`;
    const res = ledger.apply(req, 1_000_000 + i);
    const { replay: _r1, balance: _b1, ...again } = res;
    const { replay: _r2, balance: _b2, ...original } = first.responses[i]!;
    expect(res.code, at).toBe(original.code);
    if (DECIDED.includes(original.code)) {
      expect(res.replay, `${at}: a decided answer is replayed`).toBe(true);
      expect(again, at).toEqual(original);
      expect(res.balance, `${at}: a replay carries the current balance`).toBe(ledger.balanceOf(req.playerId));
    }
  });
  expect(ledger.journal.length, 'second pass appended entries').toBe(entries);
  expect(ledger.playerBalances(), 'second pass changed balances').toEqual(balances);
  expect(ledger.houseBalance, 'second pass changed the house').toBe(house);
}

// ---- the properties --------------------------------------------------------------------------

describe('ledger properties (idempotency on)', () => {
  it('keeps every invariant after every step, and a full second pass changes nothing', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const { ledger, pass } = runChecked(c);
        checkSecondPass(ledger, c, pass);
      }),
      FC_PARAMS,
    );
  });

  it('keeps every invariant when the same traffic arrives in another order', () => {
    fc.assert(
      fc.property(
        arbCase.chain((c) => fc.shuffledSubarray([...c.requests], { minLength: c.requests.length }).map((requests) => ({ ...c, requests }))),
        (c) => {
          const { ledger, pass } = runChecked(c);
          checkSecondPass(ledger, c, pass);
        },
      ),
      FC_PARAMS,
    );
  });
});

describe('ledger properties (idempotency off: the naive wallet)', () => {
  it('still conserves money and never goes negative: duplicates move money between player and house', () => {
    fc.assert(
      fc.property(arbCase, (c) => {
        const ledger = new Ledger({ idempotency: false, players: c.players });
        c.requests.forEach((req, i) => {
          const res = ledger.apply(req, i);
          expect(res.replay, 'no replays without idempotency').toBeUndefined();
          checkBalances(ledger, c.players, `request ${i} ${JSON.stringify(req)}`);
        });
        expect(ledger.replays).toBe(0);
      }),
      FC_PARAMS,
    );
  });
});

describe('the properties can fail (generator and checks are not vacuous)', () => {
  const failsOn = (options: Partial<LedgerOptions>) =>
    fc.check(
      fc.property(arbCase, (c) => {
        runChecked(c, options);
      }),
      FC_PARAMS,
    );

  it('a wallet without idempotency is caught applying a txId twice', () => {
    const out = failsOn({ idempotency: false });
    expect(out.failed).toBe(true);
    expect(String(out.errorInstance)).toMatch(/applied twice|debited twice|a replay returns the original answer|must not change the ledger|same request, other answer/);
  });

  it('a wallet without tombstones is caught debiting a bet after its rollback', () => {
    const out = failsOn({ safety: { tombstones: false } });
    expect(out.failed).toBe(true);
    expect(String(out.errorInstance)).toMatch(/debited after its rollback|same request, other answer/);
  });

  it('the generator reaches every wallet answer, replays included', () => {
    const codes = new Set<string>();
    for (const c of fc.sample(arbCase, { seed: FC_PARAMS.seed, numRuns: 200 })) {
      const ledger = new Ledger({ idempotency: true, players: c.players });
      c.requests.forEach((req, i) => {
        const res = ledger.apply(req as WalletRequest, i);
        codes.add(res.replay ? `${res.code}+replay` : res.code);
      });
    }
    for (const code of [
      'OK', 'OK+replay', 'INSUFFICIENT_FUNDS', 'INSUFFICIENT_FUNDS+replay', 'DUPLICATE_MISMATCH', 'BET_NOT_FOUND',
      'BET_ROLLED_BACK', 'ALREADY_SETTLED', 'PLAYER_NOT_FOUND', 'CURRENCY_MISMATCH', 'INVALID_REQUEST',
    ]) {
      expect(codes, code).toContain(code);
    }
  });
});
