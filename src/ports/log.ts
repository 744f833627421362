export interface LogRecord<T> {
  readonly partition: number;
  readonly offset: number;
  readonly appendedAtMs: number;
  readonly value: T;
  /**
   * The hint the record was appended with (see CommandLog.append), or absent or negative: none.
   * A log that stores records elsewhere (Kafka) drops it, so a consumer must do without.
   */
  readonly hint?: number;
}

/**
 * A record handed to a consumer, and how the consumer hears that it is applied. A consumer
 * applies one record at a time, so in the embedded log the consumer itself is the delivery of
 * its current record, and that record: no object or closure per record.
 */
export interface Delivery<T> {
  /** Read only until done(): the embedded log's consumer holds its next record there after. */
  readonly record: LogRecord<T>;
  /** The record is applied: the consumer moves on. */
  done(): void;
}

/**
 * Applies one record and calls delivery.done() when it is applied. Returns the clock ticket of
 * the work in flight, so a crashing consumer can cancel it (an uncommitted transaction never
 * happened).
 */
export type RecordProcessor<T> = (delivery: Delivery<T>) => number;

/**
 * A partitioned, append-only log with a consumer group that commits offsets every N records
 * (at-least-once). The embedded log implements it in both worlds; Kafka implements it for real.
 */
export interface CommandLog<T> {
  /**
   * Appends value under key; onAppended(arg) once the log has it (a function and its argument,
   * no closure), or onFailed(arg) if it could not be written (a real broker; the embedded log
   * never fails). `hint`, a non-negative number, is what the appender found out about the value
   * and the consumer may reuse (the wallets: its Ledger.admission); a log may drop it.
   */
  append<A>(key: string, value: T, onAppended: (arg: A) => void, arg: A, onFailed?: (arg: A) => void, hint?: number): void;
  /** Starts the consumers; each processes its partitions' records one at a time, in order. */
  consume(process: RecordProcessor<T>): void;
  /** Records appended and not yet processed by the current consumers. */
  backlog(): number;
  /**
   * Records appended and not applied yet: the backlog and the records consumers are applying.
   * A wallet is busy while there is one (its operation is neither in the ledger nor refused yet);
   * the embedded log counts a record out of its backlog when a consumer takes it, Kafka's when its
   * apply is done.
   */
  unapplied(): number;
}
