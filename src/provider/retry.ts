import type { Random } from '../ports/random.js';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  readonly maxAttempts: number;
  readonly backoffMs: number;
  readonly multiplier: number;
  readonly maxBackoffMs: number;
  /** 0: exact backoff; 1: full jitter (uniform between 0 and the backoff). */
  readonly jitter: number;
  /** reuse: every attempt carries the same txId, so the wallet can deduplicate; new: it cannot. */
  readonly txId: 'reuse' | 'new';
}

/** Delay before attempt number `attempt + 1`, after `attempt` attempts failed. */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, rng: Random): number {
  const exact = Math.min(policy.maxBackoffMs, policy.backoffMs * Math.pow(policy.multiplier, attempt - 1));
  return policy.jitter > 0 ? exact * (1 - policy.jitter * rng.next()) : exact;
}
