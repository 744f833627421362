/**
 * The operations a provider sends to a wallet, modelled on public seamless-wallet APIs.
 * Money is always an integer count of minor units.
 */
export type OpKind = 'bet' | 'win' | 'rollback';

export interface BetRequest {
  readonly kind: 'bet';
  readonly txId: string;
  readonly playerId: string;
  readonly roundId: string;
  readonly amount: number;
  readonly currency: string;
  /** Logical operation this attempt belongs to; opaque to the wallet, kept for the audit. */
  readonly opRef?: number;
}

export interface WinRequest {
  readonly kind: 'win';
  readonly txId: string;
  readonly betTxId: string;
  readonly playerId: string;
  readonly roundId: string;
  readonly amount: number;
  readonly currency: string;
  readonly opRef?: number;
}

export interface RollbackRequest {
  readonly kind: 'rollback';
  readonly txId: string;
  readonly refTxId: string;
  readonly playerId: string;
  readonly opRef?: number;
}

export interface BalanceRequest {
  readonly kind: 'balance';
  readonly playerId: string;
}

export type MoneyRequest = BetRequest | WinRequest | RollbackRequest;
export type WalletRequest = MoneyRequest | BalanceRequest;

/** Amounts are positive safe integers; a win may be 0 (a lost round closes with a zero win). */
export function isValidAmount(amount: unknown, allowZero: boolean): amount is number {
  return (
    typeof amount === 'number' &&
    Number.isSafeInteger(amount) &&
    (amount > 0 || (allowZero && amount === 0))
  );
}

/** Why a request is malformed, or null. Stateless: no ledger lookup. */
export function validationProblem(req: WalletRequest): string | null {
  if (!isNonEmpty(req.playerId)) return 'playerId must be a non-empty string';
  if (req.kind === 'balance') return null;
  if (!isNonEmpty(req.txId)) return 'txId must be a non-empty string';
  switch (req.kind) {
    case 'bet':
      if (!isNonEmpty(req.roundId)) return 'roundId must be a non-empty string';
      if (!isNonEmpty(req.currency)) return 'currency must be a non-empty string';
      return isValidAmount(req.amount, false) ? null : 'amount must be a positive safe integer (minor units)';
    case 'win':
      if (!isNonEmpty(req.betTxId)) return 'betTxId must be a non-empty string';
      if (!isNonEmpty(req.roundId)) return 'roundId must be a non-empty string';
      if (!isNonEmpty(req.currency)) return 'currency must be a non-empty string';
      return isValidAmount(req.amount, true) ? null : 'amount must be a non-negative safe integer (minor units)';
    case 'rollback':
      return isNonEmpty(req.refTxId) ? null : 'refTxId must be a non-empty string';
  }
}

/** The longest id, in UTF-16 code units (a string's length, as JavaScript and Java count it). */
export const MAX_ID_UNITS = 256;

function isNonEmpty(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_UNITS;
}

/**
 * Whether two requests with the same txId carry the same content. Identical content is a replay;
 * anything else is DUPLICATE_MISMATCH. Compared only when a txId comes back, never on the hot path.
 */
export function sameContent(a: MoneyRequest, b: MoneyRequest): boolean {
  if (a.kind !== b.kind || a.playerId !== b.playerId) return false;
  switch (a.kind) {
    case 'bet': {
      const o = b as BetRequest;
      return a.roundId === o.roundId && a.amount === o.amount && a.currency === o.currency;
    }
    case 'win': {
      const o = b as WinRequest;
      return a.roundId === o.roundId && a.betTxId === o.betTxId && a.amount === o.amount && a.currency === o.currency;
    }
    case 'rollback':
      return a.refTxId === (b as RollbackRequest).refTxId;
  }
}
