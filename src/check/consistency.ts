import type { LedgerEntry, PlayerAccount } from '../domain/ledger.js';
import type { RunReport } from '../report/model.js';
import type { LogicalOp } from './logical-op.js';

/** What the checker reads from the wallet at the end: its audit log and its balances. */
export interface LedgerSnapshot {
  readonly entries: readonly LedgerEntry[];
  readonly balances: ReadonlyMap<string, number>;
  /** The house account, when the wallet exposes it (the simulator does). */
  readonly houseBalance?: number;
}

type Counts = Pick<
  RunReport,
  'duplicates' | 'duplicateMinorUnits' | 'unrefundedRollbacks' | 'lost' | 'unexpected' | 'mismatches' | 'negativeBalances' | 'lateRejections' | 'failedEvents' | 'unsettled'
>;

export interface Verdict {
  readonly counts: Counts;
  readonly consistency: RunReport['consistency'];
}

const MAX_EXAMPLES = 5;

/**
 * Audits the final ledger against the logical operations the provider sent.
 * - every entry must belong to an attempt of a logical operation (else: unexpected);
 * - an operation with more than one entry was applied more than once (duplicate);
 * - an operation the provider saw succeed must have an entry (else: lost);
 * - per player, the balance must equal initial + entries, and lie between what definitely
 *   happened and what possibly happened (indeterminate attempts widen the range, as Jepsen's
 *   counter checker does); money is conserved across players and house.
 */
export function judgeLedger(ops: readonly LogicalOp[], players: readonly PlayerAccount[], ledger: LedgerSnapshot, mismatchAnswers: number): Verdict {
  const problems: string[] = [];
  const note = (text: string) => problems.length < MAX_EXAMPLES && problems.push(text);
  const initial = new Map(players.map((p) => [p.id, p.initialBalance] as const));
  const running = new Map(initial);
  const negative = new Set<string>();
  let unexpected = 0;
  let contentMismatches = 0;
  let duplicateMinorUnits = 0;

  for (const entry of ledger.entries) {
    const balance = (running.get(entry.playerId) ?? 0) + entry.delta;
    running.set(entry.playerId, balance);
    if (balance < 0) negative.add(entry.playerId);
    const op = entry.opRef === undefined ? undefined : ops[entry.opRef];
    if (op === undefined || op.kind !== entry.kind || !op.hasTxId(entry.txId)) {
      unexpected++;
      note(`unexpected ledger entry ${entry.kind} ${entry.txId} for ${entry.playerId}: no attempt sent it`);
      continue;
    }
    op.netDelta += entry.delta;
    if (++op.entries > 1) duplicateMinorUnits += Math.abs(entry.delta);
    if (!contentMatches(op, entry)) {
      contentMismatches++;
      note(`entry ${entry.txId} differs from what was sent (${entry.playerId}, delta ${entry.delta})`);
    }
  }

  const bounds = balanceBounds(ops, players);
  let duplicates = 0;
  let lost = 0;
  let lateRejections = 0;
  let failedEvents = 0;
  let unsettled = 0;
  let unrefundedRollbacks = 0;
  for (const op of ops) {
    // A rollback the provider saw succeed voids its bet: together they must not move money.
    if (op.kind === 'rollback' && op.applied === 'yes' && op.betOp >= 0) {
      const bet = ops[op.betOp]!;
      if (bet.netDelta + op.netDelta !== 0) {
        unrefundedRollbacks++;
        note(`bet ${firstTxId(bet)} of ${bet.playerId} was rolled back but still moved ${bet.netDelta + op.netDelta}`);
      }
    }
    if (op.entries > 1) {
      duplicates++;
      note(`${op.kind} ${firstTxId(op)} of ${op.playerId} applied ${op.entries} times`);
    }
    const applied = op.applied;
    if (applied === 'yes' && op.entries === 0) {
      lost++;
      note(`${op.kind} ${firstTxId(op)} of ${op.playerId} was acknowledged but is not in the ledger`);
    }
    if (op.accepted && !op.settledOk) {
      if (op.settledCode === undefined) unsettled++;
      else {
        failedEvents++;
        if (op.kind === 'bet') lateRejections++;
      }
    }
  }

  let balanceMismatches = 0;
  let outOfBounds = 0;
  for (const p of players) {
    const actual = ledger.balances.get(p.id) ?? 0;
    if (actual < 0) negative.add(p.id);
    if (actual !== running.get(p.id)) {
      balanceMismatches++;
      note(`balance of ${p.id} is ${actual} but its entries add up to ${running.get(p.id)}`);
    }
    const b = bounds.get(p.id)!;
    if (actual < b.lower || actual > b.upper) {
      outOfBounds++;
      note(`balance of ${p.id} is ${actual}, outside what the acknowledged operations allow [${b.lower}, ${b.upper}]`);
    }
  }

  const money = conservation(players, initial, running, ledger);
  const conserved = money.ok;
  if (!conserved) note(`money is not conserved: initial ${money.initialMinorUnits}, players ${money.playersMinorUnits}, house ${money.houseMinorUnits}`);

  const mismatches = mismatchAnswers + contentMismatches;
  const ok =
    duplicates === 0 && unrefundedRollbacks === 0 && lost === 0 && unexpected === 0 && mismatches === 0 && negative.size === 0 && balanceMismatches === 0 && outOfBounds === 0 && conserved;
  return {
    counts: { duplicates, duplicateMinorUnits, unrefundedRollbacks, lost, unexpected, mismatches, negativeBalances: negative.size, lateRejections, failedEvents, unsettled },
    consistency: {
      ok,
      checkedBy: 'ledger-audit',
      balanceMismatches,
      outOfBounds,
      conservation: { ok: conserved, initialMinorUnits: Number(money.initialMinorUnits), finalMinorUnits: Number(money.finalMinorUnits) },
      problems,
    },
  };
}

/**
 * Money is conserved: initial + entries = players' final balances, and players + house = initial.
 * Added up as BigInt: each balance is a safe integer, but their sum over many players need not be
 * (10,000 players holding 10^12 minor units each pass 2^53), and a float sum would report drift
 * that is only rounding. A balance that is not an integer (a broken target) is drift in itself.
 */
function conservation(players: readonly PlayerAccount[], initial: ReadonlyMap<string, number>, running: ReadonlyMap<string, number>, ledger: LedgerSnapshot) {
  let integral = true;
  const big = (x: number): bigint => {
    if (Number.isInteger(x)) return BigInt(x);
    integral = false;
    return 0n;
  };
  let initialTotal = 0n;
  let finalTotal = 0n;
  for (const p of players) {
    initialTotal += big(p.initialBalance);
    finalTotal += big(ledger.balances.get(p.id) ?? 0);
  }
  // The entries' sum, per player: each running balance is exact where a sum of them may not be.
  let entries = 0n;
  for (const [id, balance] of running) entries += big(balance) - big(initial.get(id) ?? 0);
  const house = ledger.houseBalance === undefined ? -entries : big(ledger.houseBalance);
  const ok = integral && initialTotal + entries === finalTotal && finalTotal + house === initialTotal;
  return { ok, initialMinorUnits: initialTotal, playersMinorUnits: finalTotal, houseMinorUnits: house, finalMinorUnits: finalTotal + house };
}

function contentMatches(op: LogicalOp, entry: LedgerEntry): boolean {
  if (entry.playerId !== op.playerId) return false;
  switch (op.kind) {
    case 'bet':
      return entry.delta === -op.amount;
    case 'win':
      return entry.delta === op.amount;
    case 'rollback':
      return entry.delta === 0 || entry.delta === op.amount;
  }
}

export interface Bounds {
  lower: number;
  upper: number;
}

/**
 * Per player, the balance range the operations allow: from what definitely happened to what
 * possibly happened (Jepsen's counter checker). Used by the ledger audit and by the
 * balances-only check of a target without an audit endpoint.
 */
export function balanceBounds(ops: readonly LogicalOp[], players: readonly PlayerAccount[]): Map<string, Bounds> {
  const bounds = new Map<string, Bounds>();
  for (const p of players) bounds.set(p.id, { lower: p.initialBalance, upper: p.initialBalance });
  for (const op of ops) widen(bounds.get(op.playerId), op, op.applied);
  return bounds;
}

/** Definite effects move both bounds; possible ones move only the bound they could reach. */
function widen(b: { lower: number; upper: number } | undefined, op: LogicalOp, applied: 'yes' | 'no' | 'maybe'): void {
  if (b === undefined || applied === 'no') return;
  if (op.kind === 'bet') {
    b.lower -= op.amount;
    if (applied === 'yes') b.upper -= op.amount;
  } else if (op.kind === 'win') {
    b.upper += op.amount;
    if (applied === 'yes') b.lower += op.amount;
  } else {
    // A rollback refunds its bet only if the bet was applied: anywhere from 0 to the amount.
    b.upper += op.amount;
  }
}

function firstTxId(op: LogicalOp): string {
  return typeof op.txIds === 'string' ? op.txIds : (op.txIds[0] ?? '?');
}
