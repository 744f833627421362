import type { Admin, Batch, Kafka, KafkaMessage } from 'kafkajs';
import type { Timer } from '../../ports/clock.js';
import type { CommandLog, LogRecord, RecordProcessor } from '../../ports/log.js';
import type { LogEvents } from '../../models/build.js';
import type { RealClock } from '../real-clock.js';
import type { ProduceBatcher } from './batcher.js';
import { partitionerFor, retrying, type WalletTopics } from './cluster.js';
import { nextRepeatMs } from '../../faults/plan.js';
import { encodeDeadLetter, type RecordCodec } from './codec.js';
import type { DeadLetter } from './dead-letter-notice.js';
import { WalletConsumer, type ConsumerHost } from './wallet-consumer.js';

/** How long a consumer instance that stopped for good waits before its replacement joins. */
const REPLACE_AFTER_MS = 1000;

/** The consumerCrash fault on a real broker: counted from the first record this log applies. */
export interface CrashPlan {
  /**
   * Crash once, after this many records applied (redeliveries too)... Once, as a timed crash
   * without everyMs is: counting again after each restart crashed the consumers for as long as
   * the wallet ran, its drain too.
   */
  readonly afterRecords?: number;
  /** ...or at this time after the first record. */
  readonly atMs: number;
  readonly restartAfterMs: number;
  readonly consumers: 'all' | readonly number[];
  readonly everyMs?: number;
  /**
   * Repeats (everyMs) stop here, after the first record as atMs is: at the end of the scenario's
   * traffic, as in the simulator (nextRepeatMs), so that the wallet can drain and converge.
   */
  readonly untilMs: number;
}

export interface KafkaLogOptions<T> {
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly topics: WalletTopics;
  readonly groupId: string;
  readonly partitions: number;
  /** Consumer instances in the group (each a kafkajs consumer with its own connections). */
  readonly consumers: number;
  /** An instance commits its offsets after this many applied records (at-least-once). */
  readonly commitEvery: number;
  /** An instance with nothing to apply for this long commits what it applied, so lag reaches 0. */
  readonly idleCommitMs?: number;
  readonly codec: RecordCodec<T>;
  readonly clock: RealClock;
  /** The producer of commands and dead letters. */
  readonly batcher: ProduceBatcher;
  readonly crash?: CrashPlan;
  /** A consumer failed for good (kafkajs gave up restarting it). */
  readonly onError?: (error: Error) => void;
  /** A record is in the DLQ (its offset is then done). */
  readonly onDeadLetter?: (letter: DeadLetter) => void;
}

interface PartitionState {
  /** Next offset to apply. */
  next: number;
  /** Offset after the newest record known to exist (our own acks and the fetch high watermark). */
  end: number;
  committed: number;
  /**
   * Offset after the highest record ever done here. rewind() moves `next` back before the
   * replayed batch arrives, so only this tells a record delivered again from a new one.
   */
  doneUpTo: number;
}

export interface KafkaLogStats {
  applied: number;
  deadLetters: number;
  commits: number;
  consumerCrashes: number;
  /** Records applied again after a crash or a rebalance (they were applied but not committed). */
  redelivered: number;
}

/**
 * The CommandLog port on a real Kafka topic: the same wallet models the simulator runs append
 * to it and consume from it. Appends are batched produce requests keyed by playerId; a consumer
 * group applies each partition's records one at a time, in order, and commits offsets every
 * commitEvery records (at-least-once: a crash replays from the last commit, and the wallet's
 * inbox decides whether that is a no-op). A record that cannot be decoded goes to the DLQ with
 * its reason and origin, its offset is committed, and the consumer goes on.
 */
export class KafkaLog<T> implements CommandLog<T>, ConsumerHost {
  readonly stats: KafkaLogStats = { applied: 0, deadLetters: 0, commits: 0, consumerCrashes: 0, redelivered: 0 };
  private readonly state: PartitionState[];
  private readonly partitionOf: (key: string) => number;
  private readonly instances: (WalletConsumer | undefined)[] = [];
  /** The backlog when the last batch came, less what was applied since: for the lag samples. */
  private backlogNow = 0;
  private processor: RecordProcessor<T> | undefined;
  private started: Promise<void> | undefined;
  private firstRecordAtMs: number | undefined;
  private appliedCount = 0;
  private crashTimer: Timer | undefined;
  private stopped = false;
  private events: LogEvents | undefined;

  private constructor(readonly options: KafkaLogOptions<T>) {
    this.state = Array.from({ length: options.partitions }, () => ({ next: 0, end: 0, committed: 0, doneUpTo: 0 }));
    this.partitionOf = partitionerFor(options.partitions);
  }

  /** Reads where the group stands (committed and end offsets) so the backlog is right from the start. */
  static async open<T>(options: KafkaLogOptions<T>): Promise<KafkaLog<T>> {
    const log = new KafkaLog(options);
    const [ends, groups] = await Promise.all([
      retrying(() => options.admin.fetchTopicOffsets(options.topics.commands)),
      retrying(() => options.admin.fetchOffsets({ groupId: options.groupId, topics: [options.topics.commands] })),
    ]);
    for (const e of ends) {
      const s = log.state[e.partition];
      if (s === undefined) continue;
      s.end = Number(e.high);
      s.next = s.committed = Number(e.low);
    }
    for (const p of groups[0]?.partitions ?? []) {
      const s = log.state[p.partition];
      if (s !== undefined && Number(p.offset) >= 0) s.next = s.committed = Number(p.offset);
    }
    return log;
  }

  /** Where lag samples and "drained" go: the wallet's probe, once the wallet exists. */
  listen(events: LogEvents): void {
    this.events = events;
  }

  append<A>(key: string, value: T, onAppended: (arg: A) => void, arg: A, onFailed?: (arg: A) => void): void {
    const partition = this.partitionOf(key);
    const { value: encoded, headers } = this.options.codec.encode(value);
    this.options.batcher.add(this.options.topics.commands, { key, value: encoded, headers, partition }, (error, offset) => {
      // A record that could not be written is never acknowledged as accepted.
      if (error !== undefined) return onFailed?.(arg);
      if (offset !== undefined) this.state[partition]!.end = Math.max(this.state[partition]!.end, offset + 1);
      onAppended(arg);
    });
  }

  consume(process: RecordProcessor<T>): void {
    this.processor = process;
    this.started = this.startAll();
  }

  /** Resolves when every consumer instance has joined the group and holds its partitions. */
  async ready(timeoutMs = 30_000): Promise<void> {
    await this.started;
    const deadline = Date.now() + timeoutMs;
    while (!this.assignmentComplete()) {
      if (Date.now() > deadline) throw new Error(`the consumer group did not settle within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  backlog(): number {
    let n = 0;
    for (const s of this.state) if (s.end > s.next) n += s.end - s.next;
    return n;
  }

  /** A record leaves the backlog only when its apply is done (applied() moves `next`): nothing more to add. */
  unapplied(): number {
    return this.backlog();
  }

  /** Stops every consumer; what was applied and not committed will be delivered again next time. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.crashTimer?.cancel();
    await Promise.all(this.instances.map((c) => c?.stop()));
  }

  private async startAll(): Promise<void> {
    for (let i = 0; i < this.options.consumers; i++) this.instances[i] = new WalletConsumer(this, i);
    await Promise.all(this.instances.map((c) => c!.start()));
  }

  private assignmentComplete(): boolean {
    const owned = new Set<number>();
    let total = 0;
    for (const c of this.instances) {
      if (c === undefined || c.assigned === undefined) return false;
      total += c.assigned.length;
      c.assigned.forEach((p) => owned.add(p));
    }
    return total === this.options.partitions && owned.size === this.options.partitions;
  }

  // ---- called by the consumer instances ------------------------------------------------

  /** A fetched batch: what it tells about the end of the partition and where the instance starts. */
  sawBatch(batch: Batch): void {
    const s = this.state[batch.partition]!;
    this.backlogNow = -1;
    s.end = Math.max(s.end, Number(batch.highWatermark));
    const first = batch.messages[0];
    if (first !== undefined) s.next = Number(first.offset);
  }

  /**
   * Decodes and applies one record, or dead-letters it; calls done when it may be marked done
   * (from inside the clock's callback, so the next record can join the same turn of the loop).
   */
  handle(partition: number, message: KafkaMessage, owner: { track(timer: Timer): void }, done: () => void, fail: (error: Error) => void): void {
    const decoded = this.options.codec.decode(message);
    if (!decoded.ok) return this.deadLetter(decoded.reason, partition, message, done, fail);
    const { clock } = this.options;
    const now = clock.now();
    if (this.firstRecordAtMs === undefined) {
      this.firstRecordAtMs = now;
      this.scheduleCrash();
    }
    const record: LogRecord<T> = { partition, offset: Number(message.offset), appendedAtMs: Number(message.timestamp) - clock.epochMs, value: decoded.value };
    // The backlog is summed over partitions once per batch, not once per record.
    if (this.backlogNow < 0) this.backlogNow = this.backlog();
    this.events?.onLag(Math.max(0, now - record.appendedAtMs), this.backlogNow, now);
    // Counted here, not in applied(): a dead letter is done without being applied.
    const ticket = this.processor!({ record, done: () => (this.stats.applied++, done()) });
    owner.track({ cancel: () => clock.cancel(ticket) });
  }

  /** The record is done (applied or dead-lettered): commits are the instance's business, drained is the log's. */
  applied(partition: number, offset: number, endOfBatch: boolean): void {
    const s = this.state[partition]!;
    s.next = offset + 1;
    if (offset < s.doneUpTo) this.stats.redelivered++;
    s.doneUpTo = Math.max(s.doneUpTo, offset + 1);
    if (this.backlogNow > 0) this.backlogNow--;
    const plan = this.options.crash;
    if (plan?.afterRecords !== undefined && ++this.appliedCount === plan.afterRecords) this.crashNow(plan);
    if (endOfBatch && this.backlog() === 0) this.events?.onDrained(this.options.clock.now());
  }

  committed(partition: number, next: number): void {
    this.state[partition]!.committed = next;
  }

  /** An instance died: its applied-but-uncommitted records are backlog again. */
  rewind(partitions: Iterable<number>): void {
    for (const p of partitions) {
      const s = this.state[p]!;
      s.next = s.committed;
    }
  }

  /**
   * A consumer instance that stopped for good is replaced, as a service's supervisor would: it is
   * taken down as a crash is (its uncommitted records are backlog again) and a fresh one joins
   * the group a second later; while the broker is still away, again and again.
   */
  consumerDied(dead: WalletConsumer, error: Error): void {
    if (this.stopped || this.instances[dead.index] !== dead) return;
    this.options.onError?.(new Error(`${error.message} (replaced after ${REPLACE_AFTER_MS / 1000} s)`));
    this.replace(dead.index, REPLACE_AFTER_MS);
  }

  /** The record's offset is marked done only once the DLQ has it: nothing is dropped silently. */
  private deadLetter(reason: string, partition: number, message: KafkaMessage, done: () => void, fail: (error: Error) => void): void {
    const { topics, batcher } = this.options;
    const { value, headers } = encodeDeadLetter(reason, { topic: topics.commands, partition, offset: message.offset }, message);
    batcher.add(topics.dlq, { key: message.key, value, headers, partition: 0 }, (error) => {
      if (error !== undefined) return fail(error);
      this.stats.deadLetters++;
      this.options.onDeadLetter?.({ topic: topics.commands, partition, offset: message.offset, reason, dlq: topics.dlq });
      done();
    });
  }

  // ---- the consumerCrash fault -----------------------------------------------------------

  private scheduleCrash(): void {
    const plan = this.options.crash;
    // On the wallet's clock, not a bare node timer: one of more than 2^31-1 ms (24.8 days, which the
    // scenario allows) would fire after 1 ms.
    if (plan !== undefined && plan.afterRecords === undefined) this.crashTimer = this.options.clock.after(plan.atMs, () => this.crashNow(plan, plan.atMs));
  }

  /** A crash of the victims; `atMs` (after the first record) when it is one of the timed ones. */
  private crashNow(plan: CrashPlan, atMs?: number): void {
    if (this.stopped) return;
    const victims = plan.consumers === 'all' ? this.instances.map((_, i) => i) : plan.consumers.filter((i) => i < this.instances.length);
    for (const i of victims) {
      if (this.instances[i] === undefined) continue;
      this.stats.consumerCrashes++;
      this.replace(i, plan.restartAfterMs);
    }
    const next = atMs === undefined ? undefined : nextRepeatMs(atMs, plan.everyMs, plan.untilMs);
    if (next !== undefined) this.crashTimer = this.options.clock.after(next - atMs!, () => this.crashNow(plan, next));
  }

  /** Takes instance `index` down as a crash does (its uncommitted records replay) and starts a fresh one `afterMs` later. */
  private replace(index: number, afterMs: number): void {
    const dead = this.instances[index]!;
    this.instances[index] = undefined;
    void dead.crash().then(() => {
      this.options.clock.after(afterMs, () => this.restart(index));
    });
  }

  private restart(index: number): void {
    if (this.stopped) return;
    const fresh = new WalletConsumer(this, index);
    this.instances[index] = fresh;
    fresh.start().catch((e: Error) => this.consumerDied(fresh, e));
  }
}
