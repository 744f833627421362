import type { OpKind } from '../domain/operations.js';
import type { PlayerAccount } from '../domain/ledger.js';
import type { Applied, OpTable } from './op-table.js';

export interface Bounds {
  lower: number;
  upper: number;
}

/**
 * Per player, the balance range the operations allow: from what definitely happened to what
 * possibly happened (Jepsen's counter checker). Used by the ledger audit and by the
 * balances-only check of a target without an audit endpoint.
 */
export function balanceBounds(ops: OpTable, players: readonly PlayerAccount[]): Map<string, Bounds> {
  const bounds = new Map<string, Bounds>();
  for (const p of players) bounds.set(p.id, { lower: p.initialBalance, upper: p.initialBalance });
  // A rollback acknowledged as successful voids its bet, whatever the bet's own fate: together
  // they moved nothing (refunded if it was debited, refused for good if it was not). Taken apart,
  // an open bet and its rollback would allow anything from -amount to +amount.
  const voided = new Uint8Array(ops.length);
  for (let op = 0; op < ops.length; op++) {
    const bet = ops.betOp(op);
    if (ops.kind(op) === 'rollback' && bet >= 0 && ops.applied(op) === 'yes') voided[bet] = voided[op] = 1;
  }
  for (let op = 0; op < ops.length; op++) {
    if (voided[op] === 0) widen(bounds.get(ops.playerId(op)), ops.kind(op), ops.amount(op), ops.applied(op));
  }
  return bounds;
}

/** Definite effects move both bounds; possible ones move only the bound they could reach. */
function widen(b: Bounds | undefined, kind: OpKind, amount: number, applied: Applied): void {
  if (b === undefined || applied === 'no') return;
  if (kind === 'bet') {
    b.lower -= amount;
    if (applied === 'yes') b.upper -= amount;
  } else if (kind === 'win') {
    b.upper += amount;
    if (applied === 'yes') b.lower += amount;
  } else {
    // A rollback refunds its bet only if the bet was applied: anywhere from 0 to the amount.
    b.upper += amount;
  }
}
