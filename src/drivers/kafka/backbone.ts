import type { Admin, Producer } from 'kafkajs';
import type { MoneyRequest } from '../../domain/operations.js';
import type { WalletResponse } from '../../domain/results.js';
import { usageError, WalletstormError } from '../../errors.js';
import type { LogSettings, ModelName } from '../../models/config.js';
import type { KafkaSettings } from '../../scenario/compile.js';
import type { RealClock } from '../real-clock.js';
import { openProducer, ProduceBatcher } from './batcher.js';
import { brokerSetupError, connectAdmin, ensureTopics, kafkaClient, partitionerFor, refuseCommittedGroup, walletGroupId, walletTopics, type WalletTopics } from './cluster.js';
import { commandCodec, encodeResult, hybridCodec, type RecordCodec } from './codec.js';
import { DeadLetterNotice } from './dead-letter-notice.js';
import { KafkaLog, type CrashPlan } from './kafka-log.js';

/** Results wait at least this long to share a produce request. */
const RESULTS_LINGER_MS = 25;

export interface BackboneOptions {
  readonly brokers: readonly string[];
  readonly topicPrefix: string;
  readonly model: ModelName;
  readonly log: LogSettings;
  readonly kafka: KafkaSettings;
  readonly crash?: CrashPlan;
  readonly clock: RealClock;
  /** Lines for the operator's terminal (stderr): each dead letter, rate-limited. None when absent. */
  readonly warn?: (line: string) => void;
}

/**
 * Everything a wallet needs from a real broker: its topics (created with the scenario's
 * partition count), the command log its model appends to and consumes from, and the results
 * topic it publishes every application to. One producer serves commands, results and the DLQ.
 */
export class KafkaBackbone {
  lastError: string | undefined;
  /** Results that could not be written (past the delivery timeout): the ledger has them, the stream not. */
  resultsFailed = 0;
  private readonly partitionOf: (key: string) => number;

  private constructor(
    readonly brokers: readonly string[],
    readonly topics: WalletTopics,
    readonly log: KafkaLog<unknown>,
    private readonly admin: Admin,
    private readonly producer: Producer,
    private readonly batcher: ProduceBatcher,
    private readonly results: ProduceBatcher,
    private readonly clock: RealClock,
    partitions: number,
    private readonly deadLetters: DeadLetterNotice | undefined,
  ) {
    this.partitionOf = partitionerFor(partitions);
  }

  static async open(options: BackboneOptions): Promise<KafkaBackbone> {
    if (options.model === 'request') {
      throw usageError('E_MODEL_WITHOUT_LOG', 'the request-driven wallet has no log to put on Kafka', 'use --brokers with --model event or hybrid');
    }
    const kafka = kafkaClient({ brokers: options.brokers, clientId: 'walletstorm-serve' });
    const admin = await connectAdmin(kafka, options.brokers);
    const topics = walletTopics(options.topicPrefix);
    const { producer: p } = options.kafka;
    const { producer, batcherOptions } = openProducer(kafka, p, () => options.clock.now());
    try {
      await ensureTopics(admin, topics, options.log.partitions, `wallet.${options.model}.partitions`);
      await refuseCommittedGroup(admin, topics, walletGroupId(options.topicPrefix));
      await producer.connect();
    } catch (cause) {
      await admin.disconnect().catch(() => {});
      if (cause instanceof WalletstormError) throw cause;
      throw brokerSetupError(options.brokers, cause);
    }
    const batcher = new ProduceBatcher(producer, batcherOptions);
    // Results carry the time the ledger applied them, so waiting longer to share a request costs
    // their readers nothing in measured latency and the wallet far fewer produce requests.
    const results = new ProduceBatcher(producer, { ...batcherOptions, lingerMs: Math.max(p.lingerMs, RESULTS_LINGER_MS) });
    const codec = (options.model === 'event' ? commandCodec : hybridCodec) as RecordCodec<unknown>;
    const deadLetters = options.warn === undefined ? undefined : new DeadLetterNotice(options.clock, options.warn);
    const log = await KafkaLog.open<unknown>({
      kafka,
      admin,
      topics,
      groupId: walletGroupId(options.topicPrefix),
      partitions: options.log.partitions,
      consumers: options.log.consumers,
      commitEvery: options.log.commitEvery,
      idleCommitMs: options.kafka.idleCommitMs,
      codec,
      clock: options.clock,
      batcher,
      crash: options.crash,
      onError: (e) => (backbone.lastError = `a consumer stopped: ${e.message}`),
      ...(deadLetters !== undefined && { onDeadLetter: (letter) => deadLetters.report(letter) }),
    });
    const backbone = new KafkaBackbone(options.brokers, topics, log, admin, producer, batcher, results, options.clock, options.log.partitions, deadLetters);
    return backbone;
  }

  /** Publishes what the ledger did with a command, for the load generator and anyone listening. */
  publishResult(request: MoneyRequest, response: WalletResponse, nowMs: number): void {
    const value = encodeResult(request, response, this.clock.epochMs + nowMs);
    this.results.add(this.topics.results, { key: request.playerId, value, partition: this.partitionOf(request.playerId) }, (error) => {
      if (error !== undefined) this.resultsFailed++;
    });
  }

  /** For /healthz: the log's counts and the producer's state. */
  health() {
    const s = this.log.stats;
    return {
      brokers: this.brokers.join(','),
      topics: this.topics,
      applied: s.applied,
      deadLetters: s.deadLetters,
      commits: s.commits,
      consumerCrashes: s.consumerCrashes,
      redelivered: s.redelivered,
      produceRequestsFailed: this.batcher.stats.failedRequests + this.results.stats.failedRequests,
      resultsFailed: this.resultsFailed,
      ...(this.lastError !== undefined && { error: this.lastError }),
    };
  }

  /** Stops consuming (committing what was applied), sends what waits, disconnects. */
  async close(): Promise<void> {
    await this.log.stop();
    await Promise.all([this.batcher.drain(5000), this.results.drain(5000)]);
    // After the drain: a dead letter the DLQ acknowledged during it is counted too.
    this.deadLetters?.flush();
    this.batcher.close();
    this.results.close();
    await Promise.all([this.producer.disconnect().catch(() => {}), this.admin.disconnect().catch(() => {})]);
  }
}
