import type { OpKind } from '../domain/operations.js';
import type { PlayerAccount } from '../domain/ledger.js';
import type { Applied, OpTable } from './op-table.js';

export interface Bounds {
  lower: number;
  upper: number;
}

/**
 * Dense numbers for the players a check meets: the scenario's first, in its order, then any
 * other (a real wallet may book an entry to a player the scenario does not have) as it is met.
 * The checker walks every operation and every entry, millions of them: it looks each operation's
 * player up once (see opPlayers) and keeps per-player figures in arrays by number, where a map
 * by id cost a lookup (a cache miss or two on the id and on the map) per entry and per operation
 * in each pass.
 */
export class PlayerBook {
  /** The players numbered so far: ids[n] is player n's. */
  readonly ids: string[] = [];
  /** Per number: the balance the player started with, 0 for one not of the scenario. */
  readonly initial: number[] = [];
  /** How many of the numbers are the scenario's players (they come first). */
  readonly scenarioPlayers: number;
  private readonly numbers = new Map<string, number>();

  constructor(players: readonly PlayerAccount[]) {
    // A player listed twice keeps its first number and its last initial balance, as a map built from the list would.
    for (const p of players) this.initial[this.numberOf(p.id)] = p.initialBalance;
    this.scenarioPlayers = this.ids.length;
  }

  /** The player's number; one not met before is numbered now. */
  numberOf(id: string): number {
    let n = this.numbers.get(id);
    if (n === undefined) {
      n = this.ids.length;
      this.numbers.set(id, n);
      this.ids.push(id);
      this.initial.push(0);
    }
    return n;
  }

  isScenarios(id: string): boolean {
    const n = this.numbers.get(id);
    return n !== undefined && n < this.scenarioPlayers;
  }

  get size(): number {
    return this.ids.length;
  }
}

/** Per operation, the number of its player in `book` (one lookup per operation, for every pass after). */
export function opPlayers(ops: OpTable, book: PlayerBook): Int32Array {
  const players = new Int32Array(ops.length);
  for (let op = 0; op < ops.length; op++) players[op] = book.numberOf(ops.playerId(op));
  return players;
}

/**
 * Per player, the balance range the operations allow: from what definitely happened to what
 * possibly happened (Jepsen's counter checker). Used by the balances-only check of a target
 * without an audit endpoint (the ledger audit uses playerBounds).
 */
export function balanceBounds(ops: OpTable, players: readonly PlayerAccount[]): Map<string, Bounds> {
  const book = new PlayerBook(players);
  const { lower, upper } = playerBounds(ops, book, opPlayers(ops, book));
  const bounds = new Map<string, Bounds>();
  for (let n = 0; n < book.scenarioPlayers; n++) bounds.set(book.ids[n]!, { lower: lower[n]!, upper: upper[n]! });
  return bounds;
}

/** balanceBounds by player number (`opPlayer`: see opPlayers), for the scenario's players: lower[n] to upper[n]. */
export function playerBounds(ops: OpTable, book: PlayerBook, opPlayer: Int32Array): { lower: Float64Array; upper: Float64Array } {
  const lower = Float64Array.from(book.initial.slice(0, book.scenarioPlayers));
  const upper = lower.slice();
  // A rollback acknowledged as successful voids its bet, whatever the bet's own fate: together
  // they moved nothing (refunded if it was debited, refused for good if it was not). Taken apart,
  // an open bet and its rollback would allow anything from -amount to +amount.
  const voided = new Uint8Array(ops.length);
  for (let op = 0; op < ops.length; op++) {
    const bet = ops.betOp(op);
    if (bet >= 0 && ops.kind(op) === 'rollback' && ops.applied(op) === 'yes') voided[bet] = voided[op] = 1;
  }
  for (let op = 0; op < ops.length; op++) {
    const n = opPlayer[op]!;
    if (voided[op] === 0 && n < book.scenarioPlayers) widen(lower, upper, n, ops.kind(op), ops.amount(op), ops.applied(op));
  }
  return { lower, upper };
}

/** Definite effects move both bounds; possible ones move only the bound they could reach. */
function widen(lower: Float64Array, upper: Float64Array, n: number, kind: OpKind, amount: number, applied: Applied): void {
  if (applied === 'no') return;
  if (kind === 'bet') {
    lower[n]! -= amount;
    if (applied === 'yes') upper[n]! -= amount;
  } else if (kind === 'win') {
    upper[n]! += amount;
    if (applied === 'yes') lower[n]! += amount;
  } else {
    // A rollback refunds its bet only if the bet was applied: anywhere from 0 to the amount.
    upper[n]! += amount;
  }
}
