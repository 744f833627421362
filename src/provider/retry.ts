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
  /** Retries allowed as a share of first attempts, plus a floor per second (Finagle's budget). */
  readonly budget?: { readonly ratio: number; readonly minPerSec: number };
}

/**
 * A retry budget: every first attempt deposits `ratio` tokens, time deposits `minPerSec`, each
 * retry spends one. When an overloaded wallet makes everything time out, retries stop at a
 * fraction of the traffic instead of multiplying it (the way out of a metastable failure).
 */
export class RetryBudget {
  private tokens: number;
  private lastMs = 0;
  private readonly capacity: number;

  constructor(private readonly budget: { readonly ratio: number; readonly minPerSec: number }) {
    // Ten seconds' worth of floor, and room for the deposits of a burst of a thousand sends.
    this.capacity = budget.minPerSec * 10 + budget.ratio * 1000;
    this.tokens = this.capacity;
  }

  deposit(nowMs: number): void {
    this.refill(nowMs);
    this.tokens = Math.min(this.capacity, this.tokens + this.budget.ratio);
  }

  tryWithdraw(nowMs: number): boolean {
    this.refill(nowMs);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private refill(nowMs: number): void {
    this.tokens = Math.min(this.capacity, this.tokens + ((nowMs - this.lastMs) / 1000) * this.budget.minPerSec);
    this.lastMs = nowMs;
  }
}

/** Delay before attempt number `attempt + 1`, after `attempt` attempts failed. */
export function backoffDelayMs(policy: RetryPolicy, attempt: number, rng: Random): number {
  const exact = Math.min(policy.maxBackoffMs, policy.backoffMs * Math.pow(policy.multiplier, attempt - 1));
  return policy.jitter > 0 ? exact * (1 - policy.jitter * rng.next()) : exact;
}
