import type { OpKind } from '../domain/operations.js';
import type { ResultCode } from '../domain/results.js';
import type { OpInfo, Outcome } from '../provider/observer.js';

/** Everything the checker knows about one logical operation: what was meant and what happened. */
export class LogicalOp {
  readonly kind: OpKind;
  readonly playerId: string;
  readonly amount: number;
  readonly intendedAtMs: number;
  readonly phase: number;
  readonly betOp: number;
  /** txIds of its attempts: one when retries reuse it, several when they mint new ones. */
  txIds: string | string[] = '';
  attempts = 0;
  status: 'pending' | Outcome = 'pending';
  code: ResultCode | undefined;
  /** Acked as accepted for later settlement (event-driven). */
  accepted = false;
  /** First result of applying it through the log, and when. */
  settledCode: ResultCode | undefined;
  settledOk = false;
  /** Seen applied a second time while the run went on (the live duplicate counter). */
  duplicateSeen = false;
  /** Ledger entries attributed to it by the audit, and their summed effect on the balance. */
  entries = 0;
  netDelta = 0;

  constructor(readonly id: number, info: OpInfo) {
    this.kind = info.kind;
    this.playerId = info.playerId;
    this.amount = info.amount;
    this.intendedAtMs = info.intendedAtMs;
    this.phase = info.phase;
    this.betOp = info.betOp ?? -1;
  }

  addTxId(txId: string): void {
    if (this.txIds === '') this.txIds = txId;
    else if (typeof this.txIds === 'string') {
      if (this.txIds !== txId) this.txIds = [this.txIds, txId];
    } else if (!this.txIds.includes(txId)) this.txIds.push(txId);
  }

  hasTxId(txId: string): boolean {
    return typeof this.txIds === 'string' ? this.txIds === txId : this.txIds.includes(txId);
  }

  /** Did the wallet apply it, as far as the provider and the log can tell? */
  get applied(): 'yes' | 'no' | 'maybe' {
    if (this.accepted) return this.settledOk ? 'yes' : this.settledCode !== undefined ? 'no' : 'maybe';
    if (this.status === 'ok') return 'yes';
    if (this.status === 'failed') return 'no';
    return 'maybe';
  }
}
