import type { Timer } from './clock.js';

export interface LogRecord<T> {
  readonly partition: number;
  readonly offset: number;
  readonly appendedAtMs: number;
  readonly value: T;
}

/**
 * Applies one record; calls done when it is applied. Returns the in-flight work so a crashing
 * consumer can abandon it (an uncommitted transaction never happened).
 */
export type RecordProcessor<T> = (record: LogRecord<T>, done: () => void) => Timer;

/**
 * A partitioned, append-only log with a consumer group that commits offsets every N records
 * (at-least-once). The embedded log implements it in both worlds; Kafka implements it for real.
 */
export interface CommandLog<T> {
  append(key: string, value: T, onAppended: () => void): void;
  /** Starts the consumers; each processes its partitions' records one at a time, in order. */
  consume(process: RecordProcessor<T>): void;
  /** Records appended and not yet processed by the current consumers. */
  backlog(): number;
}
