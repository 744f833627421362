/**
 * A wallet setting up its topics on a real broker that other runs and tools share
 * (KAFKA_BROKERS=127.0.0.1:9092; skipped without it, as test/kafka.integration.test.ts says).
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureTopics, kafkaClient, walletTopics } from '../src/drivers/kafka/cluster.js';
import { walletstormAsync } from './support/cli.js';

const BROKERS = process.env.KAFKA_BROKERS;

let seq = 0;
const uniquePrefix = () => `s${process.pid}-${Date.now().toString(36)}-${seq++}.`;

describe.skipIf(BROKERS === undefined)('setting up a wallet\'s topics on a shared broker', () => {
  const brokers = (BROKERS ?? '').split(',');
  const kafka = new Kafka({ clientId: 'walletstorm-test', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const created: string[] = [];
  afterAll(async () => {
    await admin.deleteTopics({ topics: created }).catch(() => {});
    await admin.disconnect();
  });

  it('four wallets creating their topics at once all start (a topic just created is briefly unknown to the metadata)', async () => {
    await admin.connect();
    const prefixes = [0, 1, 2, 3].map(() => uniquePrefix());
    for (const p of prefixes) created.push(...Object.values(walletTopics(p)));
    const outcomes = await Promise.allSettled(
      prefixes.map(async (p) => {
        const own = kafkaClient({ brokers, clientId: 'walletstorm-test' }).admin();
        await own.connect();
        try {
          await ensureTopics(own, walletTopics(p), 8, 'wallet.event.partitions');
        } finally {
          await own.disconnect();
        }
      }),
    );
    expect(outcomes.map((o) => (o.status === 'rejected' ? String((o.reason as Error).message) : 'ok'))).toEqual(['ok', 'ok', 'ok', 'ok']);
  }, 60_000);

  it('a --topic-prefix whose topics collide with another tool\'s ("." for "_") is the broker\'s refusal, named by topic, not an unreachable broker', async () => {
    await admin.connect();
    const prefix = uniquePrefix();
    const theirs = `${prefix}wallet.commands`.replaceAll('.', '_');
    created.push(theirs, ...Object.values(walletTopics(prefix)));
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: theirs, numPartitions: 1 }] });
    const r = await walletstormAsync(['serve', '--model', 'event', '--brokers', brokers.join(','), '--topic-prefix', prefix, '--port', '0'], 45_000);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain(`refused to set up the wallet's topics: topic ${prefix}wallet.commands:`);
    expect(r.stderr).toContain('INVALID_TOPIC_EXCEPTION');
    expect(r.stderr).toContain('use another --topic-prefix');
    expect(r.stderr).toContain('(E_KAFKA, exit 3)');
    expect(r.stderr).not.toContain('cannot reach');
  }, 60_000);
});
