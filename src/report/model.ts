import type { ResultCode } from '../domain/results.js';
import type { Series } from '../check/series.js';
import type { FaultCounts } from '../sim/faults.js';
import type { LatencySummary } from './histogram.js';
import type { ThresholdResult } from './thresholds.js';

/** The JSON report: the contract that CI, later issues and other tools rely on. */
export interface Report {
  readonly tool: { readonly name: 'walletstorm'; readonly version: string };
  readonly scenario: {
    readonly name: string;
    readonly seed: number;
    readonly file?: string;
    readonly overrides: readonly string[];
    /** A real run's `--segment K/N`: it drove and audited the K-th of N slices of the players. */
    readonly segment?: string;
    /** When the scenario's faults were active, so plots can shade them without the scenario file. */
    readonly faultWindows?: readonly FaultWindowReport[];
  };
  readonly runs: readonly RunReport[];
  /** Set by `walletstorm merge`: the reports added together into this one, and what is inexact. */
  readonly merged?: { readonly from: readonly MergedPart[]; readonly notes: readonly string[] };
  /** Wall-clock figures: the only place where wall time appears. */
  readonly timing: { readonly wallMs: number; readonly simulatedOpsPerSec: number };
}

/** One active stretch of a fault, in run milliseconds; toMs null: until the end of the run. */
export interface FaultWindowReport {
  readonly fault: string;
  readonly fromMs: number;
  readonly toMs: number | null;
}

/**
 * How a report's header names its seed: "seed 7"; a merged report whose parts ran with several
 * seeds names them all ("seeds 1, 2"), where scenario.seed holds the first part's only.
 */
export function seedLabel(report: Pick<Report, 'scenario' | 'merged'>): string {
  const seeds = [...new Set((report.merged?.from ?? []).map((part) => part.seed))];
  return seeds.length > 1 ? `seeds ${seeds.join(', ')}` : `seed ${report.scenario.seed}`;
}

/**
 * Figures counted from the wallet's entries. A run checked without them (a target without the
 * audit, `checkedBy: balances`, or not read at all, `none`) reports 0 there (conservation: ok),
 * a value nobody counted: a gate reads it as absent (see entriesCounted).
 */
export const FROM_ENTRIES: readonly string[] = ['duplicates', 'duplicateMinorUnits', 'lost', 'unexpected', 'refusedButApplied', 'unrefundedRollbacks', 'consistency.balanceMismatches', 'consistency.conservation.ok'];

/** How the run's consistency was checked, read defensively (a report from a file, perhaps an old or edited one). */
export function checkedByOf(run: Pick<RunReport, 'consistency'>): unknown {
  return (run.consistency as { checkedBy?: unknown } | undefined)?.checkedBy;
}

/** Whether the run's FROM_ENTRIES figures were counted (read defensively: a report from a file). */
export function entriesCounted(run: Pick<RunReport, 'consistency'>): boolean {
  const checkedBy = checkedByOf(run);
  return checkedBy !== 'balances' && checkedBy !== 'none';
}

export interface MergedPart {
  readonly file: string;
  readonly seed: number;
  readonly models: readonly string[];
  /** The part's --segment K/N, when it had one. */
  readonly segment?: string;
}

/**
 * Latency histograms in HdrHistogram's V2 compressed base64 encoding (microseconds, 3
 * significant digits), beside the percentiles in `latency`, so reports from several processes
 * add up exactly (`walletstorm merge`) and HdrHistogram's own tools can read them. An empty
 * histogram is left out.
 */
export interface RunHistograms {
  readonly ack: { readonly bet?: string; readonly win?: string; readonly rollback?: string };
  readonly attempt?: string;
  readonly settlement?: string;
  /** Bet ack per traffic phase, in the order of `phases`. */
  readonly phaseBetAck: readonly (string | null)[];
}

export interface PhaseReport {
  readonly name: string;
  readonly kind: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly bets: number;
  /** Logical operations started, and ended OK, per second within the phase. */
  readonly offeredPerSec: number;
  readonly goodputPerSec: number;
  readonly betAck: LatencySummary;
  readonly betTimeouts: number;
}

export interface RunReport {
  readonly model: string;
  readonly world: 'virtual' | 'real';
  /** Real world: how the provider reached the wallet. */
  readonly transport?: 'http' | 'kafka';
  /** Real world: stopped by SIGINT or SIGTERM; the figures cover the run until then. */
  readonly interrupted?: boolean;
  /** Real world: the load generator's own figures (late and dropped sends, latency from the actual send). */
  readonly sends?: SendsReport;
  /** Real world over Kafka: the producer, the results stream, the consumer lag, the dead letters. */
  readonly kafka?: KafkaRunReport;
  /** Why the run ended: drained (all work done), deadline, event-limit, stopped, interrupted, unreachable, not-a-wallet. */
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
  readonly histograms?: RunHistograms;
  readonly phases: readonly PhaseReport[];
  readonly throughput: { readonly offeredPerSec: number; readonly goodputPerSec: number };
  readonly retries: number;
  readonly timeouts: number;
  readonly lateAnswers: number;
  readonly replays: number;
  /** How often each fault of the scenario fired (all 0 without faults). */
  readonly faults: FaultCounts;
  readonly duplicates: number;
  readonly duplicateMinorUnits: number;
  /** Rollbacks acknowledged as successful whose bet still took money from the player. */
  readonly unrefundedRollbacks: number;
  readonly lost: number;
  readonly unexpected: number;
  /**
   * Ledger entries of operations that definitely did not happen: refused on every attempt, each
   * attempt answered (none timed out), or whose txId the wallet lists among its refusals.
   */
  readonly refusedButApplied: number;
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
    /** ledger-audit: the wallet's audit log; balances: a target without one; none: the target was gone at the end. */
    readonly checkedBy: 'ledger-audit' | 'balances' | 'none';
    readonly balanceMismatches: number;
    readonly outOfBounds: number;
    readonly conservation: { readonly ok: boolean; readonly initialMinorUnits: number; readonly finalMinorUnits: number };
    readonly problems: readonly string[];
    /**
     * Real world: whether operations accepted and refused when applied (late rejections, failed
     * events) could be seen: over Kafka on the results topic, over HTTP only through the wallet's
     * GET /wallet/refusals. False: they count as unsettled. A simulation sees them all (absent).
     */
    readonly refusalsVisible?: boolean;
  };
  /** Figures per interval of run time (offered vs goodput, queue, lag, per-interval p99). */
  readonly series: Series;
  /** Each threshold of the scenario and the command line, with its value and verdict. */
  readonly thresholds?: readonly ThresholdResult[];
}

/**
 * The load generator's honesty figures in a real run. Sends are scheduled from the run's start
 * (open model); one that finds every connection busy is counted, never silently delayed.
 */
export interface SendsReport {
  readonly connections: number;
  /** Requests written to a connection. */
  readonly sent: number;
  /** Sent later than scheduled because every connection was busy. */
  readonly late: number;
  /**
   * Never sent: still waiting for a connection (in the transport, or as an attempt the provider
   * held back) when the attempt timed out or the run stopped.
   */
  readonly dropped: number;
  /** Answers read and ignored (the responseLoss fault, client side). */
  readonly responsesLost: number;
  /** Attempts aborted at the per-attempt timeout. */
  readonly aborted: number;
  /** Connections refused: nothing reached the wallet. */
  readonly refused: number;
  /** Connections broken after the request may have been written. */
  readonly socketErrors: number;
  /** Answers without a readable result code. */
  readonly unreadable: number;
  /** From the moment the request was written to its answer (ack latency counts from the schedule). */
  readonly latency: LatencySummary;
}

/** A real run over Kafka (`load --target kafka://`): what the broker side saw. */
export interface KafkaRunReport {
  readonly brokers: string;
  readonly topics: { readonly commands: string; readonly results: string; readonly dlq: string };
  readonly partitions: number;
  readonly producer: { readonly lingerMs: number; readonly batchSize: number; readonly maxInFlight: number; readonly idempotent: boolean; readonly acks: -1 | 1 };
  /** Command records the broker acknowledged (attempts, plus the duplicateDelivery copies). */
  readonly produced: number;
  /** Records the producer sent twice on purpose (the duplicateDelivery fault). */
  readonly producedTwice: number;
  /** Records that failed for good (past the delivery timeout of 120 s). */
  readonly produceFailed: number;
  /** Produce requests that failed after kafkajs's retries and were sent again. */
  readonly produceRequestsFailed: number;
  /** Stretches of run time (ms) without an acknowledgement (requests failed, or waited a second or more): a broker gone. toMs null: until the end. */
  readonly producerGaps: readonly { readonly fromMs: number; readonly toMs: number | null }[];
  readonly longestGapMs: number;
  /** Result records of this run read from the results topic, and how many were replays (inbox or idempotency). */
  readonly resultsRead: number;
  readonly resultReplays: number;
  /** Times the results consumer was started again: kafkajs left it down after a crash, or it was stuck with results waiting. */
  readonly resultsConsumerRestarts: number;
  /** Records the wallet sent to the DLQ during the run. */
  readonly deadLetters: number;
  /** The wallet group's lag in records (end offset minus committed offset), read through the admin API. */
  readonly maxConsumerLagRecords: number;
  readonly consumerLag: readonly { readonly tMs: number; readonly records: number }[];
}
