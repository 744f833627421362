/**
 * A wallet setting up its topics on a real broker that other runs and tools share
 * (KAFKA_BROKERS=127.0.0.1:9092; skipped without it, as test/kafka.integration.test.ts says).
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, describe, expect, it } from 'vitest';
import { startWalletServer } from '../src/drivers/http/server.js';
import { ensureTopics, kafkaClient, retrying, walletTopics } from '../src/drivers/kafka/cluster.js';
import { Population } from '../src/provider/players.js';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import { walletstormAsync, walletstormLive } from './support/cli.js';

const BROKERS = process.env.KAFKA_BROKERS;

let seq = 0;
const uniquePrefix = () => `s${process.pid}-${Date.now().toString(36)}-${seq++}.`;

describe.skipIf(BROKERS === undefined)('setting up a wallet\'s topics on a shared broker', () => {
  const brokers = (BROKERS ?? '').split(',');
  const kafka = new Kafka({ clientId: 'walletstorm-test', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const created: string[] = [];
  // Deleting a dozen topics can outlast the default 10 s hook timeout on a loaded machine.
  afterAll(async () => {
    await admin.deleteTopics({ topics: created }).catch(() => {});
    await admin.disconnect();
  }, 60_000);

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
    // Retried, as ensureTopics does: a topic just created can be briefly unknown to the metadata.
    await retrying(() => admin.createTopics({ waitForLeaders: true, topics: [{ topic: theirs, numPartitions: 1 }] }));
    const r = await walletstormAsync(['serve', '--model', 'event', '--brokers', brokers.join(','), '--topic-prefix', prefix, '--port', '0'], 45_000);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain(`refused to set up the wallet's topics: topic ${prefix}wallet.commands:`);
    expect(r.stderr).toContain('INVALID_TOPIC_EXCEPTION');
    expect(r.stderr).toContain('use another --topic-prefix');
    expect(r.stderr).toContain('(E_KAFKA, exit 3)');
    expect(r.stderr).not.toContain('cannot reach');
  }, 60_000);

  it('a record another tool writes to the commands topic during a run: load names where its dead letter is, not only how many', async () => {
    const prefix = uniquePrefix();
    created.push(...Object.values(walletTopics(prefix)));
    const scenario = compileScenario(loadScenario('steady', ['players.count=50', 'wallet.event.partitions=2', 'wallet.event.consumers=1']).scenario);
    const players = new Population(scenario.population).accounts;
    const server = await startWalletServer({ model: 'event', scenario, players, seed: 1, host: '127.0.0.1', port: 0, kafka: { brokers, topicPrefix: prefix } });
    const producer = kafka.producer();
    try {
      await producer.connect();
      const { output, exited } = walletstormLive(['load', 'steady', '--set', 'players.count=50', '--target', `kafka://${brokers[0]}`, '--wallet', server.url, '--topic-prefix', prefix, '--duration', '4', '--rate-scale', '0.05', '--no-color']);
      const started = Date.now();
      while (!output.stderr.includes('applied by the wallet at') && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 1000));
      await producer.send({ topic: `${prefix}wallet.commands`, acks: -1, messages: [{ key: 'p1', value: 'not walletstorm json' }] });
      const code = await exited;
      // Not the wallet's fault: a gate on it is kafka.deadLetters==0.
      expect(code, output.stderr).toBe(0);
      expect(output.stdout).toContain(`dead letters 1 (records on ${prefix}wallet.commands the wallet could not read, in ${prefix}wallet.commands.dlq, each with its partition, offset and reason)`);
    } finally {
      await producer.disconnect();
      await server.close(1000);
    }
  }, 90_000);
});
