import type { Ledger, LedgerSafety, PlayerAccount } from '../domain/ledger.js';
import type { WalletHandler } from '../ports/transport.js';
import type { Sampler } from '../sim/distributions.js';

export type ModelName = 'request' | 'event' | 'hybrid';
export const MODEL_NAMES: readonly ModelName[] = ['request', 'event', 'hybrid'];

export interface PoolSettings {
  readonly workers: number;
  readonly queueLimit: number;
  readonly queueTimeoutMs?: number;
  readonly serviceTimeMs: Sampler;
}

/** Everything a wallet model needs, compiled from the scenario (samplers instead of specs). */
export interface WalletSettings {
  readonly idempotency: boolean;
  /** Event-driven: the consumer's inbox of processed txIds makes redelivery a no-op. */
  readonly inbox: boolean;
  readonly players: readonly PlayerAccount[];
  /** Test-only: switch a safety mechanism off to prove the checks notice (see LedgerSafety). */
  readonly safety?: WalletSafety;
  readonly request: PoolSettings;
  readonly event: LogSettings & { readonly ingest: PoolSettings };
  readonly hybrid: LogSettings & { readonly api: PoolSettings; readonly reservationTtlMs: number };
}

/**
 * Test-only planted bugs: the ledger's switches, and the consumer's inbox (off: a record the log
 * delivers again is applied again, whatever `inbox` says). All on by default.
 */
export interface WalletSafety extends LedgerSafety {
  readonly inbox?: boolean;
}

export interface LogSettings {
  readonly partitions: number;
  readonly consumers: number;
  readonly commitEvery: number;
  readonly applyMs: Sampler;
}

/** A wallet model as the worlds drive it: a handler plus what the checker reads at the end. */
export interface WalletModel extends WalletHandler {
  readonly ledger: Ledger;
  /**
   * Something accepted is neither applied nor refused yet: requests queued or in service, records
   * in the log or being applied. The simulator's idle signal (convergence) and /healthz read it.
   */
  busy(): boolean;
  /** Records appended to the log and not applied yet (0 without a log). */
  backlog(): number;
}
