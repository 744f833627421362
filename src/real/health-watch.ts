import type { TransportStats } from '../drivers/http/client.js';
import { isReadTimeout } from '../drivers/http/audit.js';
import { EXIT, WalletstormError } from '../errors.js';

/**
 * Whether a real target is still there: the transport's figures over HTTP, the wallet's /healthz
 * over Kafka (where the broker acks every send whether the wallet lives or not).
 */

/**
 * A target whose first answers are all unreadable is something else on that port (a web server,
 * another service): it is given up after this many answers, or this long after the first one,
 * instead of running the whole scenario and its rollback retries against it.
 */
const NOT_A_WALLET_ANSWERS = 50;
const NOT_A_WALLET_AFTER_MS = 2000;

/** A failure this recent means the target is failing now. */
const STILL_FAILING_MS = 1000;

/**
 * Whether the target is gone: no readable answer for `unreachableAfterMs`, and only refused or
 * broken connections or unreadable answers since (an unreadable answer is no answer, see
 * docs/protocol.md). A target that never gave a readable answer is given up sooner, as not a
 * wallet: it answers, so waiting for it to come back is pointless.
 */
export function goneVerdict(s: TransportStats, now: number, unreachableAfterMs: number): 'unreachable' | 'not-a-wallet' | undefined {
  if (s.lastAnswerAtMs < 0 && s.unreadable > 0 && (s.unreadable >= NOT_A_WALLET_ANSWERS || now - s.firstUnreadableAtMs >= NOT_A_WALLET_AFTER_MS)) {
    return 'not-a-wallet';
  }
  const lastFailureAtMs = Math.max(s.lastConnectionErrorAtMs, s.lastUnreadableAtMs);
  // Still failing now, not one failure followed by a quiet spell (a low rate, a tail of backoffs).
  const failingNow = now - lastFailureAtMs < STILL_FAILING_MS;
  if (lastFailureAtMs > s.lastAnswerAtMs && failingNow && now - Math.max(s.lastAnswerAtMs, 0) > unreachableAfterMs) return 'unreachable';
  return undefined;
}

/**
 * Over Kafka the producer's acks come from the broker, so a wallet that died mid-run leaves the
 * transport's figures healthy: its /healthz, failing for `afterMs`, is what tells. Over HTTP the
 * transport sees the failures itself (a busy wallet's slow /healthz is no sign there).
 *
 * A refused or broken connection is a dead wallet; a /healthz that only times out is a wallet
 * that is slow or stalled (a long GC pause, a loaded machine) and still holds its ledger, so it
 * is given up only after `slowAfterMs` (15 s by default) without an answer. The two clocks are
 * apart: timeouts that come before the first refusal are no sign of death, so the dead clock
 * starts at that refusal (5 s of timeouts and then one refusal is not a wallet refusing for 5 s),
 * while the spell as a whole, whatever its mix, is still given up after `slowAfterMs`.
 */
export class HealthWatch {
  /** The current failing spell's first failure, of any kind: the slow clock. */
  private failingSinceMs: number | undefined;
  /** The spell's first refused or broken connection (undefined while there has been none): the dead clock. */
  private refusedSinceMs: number | undefined;
  private lastError: string | undefined;
  /** The last refused or broken connection's error: what made the dead clock run. */
  private lastRefusal: string | undefined;
  private gaveUpAfterMs: number | undefined;
  private gaveUpOn: string | undefined;

  constructor(
    private readonly enabled: boolean,
    private readonly afterMs: number,
    private readonly slowAfterMs = Math.max(afterMs, 15_000),
  ) {}

  /** Failing now, where it counts (over Kafka). */
  get failing(): boolean {
    return this.enabled && this.failingSinceMs !== undefined;
  }

  answered(): void {
    this.failingSinceMs = undefined;
    this.refusedSinceMs = undefined;
  }

  failed(nowMs: number, error: Error): void {
    this.failingSinceMs ??= nowMs;
    // A DOMException's code is a number (23 for a timeout): only a string code names the error.
    const code = (error as NodeJS.ErrnoException).code;
    this.lastError = typeof code === 'string' ? code : error.message;
    if (isTimeout(error)) return;
    this.refusedSinceMs ??= nowMs;
    this.lastRefusal = this.lastError;
  }

  verdict(nowMs: number): 'unreachable' | undefined {
    if (!this.enabled || this.failingSinceMs === undefined) return undefined;
    const deadAtMs = this.refusedSinceMs === undefined ? Infinity : this.refusedSinceMs + this.afterMs;
    const slowAtMs = this.failingSinceMs + this.slowAfterMs;
    if (nowMs < Math.min(deadAtMs, slowAtMs)) return undefined;
    // The limit that ran out first is the one that gave the wallet up: why() names it.
    const dead = deadAtMs <= slowAtMs;
    this.gaveUpAfterMs = dead ? this.afterMs : this.slowAfterMs;
    this.gaveUpOn = dead ? this.lastRefusal : this.lastError;
    return 'unreachable';
  }

  /** For the message, once it gave the wallet up. */
  why(): string | undefined {
    return this.gaveUpAfterMs === undefined ? undefined : `its /healthz failed for ${this.gaveUpAfterMs / 1000} s: ${this.gaveUpOn}`;
  }
}

/** A request that got no answer in time (a read timeout, or a connection not accepted in time), as opposed to a failed connection. */
function isTimeout(error: Error): boolean {
  return isReadTimeout(error as NodeJS.ErrnoException) || (error as NodeJS.ErrnoException).code === 'UND_ERR_CONNECT_TIMEOUT';
}

export function unreachableWhy(s: TransportStats, afterMs: number): string {
  const seconds = `${afterMs / 1000} s`;
  if (s.lastUnreadableAtMs > s.lastConnectionErrorAtMs) return `only answers without a readable result code for ${seconds}, such as: ${s.unreadableExample}`;
  // A stalled wallet (stopped, or its accept queue full) refuses nothing: its connections are not
  // accepted in time. The error names which it was.
  return `connections refused, broken or not accepted for ${seconds}${s.lastConnectionError === undefined ? '' : ` (last: ${s.lastConnectionError})`}`;
}

export function notAWalletError(origin: string, s: TransportStats): WalletstormError {
  return new WalletstormError(
    'E_TARGET_NOT_WALLET',
    `the target at ${origin} answers, but does not speak the walletstorm protocol: none of its ${s.unreadable} answers had a readable result code (such as: ${s.unreadableExample})`,
    EXIT.unreachable,
    'walletstorm load drives a wallet whose answers are JSON with a result "code" (docs/protocol.md): check the port, or start the reference wallet with `walletstorm serve`',
  );
}
