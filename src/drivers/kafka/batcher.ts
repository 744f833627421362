import { performance } from 'node:perf_hooks';
import { CompressionTypes, type Kafka, type Message, type Producer } from 'kafkajs';
import type { KafkaSettings } from '../../scenario/compile.js';

export interface BatcherOptions {
  /** A record waits at most this long for others to share its produce request (Kafka's linger.ms). */
  readonly lingerMs: number;
  /** Records per produce request at most. */
  readonly batchSize: number;
  /** Produce requests in flight at once; more records wait in the batch. */
  readonly maxInFlight: number;
  /** -1: every in-sync replica has it (acks=all); 1: the leader has it. */
  readonly acks: -1 | 1;
  /** A record still not acknowledged this long after it was first sent fails (Kafka's delivery.timeout.ms). */
  readonly deliveryTimeoutMs: number;
  /** The run's clock, for the gaps in the report. */
  readonly nowMs: () => number;
}

/**
 * A producer for the scenario's settings and the options of the batchers on it. kafkajs keeps an
 * idempotent producer's order only with one request in flight, so both are held to one then.
 */
export function openProducer(kafka: Kafka, settings: KafkaSettings['producer'], nowMs: () => number): { producer: Producer; batcherOptions: BatcherOptions } {
  const maxInFlight = settings.idempotent ? 1 : settings.maxInFlight;
  const producer = kafka.producer({ idempotent: settings.idempotent, maxInFlightRequests: maxInFlight, allowAutoTopicCreation: false });
  return { producer, batcherOptions: { ...settings, maxInFlight, deliveryTimeoutMs: 120_000, nowMs } };
}

/**
 * No acknowledgement for this long while a request waited for one is a gap in the report. A
 * loopback broker acknowledges in milliseconds, and tens of them under heavy load.
 */
const STALL_MS = 1000;

/** Called once per record: its partition offset when acknowledged, or why it failed for good. */
export type Delivered = (error: Error | undefined, offset?: number) => void;

interface Pending {
  /** performance.now() when it was added: it goes at the latest lingerMs after. */
  readonly addedAtMs: number;
  readonly topic: string;
  readonly message: Message & { partition: number };
  readonly delivered: Delivered;
}

export interface BatcherStats {
  /** Records acknowledged by the broker. */
  produced: number;
  /** Produce requests that failed after kafkajs's own retries; the batch was sent again. */
  failedRequests: number;
  /** Records that failed for good (past the delivery timeout). */
  failedRecords: number;
  /**
   * Stretches of run time without an acknowledgement while produce requests failed or waited
   * over a second for one (a broker gone): from the last acknowledgement before the stall (or
   * the first failure) to the first one after.
   */
  readonly gaps: { fromMs: number; toMs: number | null }[];
}

/**
 * Batches records into produce requests, as the Java producer's accumulator does: a record
 * waits up to lingerMs or until batchSize records are waiting, and up to maxInFlight requests
 * are in flight. A request that fails even after kafkajs's retries (a broker gone for longer
 * than those) is sent again with backoff until the delivery timeout, so a broker that comes
 * back within it loses nothing; the stretch without acknowledgements is kept as a gap.
 *
 * Partitions are set by the caller (see partitionerFor), so the offset of each record can be
 * told from the base offset of its partition in the answer.
 */
export class ProduceBatcher {
  readonly stats: BatcherStats = { produced: 0, failedRequests: 0, failedRecords: 0, gaps: [] };
  private pending: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private closed = false;
  private readonly idle: (() => void)[] = [];
  /** The last acknowledgement: a gap starts there, not when kafkajs finally gives up retrying. */
  private lastAckAtMs: number | undefined;
  /** When each request in flight was first sent (at most maxInFlight of them), for a stall still open at the close. */
  private readonly inFlightSentAtMs: number[] = [];

  constructor(
    private readonly producer: Producer,
    private readonly options: BatcherOptions,
  ) {}

  get waiting(): number {
    return this.pending.length;
  }

  get requestsInFlight(): number {
    return this.inFlight;
  }

  get maxInFlight(): number {
    return this.options.maxInFlight;
  }

  add(topic: string, message: Message & { partition: number }, delivered: Delivered): void {
    if (this.closed) return delivered(new Error('the producer is closed'));
    this.pending.push({ addedAtMs: performance.now(), topic, message, delivered });
    if (this.pending.length >= this.options.batchSize) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.lingerMs);
  }

  /** Sends what waits now, as far as the in-flight limit allows. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    while (this.pending.length > 0 && this.inFlight < this.options.maxInFlight) {
      const batch = this.pending.splice(0, this.options.batchSize);
      this.send(batch, this.options.nowMs(), 0);
    }
    this.settleIdle();
  }

  /**
   * A request came back: send what waits if a batch is full or its linger is over, as the Java
   * producer's sender does; otherwise let it linger. Sending at once whatever waits would turn
   * a busy producer into a stream of one-record requests.
   */
  private sendReady(): void {
    if (this.pending.length === 0) return this.settleIdle();
    const waitedMs = performance.now() - this.pending[0]!.addedAtMs;
    if (this.pending.length >= this.options.batchSize || waitedMs >= this.options.lingerMs || this.closed) return this.flush();
    this.timer ??= setTimeout(() => this.flush(), this.options.lingerMs - waitedMs);
  }

  /** Sends everything that waits and resolves once no request is in flight, or after timeoutMs. */
  async drain(timeoutMs = Infinity): Promise<void> {
    this.flush();
    if (this.inFlight === 0 && this.pending.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.idle.push(resolve)),
      new Promise<void>((resolve) => {
        if (Number.isFinite(timeoutMs)) timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  /** Fails what waits (its callers learn it was never sent) and refuses new records. */
  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    const dropped = this.pending;
    this.pending = [];
    for (const p of dropped) p.delivered(new Error('the producer was closed before this record was sent'));
    this.noteOpenStall(this.options.nowMs());
    this.settleIdle();
  }

  private send(batch: Pending[], firstSentAtMs: number, attempt: number): void {
    this.inFlight++;
    this.inFlightSentAtMs.push(firstSentAtMs);
    const byTopic = new Map<string, Message[]>();
    for (const p of batch) {
      let list = byTopic.get(p.topic);
      if (list === undefined) byTopic.set(p.topic, (list = []));
      list.push(p.message);
    }
    this.producer
      .sendBatch({ acks: this.options.acks, compression: CompressionTypes.None, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) })
      .then(
        (metadata) => {
          this.inFlight--;
          this.answered(firstSentAtMs);
          const now = this.options.nowMs();
          this.closeGap();
          this.noteStall(firstSentAtMs, now);
          this.lastAckAtMs = now;
          const base = new Map<string, number>(metadata.map((m) => [`${m.topicName}/${m.partition}`, Number(m.baseOffset)]));
          const seen = new Map<string, number>();
          for (const p of batch) {
            const k = `${p.topic}/${p.message.partition}`;
            const i = seen.get(k) ?? 0;
            seen.set(k, i + 1);
            const b = base.get(k);
            // kafkajs answers nothing for a partition its metadata lacks (a topic with fewer
            // partitions): that record was never written, so it failed, for good.
            if (b === undefined) {
              this.stats.failedRecords++;
              p.delivered(new Error(`partition ${p.message.partition} of ${p.topic} got no offset back: the topic has no such partition`));
              continue;
            }
            this.stats.produced++;
            p.delivered(undefined, b + i);
          }
          this.sendReady();
        },
        (error: Error) => {
          this.inFlight--;
          this.answered(firstSentAtMs);
          this.stats.failedRequests++;
          const retry = worthRetrying(error) && !this.closed;
          if (retry) this.openGap();
          const now = this.options.nowMs();
          if (!retry || now - firstSentAtMs >= this.options.deliveryTimeoutMs) {
            this.stats.failedRecords += batch.length;
            for (const p of batch) p.delivered(error);
            this.sendReady();
            return;
          }
          // kafkajs has already retried for a few seconds: back off up to 2 s and try again.
          this.inFlight++;
          setTimeout(() => {
            this.inFlight--;
            this.send(batch, firstSentAtMs, attempt + 1);
          }, Math.min(2000, 100 * 2 ** attempt));
        },
      );
  }

  private openGap(): void {
    const last = this.stats.gaps[this.stats.gaps.length - 1];
    if (last === undefined || last.toMs !== null) this.stats.gaps.push({ fromMs: this.lastAckAtMs ?? this.options.nowMs(), toMs: null });
  }

  /**
   * A request acknowledged after a stretch without any acknowledgement: kafkajs kept retrying a
   * broker that was away and got through before giving up, so no failure reached this batcher,
   * yet the producer was stalled all that time. That stretch is a gap too, unless a failure's
   * gap covers it already.
   */
  private noteStall(firstSentAtMs: number, nowMs: number): void {
    const fromMs = Math.max(this.lastAckAtMs ?? firstSentAtMs, firstSentAtMs);
    if (nowMs - fromMs < STALL_MS) return;
    const last = this.stats.gaps[this.stats.gaps.length - 1];
    if (last !== undefined && (last.toMs === null || last.toMs >= fromMs)) return;
    this.stats.gaps.push({ fromMs, toMs: nowMs });
  }

  private answered(firstSentAtMs: number): void {
    const i = this.inFlightSentAtMs.indexOf(firstSentAtMs);
    if (i >= 0) this.inFlightSentAtMs.splice(i, 1);
  }

  /**
   * At the close: requests still unanswered with nothing acknowledged for a stall's length are a
   * producer stalled as the run ends (a broker away, kafkajs still retrying, so no failure came
   * back to open a gap): an open gap, as a failure would have made.
   */
  private noteOpenStall(nowMs: number): void {
    if (this.inFlightSentAtMs.length === 0) return;
    const oldest = Math.min(...this.inFlightSentAtMs);
    const fromMs = Math.max(this.lastAckAtMs ?? oldest, oldest);
    const last = this.stats.gaps[this.stats.gaps.length - 1];
    if (nowMs - fromMs < STALL_MS || (last !== undefined && (last.toMs === null || last.toMs >= fromMs))) return;
    this.stats.gaps.push({ fromMs, toMs: null });
  }

  private closeGap(): void {
    const last = this.stats.gaps[this.stats.gaps.length - 1];
    if (last !== undefined && last.toMs === null) last.toMs = this.options.nowMs();
  }

  private settleIdle(): void {
    if (this.inFlight > 0 || this.pending.length > 0) return;
    for (const resolve of this.idle.splice(0)) resolve();
  }
}

/**
 * As kafkajs decides for its consumers: a broker that cannot be reached (retries exhausted, a
 * cause marked retriable) is worth waiting for; a request the broker refuses for good (a bad
 * configuration, a record too large) fails its records now.
 */
function worthRetrying(error: Error & { retriable?: boolean; cause?: unknown }): boolean {
  let cause: (Error & { retriable?: boolean; cause?: unknown }) | undefined = error;
  while (cause?.cause !== undefined) cause = cause.cause as typeof cause;
  return error.name === 'KafkaJSNumberOfRetriesExceeded' || error.retriable === true || cause?.retriable === true;
}
