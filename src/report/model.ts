import type { ResultCode } from '../domain/results.js';
import type { Series } from '../check/series.js';
import type { LatencySummary } from './histogram.js';

/** The JSON report: the contract that CI, later issues and other tools rely on. */
export interface Report {
  readonly tool: { readonly name: 'walletstorm'; readonly version: string };
  readonly scenario: { readonly name: string; readonly seed: number; readonly file?: string; readonly overrides: readonly string[] };
  readonly runs: readonly RunReport[];
  /** Wall-clock figures: the only place where wall time appears. */
  readonly timing: { readonly wallMs: number; readonly simulatedOpsPerSec: number };
}

export interface PhaseReport {
  readonly name: string;
  readonly kind: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly bets: number;
  readonly betAck: LatencySummary;
  readonly betTimeouts: number;
}

export interface RunReport {
  readonly model: string;
  readonly world: 'virtual' | 'real';
  /** Why the run ended: drained (all work done), deadline, event-limit, log-limit. */
  readonly stopReason: string;
  readonly completed: boolean;
  readonly trafficMs: number;
  readonly endMs: number;
  readonly operations: {
    readonly logical: number;
    readonly attempts: number;
    readonly acknowledged: number;
    readonly failed: number;
    readonly indeterminate: number;
    readonly byKind: Readonly<Record<'bet' | 'win' | 'rollback', number>>;
  };
  readonly results: Readonly<Partial<Record<ResultCode, number>>>;
  readonly latency: {
    readonly ack: { readonly bet: LatencySummary; readonly win: LatencySummary; readonly rollback: LatencySummary };
    readonly attempt: LatencySummary;
    readonly settlement: LatencySummary;
  };
  readonly phases: readonly PhaseReport[];
  readonly throughput: { readonly offeredPerSec: number; readonly goodputPerSec: number };
  readonly retries: number;
  readonly timeouts: number;
  readonly lateAnswers: number;
  readonly replays: number;
  readonly duplicates: number;
  readonly duplicateMinorUnits: number;
  /** Rollbacks acknowledged as successful whose bet still took money from the player. */
  readonly unrefundedRollbacks: number;
  readonly lost: number;
  readonly unexpected: number;
  readonly mismatches: number;
  readonly negativeBalances: number;
  readonly lateRejections: number;
  readonly failedEvents: number;
  readonly unsettled: number;
  readonly maxQueueDepth: number;
  readonly maxLagMs: number;
  readonly maxLagRecords: number;
  readonly convergenceMs: number | null;
  readonly consistency: {
    readonly ok: boolean;
    readonly checkedBy: 'ledger-audit' | 'balances';
    readonly balanceMismatches: number;
    readonly outOfBounds: number;
    readonly conservation: { readonly ok: boolean; readonly initialMinorUnits: number; readonly finalMinorUnits: number };
    readonly problems: readonly string[];
  };
  /** Figures per interval of run time (offered vs goodput, queue, lag, per-interval p99). */
  readonly series: Series;
}
