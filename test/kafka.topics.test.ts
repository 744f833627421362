/** ensureTopics's checks of existing topics, against a fake kafkajs admin (no broker). */
import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { ensureTopics, walletTopics } from '../src/drivers/kafka/cluster.js';
import type { WalletstormError } from '../src/errors.js';

/** An admin whose topics already exist with these partition counts; createTopics keeps them. */
function fakeAdmin(existing: Record<string, number>): Admin {
  return {
    createTopics: async () => false,
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => ({
      topics: topics.map((name) => ({ name, partitions: Array.from({ length: existing[name] ?? 0 }, (_, i) => ({ partitionId: i, leader: 0 })) })),
    }),
  } as unknown as Admin;
}

const topics = walletTopics('p.');

describe('ensureTopics', () => {
  it('names the setting the partition count came from in its hint (hybrid reads wallet.hybrid.partitions)', async () => {
    const admin = fakeAdmin({ [topics.commands]: 2, [topics.results]: 2, [topics.dlq]: 1 });
    const error = (await ensureTopics(admin, topics, 4, 'wallet.hybrid.partitions').catch((e) => e)) as WalletstormError;
    expect(error.code).toBe('E_TOPIC_PARTITIONS');
    expect(error.exitCode).toBe(2);
    expect(error.hint).toContain('--set wallet.hybrid.partitions=2');
  });

  it('refuses a results topic with fewer partitions than the commands topic: results to the missing ones would vanish', async () => {
    const admin = fakeAdmin({ [topics.commands]: 4, [topics.results]: 2, [topics.dlq]: 1 });
    const error = (await ensureTopics(admin, topics, 4, 'wallet.event.partitions').catch((e) => e)) as WalletstormError;
    expect(error.code).toBe('E_TOPIC_PARTITIONS');
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain(`topic ${topics.results} exists with 2 partitions`);
  });

  it('refuses a DLQ without partition 0', async () => {
    const admin = fakeAdmin({ [topics.commands]: 4, [topics.results]: 4 });
    const error = (await ensureTopics(admin, topics, 4, 'wallet.event.partitions').catch((e) => e)) as WalletstormError;
    expect(error.code).toBe('E_TOPIC_PARTITIONS');
    expect(error.message).toContain(topics.dlq);
  });

  it('accepts topics that match', async () => {
    const admin = fakeAdmin({ [topics.commands]: 4, [topics.results]: 4, [topics.dlq]: 1 });
    await expect(ensureTopics(admin, topics, 4, 'wallet.event.partitions')).resolves.toBeUndefined();
  });
});
