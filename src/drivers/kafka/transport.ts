import type { Admin, Consumer, Kafka, Producer } from 'kafkajs';
import type { MoneyRequest, WalletRequest } from '../../domain/operations.js';
import type { WalletResponse } from '../../domain/results.js';
import { isActive, type FaultWindow } from '../../faults/plan.js';
import type { WalletProbe } from '../../models/probe.js';
import type { Random } from '../../ports/random.js';
import type { AttemptDroppedListener, ReplyTarget, Transport } from '../../ports/transport.js';
import type { KafkaRunReport } from '../../report/model.js';
import type { KafkaSettings } from '../../scenario/compile.js';
import { emptyTransportStats, type TransportStats } from '../http/client.js';
import type { RealClock } from '../real-clock.js';
import { openProducer, ProduceBatcher } from './batcher.js';
import { partitionerFor, retrying, type WalletTopics } from './cluster.js';
import { decodeResult, encodeCommand } from './codec.js';
import { within } from '../../util/within.js';

/** The scenario's producer settings (`kafka:` block). */
export type ProducerSettings = KafkaSettings['producer'];

export interface KafkaTransportOptions {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly brokers: readonly string[];
  readonly topics: WalletTopics;
  /** The wallet's consumer group, whose lag is read through the admin API. */
  readonly walletGroupId: string;
  readonly partitions: number;
  readonly producer: ProducerSettings;
  readonly clock: RealClock;
  /** Put before every txId: unique per run (see encodeMoneyRequest). */
  readonly txIdPrefix: string;
  /** The producer sends a fraction of records twice (the duplicateDelivery fault). */
  readonly duplicateDelivery?: FaultWindow & { readonly rate: number };
  readonly rng: Random;
  /** Records waiting for a produce request; past this a send is dropped. */
  readonly maxWaiting?: number;
  /** How often the consumer lag is read through the admin API. */
  readonly lagEveryMs?: number;
}

const ACCEPTED: WalletResponse = Object.freeze({ code: 'OK', accepted: true });
/** A results consumer that is down is started again after this; one that waits this long with results behind it is stuck. */
const RESULTS_RESTART_MS = 1000;
const RESULTS_STALL_MS = 5000;
/** Each step of close (reading the DLQ's end, disconnecting, deleting this run's group) gets this long at most. */
const CLOSE_STEP_MS = 2000;

/**
 * The provider's transport straight onto Kafka: each attempt is a command record produced to
 * `wallet.commands` (keyed by playerId), acknowledged when the broker has it, which is the
 * event-driven wallet's "accepted". Settlement comes back on `wallet.results`, read by a
 * consumer of this run's own, and goes to the checker with the time the ledger applied it.
 * The wallet group's lag is read through the admin API over the run.
 */
export class KafkaTransport implements Transport {
  readonly kind = 'kafka' as const;
  readonly connections = 0;
  readonly settlesItself = true;
  readonly stats: TransportStats = emptyTransportStats();
  onSentLatency: (ms: number) => void = () => {};
  /** Where settlements go: the run's auditor. */
  probe: WalletProbe | undefined;
  /** Told of each command dropped without being produced (a trace). */
  onAttemptDropped: AttemptDroppedListener | undefined;
  private readonly producer: Producer;
  /** Produce requests in flight at most, as the producer runs (1 when idempotent). */
  private readonly maxInFlight: number;
  private readonly batcher: ProduceBatcher;
  private readonly results: Consumer;
  private readonly partitionOf: (key: string) => number;
  /** When the broker acknowledged each operation's latest attempt, by op ref: the start of its log lag. */
  private readonly ackedAtMs: number[] = [];
  private readonly resultEnds = new Map<number, number>();
  private unacked = 0;
  private closed = false;
  private resultsJoined = false;
  /** When the results consumer last had a batch (wall ms), for noticing a stuck one. */
  private lastResultsBatchAtMs = Date.now();
  private restarting = false;
  private lagTimer: NodeJS.Timeout | undefined;
  private lagInFlight = false;
  private maxLagMsSinceSample = 0;
  private readonly figures = {
    produced: 0,
    producedTwice: 0,
    produceFailed: 0,
    resultsRead: 0,
    resultReplays: 0,
    resultsConsumerRestarts: 0,
    maxConsumerLagRecords: 0,
    lagSamples: [] as { tMs: number; records: number }[],
  };
  private dlqStart: number | undefined;
  private dlqEnd = 0;

  constructor(private readonly options: KafkaTransportOptions) {
    const { producer, batcherOptions } = openProducer(options.kafka, options.producer, () => options.clock.now());
    this.producer = producer;
    this.maxInFlight = batcherOptions.maxInFlight;
    this.batcher = new ProduceBatcher(producer, batcherOptions);
    this.partitionOf = partitionerFor(options.partitions);
    this.results = options.kafka.consumer({ groupId: this.resultsGroupId, maxWaitTimeInMs: 20, heartbeatInterval: 500, allowAutoTopicCreation: false });
    this.results.on(this.results.events.GROUP_JOIN, () => (this.resultsJoined = true));
    // kafkajs restarts a consumer after a retriable crash; after any other (seen once a lost broker
    // is back) it leaves it down, and no result would be read again: start it again ourselves.
    this.results.on(this.results.events.CRASH, (e) => {
      if (!e.payload.restart && !this.closed) this.restartResults();
    });
  }

  /** This run's own group for reading results: deleted at the end, so that runs leave no groups behind. */
  private get resultsGroupId(): string {
    return `${this.options.txIdPrefix}walletstorm-load`;
  }

  get outstanding(): number {
    return this.unacked;
  }

  /** Connects the producer and the results consumer, and waits until the consumer holds its partitions. */
  async warmUp(): Promise<void> {
    await this.producer.connect();
    await this.results.connect();
    // From the beginning, then moved to the end at once: the seek is committed, so a consumer that
    // restarts after losing the broker resumes where it was and misses no result of this run.
    await this.results.subscribe({ topic: this.options.topics.results, fromBeginning: true });
    await this.runResults();
    const deadline = Date.now() + 30_000;
    while (!this.resultsJoined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    if (!this.resultsJoined) throw new Error('the results consumer did not join its group within 30 s');
    for (const e of await retrying(() => this.options.admin.fetchTopicOffsets(this.options.topics.results))) {
      this.results.seek({ topic: this.options.topics.results, partition: e.partition, offset: e.high });
      this.resultEnds.set(e.partition, Number(e.high));
    }
    this.dlqStart = await this.dlqOffset();
    this.lagTimer = setInterval(() => void this.sampleLag(), this.options.lagEveryMs ?? 500);
  }

  send(request: WalletRequest, target: ReplyTarget, token: number): void {
    if (request.kind === 'balance') return;
    if (this.closed) return this.onAttemptDropped?.(request, token, 'stopped', this.options.clock.now());
    if (this.batcher.waiting >= (this.options.maxWaiting ?? 100_000)) {
      this.stats.dropped++;
      this.onAttemptDropped?.(request, token, 'wait-list-full', this.options.clock.now());
      return;
    }
    const { clock, topics, txIdPrefix, duplicateDelivery, rng } = this.options;
    const message = { key: request.playerId, value: encodeCommand(request, txIdPrefix).value, partition: this.partitionOf(request.playerId) };
    const sentAtMs = clock.now();
    if (this.batcher.requestsInFlight >= this.batcher.maxInFlight) this.stats.late++;
    this.stats.sent++;
    this.unacked++;
    this.batcher.add(topics.commands, message, (error) => {
      this.unacked--;
      const now = clock.now();
      if (error !== undefined) {
        // Past the delivery timeout: unknown whether it was written; the provider has timed out.
        this.figures.produceFailed++;
        this.stats.socketErrors++;
        return;
      }
      this.figures.produced++;
      if (request.opRef !== undefined) this.ackedAtMs[request.opRef] = now;
      this.stats.lastAnswerAtMs = now;
      this.onSentLatency(now - sentAtMs);
      target.replied(token, ACCEPTED);
    });
    if (duplicateDelivery !== undefined && isActive(duplicateDelivery, sentAtMs) && rng.next() < duplicateDelivery.rate) {
      this.figures.producedTwice++;
      this.batcher.add(topics.commands, message, (error) => {
        if (error === undefined) this.figures.produced++;
      });
    }
  }

  /** Stops sending; records already handed to the producer still go. */
  stop(): void {
    this.closed = true;
    this.batcher.flush();
  }

  /**
   * After the traffic: waits (up to timeoutMs) until the wallet's group has committed every
   * command (its lag through the admin API is 0) and every result it published has been read.
   * The wallet's own view cannot tell this: a consumer that lost the broker knows nothing of
   * what was produced meanwhile. False when the deadline came first, or `gaveUp` says the wallet
   * is gone (it would never commit): the wallet did not converge.
   */
  async catchUp(timeoutMs: number, gaveUp: () => boolean = () => false): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    // Twice in a row, 250 ms apart: the wallet's last results may still linger in its producer
    // when its lag reaches 0.
    let calm = 0;
    for (;;) {
      // Within the deadline: with the broker gone each read waits out kafkajs's retries.
      const [lag, read] = (await within(Promise.all([this.sampleLag(), this.resultsRead()]), Math.max(250, deadline - Date.now()))) ?? [undefined, false];
      calm = lag === 0 && read ? calm + 1 : 0;
      if (calm >= 2) return true;
      // Results wait in the topic and none has come for a while: the consumer is stuck (it lost
      // the broker and did not crash), so it is started again.
      if (!read && Date.now() - this.lastResultsBatchAtMs > RESULTS_STALL_MS) this.restartResults();
      if (Date.now() > deadline || gaveUp()) return false;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  private runResults(): Promise<void> {
    // Where this consumer is: after the batch's last record (a fetch is capped per partition, so
    // the high watermark may lie beyond it).
    return this.results.run({
      eachBatch: async ({ batch }) => {
        this.lastResultsBatchAtMs = Date.now();
        this.onResults(batch.partition, batch.messages, Number(batch.lastOffset()) + 1);
      },
    });
  }

  /**
   * Stops the results consumer (if it still runs) and starts it again after a second; it resumes
   * from its group's committed offsets. Tried again until it runs or the transport closes.
   */
  private restartResults(): void {
    if (this.restarting) return;
    this.restarting = true;
    this.figures.resultsConsumerRestarts++;
    const attempt = (): void => {
      if (this.closed) return void (this.restarting = false);
      this.results
        .stop()
        .then(() => this.results.connect())
        .then(() => this.runResults())
        .then(
          () => {
            this.restarting = false;
            this.lastResultsBatchAtMs = Date.now();
          },
          () => setTimeout(attempt, RESULTS_RESTART_MS),
        );
    };
    setTimeout(attempt, RESULTS_RESTART_MS);
  }

  private async resultsRead(): Promise<boolean> {
    const ends = await this.options.admin.fetchTopicOffsets(this.options.topics.results).catch(() => undefined);
    return ends !== undefined && ends.every((e) => Number(e.high) <= (this.resultEnds.get(e.partition) ?? Number(e.low)));
  }

  /**
   * Bounded (about 6 s at most) whatever the broker does: with the broker gone (Ctrl-C while it
   * is away, say) each of these calls waits out kafkajs's retries, and the partial report waited
   * 35 s for them. The DLQ's end not read in time leaves the one read with the last lag sample.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.lagTimer);
    // The run has already waited for what was in flight (3 s after an interrupt): what is still
    // unacknowledged now gets a last short chance, then counts as failed.
    const [dlqEnd] = await Promise.all([within(this.dlqOffset(), CLOSE_STEP_MS), this.batcher.drain(CLOSE_STEP_MS)]);
    this.dlqEnd = Math.max(this.dlqEnd, dlqEnd ?? 0);
    this.batcher.close();
    await within(Promise.all([this.producer.disconnect(), this.results.disconnect()]), CLOSE_STEP_MS);
    await within(this.options.admin.deleteGroups([this.resultsGroupId]), CLOSE_STEP_MS);
  }

  /** The kafka section of the report. */
  report(): KafkaRunReport {
    const f = this.figures;
    const gaps = this.batcher.stats.gaps.map((g) => ({ fromMs: Math.round(g.fromMs), toMs: g.toMs === null ? null : Math.round(g.toMs) }));
    return {
      brokers: this.options.brokers.join(','),
      topics: this.options.topics,
      partitions: this.options.partitions,
      // As it ran: an idempotent producer is held to one request in flight, whatever the scenario asks.
      producer: { ...this.options.producer, maxInFlight: this.maxInFlight },
      produced: f.produced,
      producedTwice: f.producedTwice,
      produceFailed: f.produceFailed,
      produceRequestsFailed: this.batcher.stats.failedRequests,
      producerGaps: gaps,
      longestGapMs: gaps.reduce((m, g) => Math.max(m, (g.toMs ?? Math.round(this.options.clock.now())) - g.fromMs), 0),
      resultsRead: f.resultsRead,
      resultReplays: f.resultReplays,
      resultsConsumerRestarts: f.resultsConsumerRestarts,
      deadLetters: this.dlqStart === undefined ? 0 : Math.max(0, this.dlqEnd - this.dlqStart),
      maxConsumerLagRecords: f.maxConsumerLagRecords,
      consumerLag: f.lagSamples,
    };
  }

  private onResults(partition: number, messages: { value: Buffer | null }[], readUpTo: number): void {
    const { clock, txIdPrefix } = this.options;
    this.resultEnds.set(partition, Math.max(this.resultEnds.get(partition) ?? 0, readUpTo));
    for (const m of messages) {
      const r = decodeResult(m.value);
      // Another run's result, or not walletstorm's: not this run's business.
      if (r === undefined || !r.txId.startsWith(txIdPrefix)) continue;
      this.figures.resultsRead++;
      // Not the report's `replays`: those are answers, and over Kafka the answer is the broker's
      // ack. A replay here is the inbox skipping a redelivered record, which the simulator does
      // not count as an answer either.
      if (r.replay === true) this.figures.resultReplays++;
      const appliedAtMs = r.appliedAtEpochMs - clock.epochMs;
      const acked = r.opRef === undefined ? undefined : this.ackedAtMs[r.opRef];
      if (acked !== undefined && appliedAtMs - acked > this.maxLagMsSinceSample) this.maxLagMsSinceSample = appliedAtMs - acked;
      const response: WalletResponse = r.replay === true ? { code: r.code, replay: true } : { code: r.code };
      this.probe?.settled({ opRef: r.opRef, txId: r.txId.slice(txIdPrefix.length) } as MoneyRequest, response, appliedAtMs);
    }
  }

  /** The wallet group's lag: records between its committed offsets and the end of the topic (undefined: not read). */
  private async sampleLag(): Promise<number | undefined> {
    if (this.lagInFlight) return undefined;
    this.lagInFlight = true;
    try {
      const { admin, topics, walletGroupId, clock } = this.options;
      // The DLQ's end too, so that a broker gone at the end of the run leaves the count as last seen.
      const [ends, groups, dlqEnd] = await Promise.all([admin.fetchTopicOffsets(topics.commands), admin.fetchOffsets({ groupId: walletGroupId, topics: [topics.commands] }), this.dlqOffset()]);
      if (dlqEnd !== undefined) this.dlqEnd = Math.max(this.dlqEnd, dlqEnd);
      const committed = new Map((groups[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)] as const));
      let records = 0;
      for (const e of ends) {
        const c = committed.get(e.partition) ?? -1;
        records += Number(e.high) - (c >= 0 ? c : Number(e.low));
      }
      const now = clock.now();
      this.figures.lagSamples.push({ tMs: Math.round(now), records });
      if (records > this.figures.maxConsumerLagRecords) this.figures.maxConsumerLagRecords = records;
      this.probe?.logLag(this.maxLagMsSinceSample, records, now);
      this.maxLagMsSinceSample = 0;
      return records;
    } catch {
      // The broker may be gone for a while: the producer's gaps say so; lag is sampled again later.
      return undefined;
    } finally {
      this.lagInFlight = false;
    }
  }

  private async dlqOffset(): Promise<number | undefined> {
    const ends = await this.options.admin.fetchTopicOffsets(this.options.topics.dlq).catch(() => undefined);
    return ends?.reduce((sum, e) => sum + Number(e.high), 0);
  }
}
