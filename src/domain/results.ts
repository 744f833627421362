/**
 * Result codes of the wallet protocol. The strings are stable: reports, the HTTP protocol and
 * CI thresholds refer to them by name.
 */
export const RESULT_CODES = [
  'OK',
  'INSUFFICIENT_FUNDS',
  'DUPLICATE_MISMATCH',
  'BET_NOT_FOUND',
  'BET_ROLLED_BACK',
  'ALREADY_SETTLED',
  'PLAYER_NOT_FOUND',
  'CURRENCY_MISMATCH',
  'INVALID_REQUEST',
  'TEMPORARY_ERROR',
  'OVERLOADED',
] as const;

export type ResultCode = (typeof RESULT_CODES)[number];

/** Codes a provider may retry: the wallet did not decide anything. */
export function isRetriable(code: ResultCode): boolean {
  return code === 'TEMPORARY_ERROR' || code === 'OVERLOADED';
}

export interface WalletResponse {
  readonly code: ResultCode;
  /** Balance after the operation (or the current one on INSUFFICIENT_FUNDS), in minor units. */
  readonly balance?: number;
  /** The same txId with identical content was seen before; nothing changed. */
  readonly replay?: boolean;
  /**
   * Event-driven and hybrid acks: the operation was accepted for settlement and is not applied
   * yet. Its final result arrives through the log.
   */
  readonly accepted?: boolean;
  readonly message?: string;
}

export const OK: WalletResponse = Object.freeze({ code: 'OK' });
