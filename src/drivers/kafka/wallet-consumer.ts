import type { Batch, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Timer } from '../../ports/clock.js';
import { MAX_TIMER_MS } from '../real-clock.js';

/** What a consumer instance needs from the log it belongs to (KafkaLog). */
export interface ConsumerHost {
  readonly options: {
    readonly kafka: Kafka;
    readonly groupId: string;
    readonly topics: { readonly commands: string };
    readonly commitEvery: number;
    readonly idleCommitMs?: number;
  };
  readonly stats: { commits: number };
  sawBatch(batch: Batch): void;
  handle(partition: number, message: KafkaMessage, owner: { track(timer: Timer): void }, done: () => void, fail: (error: Error) => void): void;
  applied(partition: number, offset: number, endOfBatch: boolean): void;
  committed(partition: number, next: number): void;
  rewind(partitions: Iterable<number>): void;
  /** The instance stopped for good (kafkajs gave up on it, or it could not start): the host replaces it. */
  consumerDied(dead: WalletConsumer, error: Error): void;
}

/** A long batch (a slow apply time) tells the coordinator it is alive at least this often. */
const HEARTBEAT_EVERY_MS = 1000;

/**
 * One member of the wallet's consumer group. It applies a batch one record at a time, in order,
 * and commits offsets after applying: every commitEvery records, and when it has been idle for
 * idleCommitMs. What it has applied is kept apart from what is known committed, so a commit
 * that failed (or that kafkajs dropped while restarting) is made again, never lost.
 */
export class WalletConsumer {
  /** Partitions of the current generation, once joined. */
  assigned: number[] | undefined;
  private readonly consumer: Consumer;
  private starting: Promise<void> | undefined;
  /** Crashed or stopped: applies nothing more, commits nothing more. */
  private gone = false;
  private stopping = false;
  /** A disconnect of a comeback (see bury) is under way. */
  private burying = false;
  private inFlight: Timer | undefined;
  private abandon: (() => void) | undefined;
  /** Per partition, the offset after the last record this instance applied... */
  private readonly appliedNext = new Map<number, number>();
  /** ...and the last one it knows committed. */
  private readonly committedNext = new Map<number, number>();
  /** A new generation or a failed commit: commit everything applied at the next chance. */
  private recommit = false;
  private sinceCommit = 0;
  private committing: Promise<void> | undefined;
  private commitAgain = false;
  private lastAppliedAtMs = 0;
  private lastHeartbeatAtMs = 0;
  private rebalancing = false;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly log: ConsumerHost,
    readonly index: number,
  ) {
    const { kafka, groupId, topics } = log.options;
    this.consumer = kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      rebalanceTimeout: 10_000,
      // Members notice a rebalance at their next heartbeat: keep it short so joins are quick.
      heartbeatInterval: 500,
      maxWaitTimeInMs: 50,
      allowAutoTopicCreation: false,
      retry: {
        retries: 8,
        initialRetryTime: 100,
        maxRetryTime: 2000,
        // kafkajs restarts a consumer after a retriable crash (one with the broker away) once its
        // own disconnect is done, whoever else disconnected it meanwhile: an instance crashed or
        // stopped during that disconnect came back to life and joined the group again, holding
        // partitions that nothing applied (eachBatch does nothing once gone). Not restarted.
        restartOnFailure: async () => !this.gone && !this.stopping,
      },
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      // A restart kafkajs began before this instance went away finishes after it: leave again.
      if (this.gone) return this.bury();
      this.assigned = [...(e.payload.memberAssignment[topics.commands] ?? [])];
      // Offsets of partitions given away must never be committed later: that would move the new
      // owner's committed offset backwards.
      for (const p of [...this.appliedNext.keys()]) {
        if (this.assigned.includes(p)) continue;
        this.appliedNext.delete(p);
        this.committedNext.delete(p);
      }
      this.recommit = true;
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      // kafkajs restarts a consumer after a retriable error only: after one it gives up on (the
      // broker away longer than its retries: "Failed to find group coordinator") the member is
      // dead, and its partitions, if it still holds them, would never be read again.
      if (!e.payload.restart && !this.gone && !this.stopping) this.log.consumerDied(this, e.payload.error);
    });
  }

  start(): Promise<void> {
    this.starting ??= this.connectAndRun();
    return this.starting;
  }

  track(timer: Timer): void {
    this.inFlight = timer;
  }

  /** Dies without committing: the record in flight is abandoned, the uncommitted ones replay. */
  async crash(): Promise<void> {
    this.gone = true;
    clearInterval(this.idleTimer);
    this.inFlight?.cancel();
    this.abandon?.();
    this.log.rewind([...this.appliedNext.keys()].filter((p) => this.appliedNext.get(p) !== this.committedNext.get(p)));
    this.appliedNext.clear();
    // kafkajs would join the group again if run() came after this disconnect: let start end first.
    await this.starting?.catch(() => {});
    await this.consumer.disconnect().catch(() => {});
  }

  /** Stops after the record in flight, commits what it applied, leaves the group. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.idleTimer);
    await this.starting?.catch(() => {});
    await this.committing;
    await this.commit(true).catch(() => {});
    this.gone = true;
    this.abandon?.();
    await this.consumer.disconnect().catch(() => {});
  }

  /**
   * Disconnects an instance that is gone but that kafkajs brought back (it joined or fetched
   * again). Deferred: from inside a join kafkajs's runner is not running yet, and its stop would
   * do nothing; from inside a batch the disconnect waits for that batch to end.
   */
  private bury(): void {
    if (this.burying) return;
    this.burying = true;
    setTimeout(() => {
      void this.consumer
        .disconnect()
        .catch(() => {})
        .finally(() => (this.burying = false));
    }, 0);
  }

  private async connectAndRun(): Promise<void> {
    await this.consumer.connect();
    if (this.gone) return;
    await this.consumer.subscribe({ topic: this.log.options.topics.commands, fromBeginning: true });
    if (this.gone) return;
    await this.consumer.run({ autoCommit: false, eachBatchAutoResolve: false, eachBatch: (payload) => this.eachBatch(payload) });
    if (this.gone) return;
    // Past what a node timer holds (idleCommitMs of weeks, which the scenario allows) setInterval
    // warns and repeats every 1 ms: it checks at most that often, and commitIfIdle counts the time.
    this.idleTimer = setInterval(() => this.commitIfIdle(), Math.min(MAX_TIMER_MS, this.log.options.idleCommitMs ?? 1000));
  }

  /**
   * The next record starts from inside the previous one's completion, not after an await: a
   * zero-time apply then runs the whole batch in one turn of the event loop instead of one turn
   * per record, which would cap a consumer at the loop's turn rate. kafkajs is told the last
   * applied offset once per batch (it parses a Long each time); commits carry their own offsets.
   */
  private eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    if (this.gone) {
      // Still fetching after it went away (a restart of kafkajs's that outlived the disconnect):
      // it would hold its partitions and never apply them.
      this.bury();
      return Promise.resolve();
    }
    this.log.sawBatch(batch);
    const { messages, partition } = batch;
    this.rebalancing = false;
    let lastApplied: string | undefined;
    return new Promise<void>((resolve, reject) => {
      const finish = (error?: Error): void => {
        if (lastApplied !== undefined && !this.gone) resolveOffset(lastApplied);
        if (error !== undefined) reject(error);
        else resolve();
      };
      this.abandon = resolve;
      let i = 0;
      const next = (): void => {
        this.inFlight = undefined;
        if (i >= messages.length || this.gone || this.stopping || this.rebalancing || !isRunning() || isStale()) return finish();
        const message = messages[i++]!;
        this.log.handle(partition, message, this, () => done(message.offset), finish);
      };
      const done = (offsetText: string): void => {
        if (this.gone) return;
        const offset = Number(offsetText);
        lastApplied = offsetText;
        this.appliedNext.set(partition, offset + 1);
        this.lastAppliedAtMs = Date.now();
        this.log.applied(partition, offset, i >= messages.length);
        if (++this.sinceCommit >= this.log.options.commitEvery) this.requestCommit();
        if (this.lastAppliedAtMs - this.lastHeartbeatAtMs >= HEARTBEAT_EVERY_MS) {
          this.lastHeartbeatAtMs = this.lastAppliedAtMs;
          // A rebalance announced now ends the batch, so this member rejoins in time.
          heartbeat().catch(() => (this.rebalancing = true));
        }
        next();
      };
      next();
    });
  }

  /** One commit in flight at a time, so an older offset can never land after a newer one. */
  private requestCommit(force = false): void {
    if (this.committing !== undefined) {
      this.commitAgain = true;
      return;
    }
    this.committing = this.commit(force)
      .catch(() => {
        this.recommit = true;
      })
      .finally(() => {
        this.committing = undefined;
        if (this.commitAgain) {
          this.commitAgain = false;
          this.requestCommit();
        }
      });
  }

  /** Commits every partition applied past its known commit (all of them when forced). */
  private async commit(force = false): Promise<void> {
    if (this.gone) return;
    this.sinceCommit = 0;
    const topic = this.log.options.topics.commands;
    const offsets = [...this.appliedNext]
      .filter(([p, next]) => force || this.committedNext.get(p) !== next)
      .map(([partition, next]) => ({ topic, partition, offset: String(next) }));
    if (offsets.length === 0) return;
    await this.consumer.commitOffsets(offsets);
    this.log.stats.commits++;
    for (const o of offsets) {
      this.committedNext.set(o.partition, Number(o.offset));
      this.log.committed(o.partition, Number(o.offset));
    }
  }

  private commitIfIdle(): void {
    if (this.gone || this.stopping || Date.now() - this.lastAppliedAtMs < (this.log.options.idleCommitMs ?? 1000)) return;
    const behind = [...this.appliedNext].some(([p, next]) => this.committedNext.get(p) !== next);
    if (!behind && !this.recommit) return;
    const force = this.recommit;
    this.recommit = false;
    this.requestCommit(force);
  }
}
