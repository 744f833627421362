/** The KafkaLog's own counts, driven as its consumer instances drive it, against a fake admin (no broker). */
import type { Admin, Batch, Kafka, KafkaMessage } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import type { ProduceBatcher } from '../src/drivers/kafka/batcher.js';
import { walletTopics } from '../src/drivers/kafka/cluster.js';
import { commandCodec } from '../src/drivers/kafka/codec.js';
import { KafkaLog, type KafkaLogOptions } from '../src/drivers/kafka/kafka-log.js';
import { RealClock } from '../src/drivers/real-clock.js';

/** A topic of one empty partition and a group without commits. */
const fakeAdmin = {
  fetchTopicOffsets: async () => [{ partition: 0, offset: '0', high: '0', low: '0' }],
  fetchOffsets: async () => [{ topic: 'wallet.commands', partitions: [{ partition: 0, offset: '-1' }] }],
} as unknown as Admin;

/** Dead letters are acknowledged at once. */
const fakeBatcher = { add: (_topic: string, _message: unknown, onDone: (error?: Error) => void) => onDone() } as unknown as ProduceBatcher;

/** A kafkajs client whose consumers connect, join and run at once, and never fetch anything. */
const fakeKafka = {
  consumer: () => ({
    events: { GROUP_JOIN: 'join', CRASH: 'crash' },
    on: () => {},
    connect: async () => {},
    subscribe: async () => {},
    run: async () => {},
    disconnect: async () => {},
  }),
} as unknown as Kafka;

async function openLog(more: Partial<KafkaLogOptions<unknown>> = {}) {
  // No consumer instances: the test plays their part (batches, done records, commits, a crash).
  const log = await KafkaLog.open({
    kafka: fakeKafka,
    admin: fakeAdmin,
    topics: walletTopics(),
    groupId: 'g',
    partitions: 1,
    consumers: 0,
    commitEvery: 2,
    codec: commandCodec,
    clock: new RealClock(),
    batcher: fakeBatcher,
    ...more,
  });
  return log;
}

const message = (offset: number, value = 'not json'): KafkaMessage => ({ offset: String(offset), key: Buffer.from('p1'), value: Buffer.from(value), timestamp: String(Date.now()), attributes: 0, headers: {} }) as KafkaMessage;
const batch = (from: number, to: number): Batch => ({ partition: 0, highWatermark: String(to), messages: Array.from({ length: to - from }, (_, i) => message(from + i)) }) as unknown as Batch;

/** One batch as an instance takes it: every record done in order. */
function deliver<T>(log: KafkaLog<T>, from: number, to: number): void {
  log.sawBatch(batch(from, to));
  for (let o = from; o < to; o++) log.applied(0, o, o === to - 1);
}

const GOOD_BET = JSON.stringify({ op: 'bet', txId: 't1', playerId: 'p1', roundId: 'r1', amount: 100, currency: 'EUR' });

/** The first record, fetched and applied by an instance of the log's: timed crashes count from it. */
function firstRecord(log: KafkaLog<unknown>): void {
  log.sawBatch({ partition: 0, highWatermark: '1', messages: [message(0, GOOD_BET)] } as unknown as Batch);
  log.handle(0, message(0, GOOD_BET), { track: () => {} }, () => log.applied(0, 0, true), (e) => expect.fail(e.message));
}

describe('KafkaLog counts', () => {
  it('counts the records a crashed instance had done but not committed as redelivered when they come again', async () => {
    const log = await openLog();
    deliver(log, 0, 5);
    log.committed(0, 2);
    // The instance dies: 2, 3 and 4 were done, not committed.
    log.rewind([0]);
    deliver(log, 2, 7);
    expect(log.stats.redelivered).toBe(3);
    // Records past the highest ever done are new.
    deliver(log, 7, 9);
    expect(log.stats.redelivered).toBe(3);
  });

  it('counts as applied only the records applied, not the dead letters', async () => {
    const log = await openLog();
    // The wallet's processor: applies at once.
    log.consume(({ done }) => (done(), 0));
    const instance = { track: () => {} };
    log.sawBatch({ partition: 0, highWatermark: '2', messages: [message(0), message(1, GOOD_BET)] } as unknown as Batch);
    for (const [offset, m] of [message(0), message(1, GOOD_BET)].entries()) {
      log.handle(0, m, instance, () => log.applied(0, offset, offset === 1), (e) => expect.fail(e.message));
    }
    expect(log.stats.deadLetters).toBe(1);
    expect(log.stats.applied).toBe(1);
  });

  it('tells of each dead letter once the DLQ has it: topic, partition, offset, reason (serve says it on stderr)', async () => {
    const letters: unknown[] = [];
    const log = await openLog({ onDeadLetter: (l) => letters.push(l) });
    log.consume(({ done }) => (done(), 0));
    log.sawBatch(batch(0, 1));
    log.handle(0, message(0), { track: () => {} }, () => log.applied(0, 0, true), (e) => expect.fail(e.message));
    expect(letters).toEqual([{ topic: 'wallet.commands', partition: 0, offset: '0', reason: 'the value is not valid JSON', dlq: 'wallet.commands.dlq' }]);
  });

  it('repeats a timed consumerCrash every everyMs only until the traffic ends, as the simulator does', async () => {
    // First crash 40 ms after the first record, again every 40 ms, traffic over at 130 ms: 40, 80, 120.
    const crash = { atMs: 40, everyMs: 40, restartAfterMs: 5, consumers: 'all' as const, untilMs: 130 };
    const log = await openLog({ consumers: 1, crash });
    log.consume(({ done }) => (done(), 0));
    firstRecord(log);
    await new Promise((r) => setTimeout(r, 400));
    await log.stop();
    // Before, it crashed every 40 ms for as long as the wallet ran (about ten times here).
    expect(log.stats.consumerCrashes).toBe(3);
  });

  it('waits for a consumerCrash weeks away (past the 2^31-1 ms a node timer holds), and for its restart', async () => {
    const applying = (log: KafkaLog<unknown>) => {
      log.consume(({ done }) => (done(), 0));
      firstRecord(log);
    };
    // 30 days after the first record: before, node fired it after 1 ms (TimeoutOverflowWarning).
    const late = await openLog({ consumers: 1, crash: { atMs: 30 * 86_400_000, restartAfterMs: 5, consumers: 'all' as const, untilMs: 60 * 86_400_000 } });
    applying(late);
    await new Promise((r) => setTimeout(r, 100));
    expect(late.stats.consumerCrashes).toBe(0);
    await late.stop();
    // A crash now whose restart is 30 days away: the instance stays down (before, it was back after 1 ms).
    const down = await openLog({ consumers: 1, crash: { atMs: 10, restartAfterMs: 30 * 86_400_000, consumers: 'all' as const, untilMs: 10_000 } });
    applying(down);
    await new Promise((r) => setTimeout(r, 200));
    expect(down.stats.consumerCrashes).toBe(1);
    expect((down as unknown as { instances: unknown[] }).instances[0]).toBeUndefined();
    await down.stop();
  });

  it('checks for an idle commit at most every 2^31-1 ms when idleCommitMs is longer (the scenario allows it)', async () => {
    // setInterval past what a node timer holds warns (TimeoutOverflowWarning) and repeats every 1 ms.
    const delays: number[] = [];
    const spy = vi.spyOn(globalThis, 'setInterval').mockImplementation(((_fn: () => void, ms?: number) => {
      delays.push(ms ?? 0);
      return { unref() {}, ref() {}, hasRef: () => false, refresh() {}, [Symbol.toPrimitive]: () => 0 } as unknown as NodeJS.Timeout;
    }) as typeof setInterval);
    try {
      const log = await openLog({ consumers: 1, idleCommitMs: 30 * 86_400_000 });
      log.consume(({ done }) => (done(), 0));
      // The instance connects, subscribes and runs at once (fakeKafka), then arms its idle check.
      await new Promise((r) => setTimeout(r, 50));
      await log.stop();
    } finally {
      spy.mockRestore();
    }
    expect(delays.length).toBeGreaterThan(0);
    expect(Math.max(...delays)).toBeLessThanOrEqual(2 ** 31 - 1);
  });

  it('crashes once after afterRecords applied records, not again after every afterRecords more', async () => {
    const crash = { atMs: 0, afterRecords: 3, restartAfterMs: 5, consumers: 'all' as const, untilMs: 10_000 };
    const log = await openLog({ consumers: 1, crash });
    log.consume(({ done }) => (done(), 0));
    await new Promise((r) => setTimeout(r, 20));
    deliver(log, 0, 3);
    expect(log.stats.consumerCrashes).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    // The restarted instance replays and goes on. Before, it crashed again at every third record,
    // in the drain too: 124 crashes in a 10 s run, which converged 31 s after its traffic.
    deliver(log, 0, 12);
    await log.stop();
    expect(log.stats.consumerCrashes).toBe(1);
  });

  it('replaces a consumer instance that kafkajs gave up on (a crash it does not restart), as it does on start failures', async () => {
    // Every kafkajs consumer made: the first one crashes for good once running.
    const made: { crash?: (e: unknown) => void; runs: number; disconnected: boolean }[] = [];
    const kafka = {
      consumer: () => {
        const c = { crash: undefined as ((e: unknown) => void) | undefined, runs: 0, disconnected: false };
        made.push(c);
        return {
          events: { GROUP_JOIN: 'join', CRASH: 'crash' },
          on: (event: string, fn: (e: unknown) => void) => void (event === 'crash' && (c.crash = fn)),
          connect: async () => {},
          subscribe: async () => {},
          run: async () => void c.runs++,
          disconnect: async () => void (c.disconnected = true),
        };
      },
    } as unknown as Kafka;
    const errors: string[] = [];
    const log = await openLog({ kafka, consumers: 1, onError: (e) => errors.push(e.message) });
    log.consume(({ done }) => (done(), 0));
    await new Promise((r) => setTimeout(r, 20));
    expect(made.length).toBe(1);
    made[0]!.crash!({ payload: { error: new Error('Failed to find group coordinator'), restart: false } });
    await new Promise((r) => setTimeout(r, 1300));
    // Before, the instance stayed dead: its partitions were never read again while the wallet ran.
    expect(made[0]!.disconnected).toBe(true);
    expect(made.length).toBe(2);
    expect(made[1]!.runs).toBe(1);
    expect(errors).toEqual(['Failed to find group coordinator (replaced after 1 s)']);
    // A crash kafkajs restarts itself is left to it.
    made[1]!.crash!({ payload: { error: new Error('rebalancing'), restart: true } });
    await new Promise((r) => setTimeout(r, 1200));
    expect(made.length).toBe(2);
    await log.stop();
  });
  describe('a consumer crashed while kafkajs is handling a crash of its own (the broker away) stays gone', () => {
    /**
     * kafkajs's consumer as far as this goes (src/consumer/index.js, 2.2.4): a crash of its
     * runner (the broker went away) awaits its own disconnect, then asks retry.restartOnFailure,
     * emits CRASH and restarts the consumer 100 ms later, which joins the group again, whoever
     * disconnected it meanwhile. A disconnect while a restart is joining does not stop the join
     * (the runner is not running yet). With the broker away a disconnect is slow.
     */
    function fakeKafkaJs(disconnectMs: number, joinMs: number) {
      const made: { member: boolean; brokerLost: () => Promise<void> }[] = [];
      const kafka = {
        consumer: (config: { retry?: { restartOnFailure?: (e: Error) => Promise<boolean> } }) => {
          const listeners = new Map<string, (e: unknown) => void>();
          let restartTimer: NodeJS.Timeout | undefined;
          let stopping: Promise<void> | undefined;
          const c = { member: false, brokerLost: async () => {} };
          const start = async () => {
            await new Promise((r) => setTimeout(r, joinMs));
            c.member = true;
            listeners.get('join')?.({ payload: { memberAssignment: { 'wallet.commands': [0] } } });
          };
          const disconnect = () =>
            (stopping ??= (async () => {
              await new Promise((r) => setTimeout(r, disconnectMs));
              c.member = false;
              clearTimeout(restartTimer);
              stopping = undefined;
            })());
          c.brokerLost = async () => {
            const error = Object.assign(new Error('Connection error: connect ECONNREFUSED'), { retriable: true });
            await disconnect();
            const restartOnFailure = config.retry?.restartOnFailure;
            const restart = restartOnFailure === undefined ? true : await restartOnFailure(error);
            listeners.get('crash')?.({ payload: { error, restart } });
            if (restart) restartTimer = setTimeout(() => void start(), 100);
          };
          made.push(c);
          return {
            events: { GROUP_JOIN: 'join', CRASH: 'crash' },
            on: (event: string, fn: (e: unknown) => void) => void listeners.set(event, fn),
            connect: async () => {},
            subscribe: async () => {},
            run: start,
            disconnect,
            commitOffsets: async () => {},
          };
        },
      } as unknown as Kafka;
      return { kafka, made };
    }

    it('is not restarted by kafkajs when the scheduled consumerCrash comes during kafkajs\'s own disconnect', async () => {
      const { kafka, made } = fakeKafkaJs(150, 5);
      const crash = { atMs: 20, restartAfterMs: 50, consumers: 'all' as const, untilMs: 10_000 };
      const log = await openLog({ kafka, consumers: 1, crash });
      log.consume(({ done }) => (done(), 0));
      await log.ready(2000);
      // The broker goes away: kafkajs's runner crashes and disconnects (150 ms)...
      void made[0]!.brokerLost();
      // ...and the fault crashes the instance 20 ms later, in the middle of that disconnect.
      firstRecord(log);
      await new Promise((r) => setTimeout(r, 1000));
      expect(log.stats.consumerCrashes).toBe(1);
      expect(made.length).toBe(2);
      expect(made[1]!.member).toBe(true);
      // Before, kafkajs restarted the crashed one 100 ms after the disconnect: two members for one
      // instance, the old one holding half the partitions and applying none of them, for good.
      expect(made[0]!.member).toBe(false);
      await log.stop();
    });

    it('leaves the group again when a restart kafkajs had begun joins after the instance crashed', async () => {
      const { kafka, made } = fakeKafkaJs(10, 200);
      const crash = { atMs: 150, restartAfterMs: 50, consumers: 'all' as const, untilMs: 10_000 };
      const log = await openLog({ kafka, consumers: 1, crash });
      log.consume(({ done }) => (done(), 0));
      await log.ready(2000);
      // kafkajs disconnects (10 ms) and restarts (100 ms later); the restart takes 200 ms to join.
      void made[0]!.brokerLost();
      // The fault comes at 150 ms, while that restart is joining.
      firstRecord(log);
      await new Promise((r) => setTimeout(r, 1200));
      expect(made.length).toBe(2);
      expect(made[1]!.member).toBe(true);
      // Before, the restart joined at ~310 ms and stayed: a member that applies nothing.
      expect(made[0]!.member).toBe(false);
      await log.stop();
    });
  });
});
