/** The producer's batching, offsets, retries and gaps, against a fake kafkajs producer (no broker). */
import type { Producer, ProducerBatch, RecordMetadata } from 'kafkajs';
import { describe, expect, it, vi } from 'vitest';
import { ProduceBatcher } from '../src/drivers/kafka/batcher.js';

interface Call {
  readonly batch: ProducerBatch;
  resolve(meta: RecordMetadata[]): void;
  reject(error: Error): void;
}

/** Records every sendBatch and lets the test answer it. */
function fakeProducer(): { producer: Producer; calls: Call[] } {
  const calls: Call[] = [];
  const producer = {
    sendBatch: (batch: ProducerBatch) => new Promise<RecordMetadata[]>((resolve, reject) => calls.push({ batch, resolve, reject })),
  } as unknown as Producer;
  return { producer, calls };
}

const meta = (topicName: string, partition: number, baseOffset: number): RecordMetadata => ({ topicName, partition, baseOffset: String(baseOffset), errorCode: 0 });
const tick = (ms = 0) => new Promise((r) => setTimeout(r, ms));
let nowMs = 0;
const options = { lingerMs: 20, batchSize: 3, maxInFlight: 1, acks: -1 as const, deliveryTimeoutMs: 1000, nowMs: () => nowMs };

describe('ProduceBatcher', () => {
  it('sends a full batch at once, and a partial one after lingerMs', async () => {
    // Fake timers: on a loaded machine a real 5 ms wait can outlast the 20 ms linger.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const { producer, calls } = fakeProducer();
      const b = new ProduceBatcher(producer, { ...options, maxInFlight: 5 });
      for (let i = 0; i < 4; i++) b.add('t', { value: `v${i}`, partition: 0 }, () => {});
      expect(calls.length).toBe(1);
      expect(calls[0]!.batch.topicMessages![0]!.messages.map((m) => m.value)).toEqual(['v0', 'v1', 'v2']);
      await vi.advanceTimersByTimeAsync(19);
      expect(calls.length).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(calls.length).toBe(2);
      expect(calls[1]!.batch.topicMessages![0]!.messages.map((m) => m.value)).toEqual(['v3']);
    } finally {
      vi.useRealTimers();
    }
  });

  it('gives each record its offset from its partition base offset, in order', async () => {
    const { producer, calls } = fakeProducer();
    const b = new ProduceBatcher(producer, options);
    const offsets: (number | undefined)[] = [];
    b.add('t', { value: 'a', partition: 0 }, (_e, o) => offsets.push(o));
    b.add('t', { value: 'b', partition: 1 }, (_e, o) => offsets.push(o));
    b.add('t', { value: 'c', partition: 0 }, (_e, o) => offsets.push(o));
    calls[0]!.resolve([meta('t', 0, 100), meta('t', 1, 7)]);
    await tick();
    expect(offsets).toEqual([100, 7, 101]);
    expect(b.stats.produced).toBe(3);
  });

  it('fails a record whose partition got no base offset back (kafkajs answers [] for a partition missing from its metadata)', async () => {
    const { producer, calls } = fakeProducer();
    const b = new ProduceBatcher(producer, options);
    const delivered: [string | undefined, number | undefined][] = [];
    b.add('t', { value: 'a', partition: 0 }, (e, o) => delivered.push([e?.message, o]));
    b.add('t', { value: 'b', partition: 3 }, (e, o) => delivered.push([e?.message, o]));
    b.flush();
    calls[0]!.resolve([meta('t', 0, 100)]);
    await tick();
    expect(delivered[0]).toEqual([undefined, 100]);
    expect(delivered[1]![0]).toContain('partition 3 of t got no offset back');
    expect(b.stats.produced).toBe(1);
    expect(b.stats.failedRecords).toBe(1);
  });

  it('keeps a record that finds every request in flight until one comes back, then honours its linger', async () => {
    const { producer, calls } = fakeProducer();
    const b = new ProduceBatcher(producer, options);
    for (let i = 0; i < 3; i++) b.add('t', { value: `v${i}`, partition: 0 }, () => {});
    b.add('t', { value: 'late', partition: 0 }, () => {});
    expect(calls.length).toBe(1);
    await tick(30);
    expect(calls.length).toBe(1);
    // Its linger is over by the time the request comes back: it goes at once.
    calls[0]!.resolve([meta('t', 0, 0)]);
    await tick();
    expect(calls.length).toBe(2);
  });

  it('sends a batch again after a broker error, records the gap, and delivers once', async () => {
    const { producer, calls } = fakeProducer();
    const b = new ProduceBatcher(producer, options);
    const delivered: (Error | undefined)[] = [];
    nowMs = 1000;
    b.add('t', { value: 'x', partition: 0 }, (e) => delivered.push(e));
    await tick(30);
    nowMs = 1500;
    calls[0]!.reject(Object.assign(new Error('connect ECONNREFUSED'), { name: 'KafkaJSNumberOfRetriesExceeded' }));
    await tick(150);
    expect(calls.length).toBe(2);
    nowMs = 1800;
    calls[1]!.resolve([meta('t', 0, 5)]);
    await tick();
    expect(delivered).toEqual([undefined]);
    expect(b.stats.failedRequests).toBe(1);
    expect(b.stats.gaps).toEqual([{ fromMs: 1500, toMs: 1800 }]);
  });

  it('records a stall as a gap when kafkajs retried a broker away and got through without failing', async () => {
    const { producer, calls } = fakeProducer();
    const b = new ProduceBatcher(producer, { ...options, maxInFlight: 5 });
    nowMs = 10_000;
    for (let i = 0; i < 3; i++) b.add('t', { value: `v${i}`, partition: 0 }, () => {});
    nowMs = 10_020;
    calls[0]!.resolve([meta('t', 0, 0)]);
    await tick();
    // A quick ack is no gap; one 4 s after the last ack is.
    expect(b.stats.gaps).toEqual([]);
    nowMs = 10_030;
    for (let i = 0; i < 3; i++) b.add('t', { value: `w${i}`, partition: 0 }, () => {});
    nowMs = 14_030;
    calls[1]!.resolve([meta('t', 0, 3)]);
    await tick();
    expect(b.stats.failedRequests).toBe(0);
    expect(b.stats.gaps).toEqual([{ fromMs: 10_030, toMs: 14_030 }]);
  });

  it('closed while a request waits unanswered past a stall (a broker away, kafkajs still retrying): an open gap from the last ack', async () => {
    const { producer, calls } = fakeProducer();
    const b = new ProduceBatcher(producer, { ...options, maxInFlight: 5 });
    nowMs = 20_000;
    for (let i = 0; i < 3; i++) b.add('t', { value: `v${i}`, partition: 0 }, () => {});
    nowMs = 20_010;
    calls[0]!.resolve([meta('t', 0, 0)]);
    await tick();
    nowMs = 20_500;
    for (let i = 0; i < 3; i++) b.add('t', { value: `w${i}`, partition: 0 }, () => {});
    // Closed 0.3 s after the send: no stall yet, no gap.
    nowMs = 20_800;
    const quick = new ProduceBatcher(producer, { ...options, maxInFlight: 5 });
    for (let i = 0; i < 3; i++) quick.add('t', { value: `q${i}`, partition: 0 }, () => {});
    quick.close();
    expect(quick.stats.gaps).toEqual([]);
    nowMs = 25_000;
    b.close();
    expect(b.stats.failedRequests).toBe(0);
    expect(b.stats.gaps).toEqual([{ fromMs: 20_500, toMs: null }]);
  });

  it('fails a record at once when the broker refuses the request for good', async () => {
    const { producer, calls } = fakeProducer();
    const b = new ProduceBatcher(producer, options);
    const delivered: (Error | undefined)[] = [];
    b.add('t', { value: 'x', partition: 0 }, (e) => delivered.push(e));
    await tick(30);
    calls[0]!.reject(Object.assign(new Error('record too large'), { name: 'KafkaJSProtocolError', retriable: false }));
    await tick(150);
    expect(calls.length).toBe(1);
    expect(delivered.map((e) => e?.message)).toEqual(['record too large']);
    expect(b.stats.gaps).toEqual([]);
  });

  it('drain gives up after its timeout; close fails what still waits', async () => {
    const { producer } = fakeProducer();
    const b = new ProduceBatcher(producer, options);
    const delivered: (Error | undefined)[] = [];
    for (let i = 0; i < 4; i++) b.add('t', { value: `v${i}`, partition: 0 }, (e) => delivered.push(e));
    const started = Date.now();
    await b.drain(50);
    expect(Date.now() - started).toBeLessThan(1000);
    b.close();
    expect(delivered.length).toBe(1);
    expect(delivered[0]!.message).toContain('closed');
  });
});
