import type { Clock } from '../ports/clock.js';
import type { CommandLog, Delivery, LogRecord, RecordProcessor } from '../ports/log.js';

export interface EmbeddedLogOptions {
  readonly partitions: number;
  readonly consumers: number;
  /** A consumer commits its offsets after this many processed records. */
  readonly commitEvery: number;
  readonly onLag?: (lagMs: number, backlogRecords: number, nowMs: number) => void;
  readonly onDrained?: (nowMs: number) => void;
  /** Asked after each record: deliver it once more (a duplicate delivery fault). */
  readonly redeliver?: (nowMs: number) => boolean;
}

/** Ring capacity a partition starts with (a power of two); it doubles when the live records fill it. */
const INITIAL_CAPACITY = 64;

/**
 * One partition: its records from the committed offset on, in a ring of parallel arrays (append
 * time, hint, value) rather than an object per record: the log holds every record in flight, and a
 * run appends millions. What lies below the committed offset can never be delivered again, so
 * its slots are emptied at each commit and reused: a long run would otherwise keep every record
 * and its request alive to the end, for the garbage collector to copy and keep.
 */
class Partition<T> {
  private appendedAtMs = new Float64Array(INITIAL_CAPACITY);
  private hints = new Float64Array(INITIAL_CAPACITY);
  private values: (T | undefined)[] = new Array<T | undefined>(INITIAL_CAPACITY).fill(undefined);
  /** Capacity - 1: offset & mask is an offset's slot (exact for any safe integer offset). */
  private mask = INITIAL_CAPACITY - 1;
  /** The offset the next appended record gets. */
  end = 0;
  /** Next offset the consumer will process. */
  position = 0;
  /** Where a restarted consumer resumes. */
  committed = 0;

  constructor(readonly index: number) {}

  append(value: T, hint: number, nowMs: number): void {
    if (this.end - this.committed > this.mask) this.grow();
    const slot = this.end & this.mask;
    this.appendedAtMs[slot] = nowMs;
    this.hints[slot] = hint;
    this.values[slot] = value;
    this.end++;
  }

  appendedAtMsOf(offset: number): number {
    return this.appendedAtMs[offset & this.mask]!;
  }

  hintOf(offset: number): number {
    return this.hints[offset & this.mask]!;
  }

  valueOf(offset: number): T {
    return this.values[offset & this.mask]!;
  }

  commit(): void {
    for (let offset = this.committed; offset < this.position; offset++) this.values[offset & this.mask] = undefined;
    this.committed = this.position;
  }

  /** Doubles the ring, keeping each live record (committed to end) at its offset's new slot. */
  private grow(): void {
    const capacity = (this.mask + 1) * 2;
    const appendedAtMs = new Float64Array(capacity);
    const hints = new Float64Array(capacity);
    const values = new Array<T | undefined>(capacity).fill(undefined);
    for (let offset = this.committed; offset < this.end; offset++) {
      appendedAtMs[offset & (capacity - 1)] = this.appendedAtMs[offset & this.mask]!;
      hints[offset & (capacity - 1)] = this.hints[offset & this.mask]!;
      values[offset & (capacity - 1)] = this.values[offset & this.mask];
    }
    this.appendedAtMs = appendedAtMs;
    this.hints = hints;
    this.values = values;
    this.mask = capacity - 1;
  }
}

/**
 * An in-memory log with Kafka's delivery semantics: partitioned by key, ordered within a
 * partition, consumed by a group with static assignment, offsets committed in batches.
 * It runs on the Clock port, so it serves the simulator and the real server alike.
 */
export class EmbeddedLog<T> implements CommandLog<T> {
  private readonly partitions: Partition<T>[];
  private readonly consumers: Consumer<T>[] = [];
  private processor: RecordProcessor<T> | undefined;
  private unprocessed = 0;
  /** Records a consumer has taken and not finished applying: out of the backlog, not applied yet. */
  private applying = 0;

  constructor(
    private readonly clock: Clock,
    private readonly options: EmbeddedLogOptions,
  ) {
    this.partitions = Array.from({ length: options.partitions }, (_, i) => new Partition<T>(i));
  }

  partitionOf(key: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    return (h >>> 0) % this.partitions.length;
  }

  append<A>(key: string, value: T, onAppended: (arg: A) => void, arg: A, _onFailed?: (arg: A) => void, hint = -1): void {
    const partition = this.partitionOf(key);
    this.partitions[partition]!.append(value, hint, this.clock.now());
    this.unprocessed++;
    onAppended(arg);
    this.consumers[partition % this.consumers.length]?.wake();
  }

  consume(process: RecordProcessor<T>): void {
    this.processor = process;
    const count = Math.min(this.options.consumers, this.partitions.length);
    for (let c = 0; c < count; c++) {
      const owned = this.partitions.filter((_, i) => i % count === c);
      this.consumers.push(new Consumer(this, owned));
    }
  }

  backlog(): number {
    return this.unprocessed;
  }

  /**
   * The backlog and the records consumers have taken and are still applying: those are out of the
   * backlog (the lag figures count what waits for a consumer), but not in the ledger yet.
   */
  unapplied(): number {
    return this.unprocessed + this.applying;
  }

  /** Stops consumer i; its uncommitted records will be delivered again when it resumes. */
  crash(consumerIndex: number): void {
    const lost = this.consumers[consumerIndex]?.crash() ?? 0;
    this.unprocessed += lost;
  }

  resume(consumerIndex: number): void {
    this.consumers[consumerIndex]?.resume();
  }

  get consumerCount(): number {
    return this.consumers.length;
  }

  /** Called by consumers; kept here so the backlog and lag figures have one owner. Returns the apply's ticket. */
  take(delivery: Delivery<T>): number {
    const now = this.clock.now();
    this.unprocessed--;
    this.applying++;
    this.options.onLag?.(now - delivery.record.appendedAtMs, this.unprocessed, now);
    return this.processor!(delivery);
  }

  /** A crashed consumer's apply in flight never happens. */
  abandon(ticket: number): void {
    this.applying--;
    this.clock.cancel(ticket);
  }

  /** Called by consumers: the record taken last was applied (see unapplied). */
  applyEnded(): void {
    this.applying--;
  }

  /** A processed record goes round once more when the fault says so (never twice in a row). */
  redeliverNow(): boolean {
    if (this.options.redeliver?.(this.clock.now()) !== true) return false;
    this.unprocessed++;
    return true;
  }

  processed(): void {
    if (this.unprocessed === 0) this.options.onDrained?.(this.clock.now());
  }

  get commitEvery(): number {
    return this.options.commitEvery;
  }
}

/**
 * One consumer of the group. It applies one record at a time, so it is itself the delivery of
 * the record in flight and that record (see Delivery): the model calls its done() when the record
 * is applied. No object per delivery: the partition keeps its records in arrays.
 */
class Consumer<T> implements Delivery<T>, LogRecord<T> {
  /** The record in flight (LogRecord), while `from` is set: read only while it is. */
  partition = 0;
  offset = 0;
  appendedAtMs = 0;
  value!: T;
  hint = -1;
  /** The partition of the record in flight; undefined when there is none. */
  private from: Partition<T> | undefined = undefined;
  /** The apply in flight (a clock ticket), while `from` is set. */
  private ticket = 0;
  private redelivered = false;
  private running = true;
  private sinceCommit = 0;
  private next = 0;

  constructor(
    private readonly log: EmbeddedLog<T>,
    private readonly owned: Partition<T>[],
  ) {}

  /** The record in flight (Delivery): the consumer itself, read only while it is in flight. */
  get record(): LogRecord<T> {
    return this;
  }

  wake(): void {
    if (this.running && this.from === undefined) this.poll();
  }

  /** Returns how many records go back to unprocessed: the abandoned one and the uncommitted. */
  crash(): number {
    this.running = false;
    this.redelivered = false;
    let redelivered = 0;
    if (this.from !== undefined) {
      redelivered = 1;
      this.log.abandon(this.ticket);
      this.from = undefined;
    }
    this.sinceCommit = 0;
    for (const p of this.owned) {
      redelivered += p.position - p.committed;
      p.position = p.committed;
    }
    return redelivered;
  }

  resume(): void {
    this.running = true;
    this.wake();
  }

  private poll(): void {
    const p = this.nextReady();
    if (p === undefined) return;
    this.partition = p.index;
    this.offset = p.position;
    this.appendedAtMs = p.appendedAtMsOf(p.position);
    this.value = p.valueOf(p.position);
    this.hint = p.hintOf(p.position);
    this.deliver(p);
  }

  /** Hands the record now in the fields to the log (again, for a redelivery). */
  private deliver(p: Partition<T>): void {
    this.from = p;
    this.ticket = this.log.take(this);
  }

  done(): void {
    this.log.applyEnded();
    const p = this.from!;
    this.from = undefined;
    if (!this.redelivered && this.log.redeliverNow()) {
      this.redelivered = true;
      return this.deliver(p);
    }
    this.redelivered = false;
    p.position++;
    if (++this.sinceCommit >= this.log.commitEvery) this.commit();
    this.log.processed();
    if (this.running) this.poll();
  }

  private commit(): void {
    this.sinceCommit = 0;
    for (const p of this.owned) p.commit();
  }

  /** Round-robin over owned partitions so one hot partition cannot starve the others. */
  private nextReady(): Partition<T> | undefined {
    const n = this.owned.length;
    for (let i = 0; i < n; i++) {
      const p = this.owned[(this.next + i) % n]!;
      if (p.position < p.end) {
        this.next = (this.next + i + 1) % n;
        return p;
      }
    }
    return undefined;
  }
}
