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

/** kafkajs's error for a topic the metadata does not know yet: retriable. */
function unknownTopic(): Error {
  return Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
}

/** As fakeAdmin, but createTopics and fetchTopicMetadata each fail once first, as while other runs create topics. */
function adminWithLaggingMetadata(existing: Record<string, number>): Admin & { calls: string[] } {
  const admin = fakeAdmin(existing);
  const calls: string[] = [];
  const failFirst = <A extends unknown[], R>(name: string, call: (...args: A) => Promise<R>) => {
    let failed = false;
    return async (...args: A): Promise<R> => {
      calls.push(name);
      if (failed) return call(...args);
      failed = true;
      throw unknownTopic();
    };
  };
  return Object.assign(admin, { calls, createTopics: failFirst('create', admin.createTopics), fetchTopicMetadata: failFirst('metadata', admin.fetchTopicMetadata) });
}

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

  it('waits out a topic the metadata does not know yet (two runs creating topics at once), instead of failing the wallet\'s start', async () => {
    const admin = adminWithLaggingMetadata({ [topics.commands]: 4, [topics.results]: 4, [topics.dlq]: 1 });
    await expect(ensureTopics(admin, topics, 4, 'wallet.event.partitions')).resolves.toBeUndefined();
    expect(admin.calls).toEqual(['create', 'create', 'metadata', 'metadata']);
  });

  it('accepts topics that match', async () => {
    const admin = fakeAdmin({ [topics.commands]: 4, [topics.results]: 4, [topics.dlq]: 1 });
    await expect(ensureTopics(admin, topics, 4, 'wallet.event.partitions')).resolves.toBeUndefined();
  });
});
