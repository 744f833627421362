import { connect } from 'node:net';
import { Kafka, logLevel, Partitioners, type Admin, type logCreator, type PartitionerArgs } from 'kafkajs';
import { EXIT, usageError, WalletstormError } from '../../errors.js';

/** The wallet's three topics; a prefix keeps runs and tests apart on one broker. */
export interface WalletTopics {
  readonly commands: string;
  readonly results: string;
  readonly dlq: string;
}

export function walletTopics(prefix = ''): WalletTopics {
  return { commands: `${prefix}wallet.commands`, results: `${prefix}wallet.results`, dlq: `${prefix}wallet.commands.dlq` };
}

/** The consumer group that applies a wallet's commands. */
export function walletGroupId(prefix = ''): string {
  return `${prefix}walletstorm-wallet`;
}

const TOPIC_PREFIX = /^[A-Za-z0-9._-]{0,100}$/;

export function checkTopicPrefix(prefix: string): string {
  if (!TOPIC_PREFIX.test(prefix)) throw usageError('E_BAD_FLAG', `--topic-prefix may hold letters, digits, ".", "_" and "-" (at most 100), got "${prefix}"`);
  return prefix;
}

/**
 * HOST:PORT[,HOST:PORT...] on this machine's loopback only, as for HTTP targets: load and
 * failure traffic never leaves the machine from here.
 */
export function parseBrokers(value: string, flag = '--brokers'): string[] {
  const brokers = value.split(',').map((b) => b.trim());
  for (const b of brokers) {
    const m = /^(localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]):(\d{1,5})$/.exec(b);
    if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      throw usageError('E_BAD_BROKERS', `${flag} must be HOST:PORT on loopback (127.0.0.1, [::1] or localhost), got "${b}"`, 'e.g. 127.0.0.1:9092, the address `scripts/kafka-local.sh start` prints');
    }
  }
  return brokers;
}

/** `kafka://HOST:PORT[,HOST:PORT]` to its brokers. */
export function parseKafkaTarget(target: string): string[] {
  return parseBrokers(target.slice('kafka://'.length).replace(/\/$/, ''), '--target kafka://');
}

export interface ClusterOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  /** How long a connection attempt may take before it counts as failed. */
  readonly connectionTimeoutMs?: number;
}

/** WALLETSTORM_KAFKA_LOG=error|warn|info|debug: kafkajs's own log on stderr, for a broker problem. */
const KAFKAJS_LOG_LEVELS: Readonly<Record<string, logLevel>> = { error: logLevel.ERROR, warn: logLevel.WARN, info: logLevel.INFO, debug: logLevel.DEBUG };

const LEVEL_NAMES: Readonly<Record<number, string>> = Object.fromEntries(Object.entries(KAFKAJS_LOG_LEVELS).map(([name, level]) => [level, name]));

/** Whether WALLETSTORM_KAFKA_LOG asks for kafkajs's log. */
export function kafkajsLogOn(): boolean {
  return KAFKAJS_LOG_LEVELS[process.env.WALLETSTORM_KAFKA_LOG ?? ''] !== undefined;
}

const stderrLog: logCreator = () => ({ namespace, level, log }) => {
  const { message, ...extra } = log;
  process.stderr.write(`kafkajs ${LEVEL_NAMES[level] ?? level} ${namespace}: ${message} ${JSON.stringify(extra)}\n`);
};

/**
 * A kafkajs client with walletstorm's defaults: quiet logs (errors surface as typed errors with
 * a hint instead), short connection timeouts so an absent broker is told within seconds, and
 * retries with exponential backoff and jitter for a broker that goes away mid-run.
 */
export function kafkaClient(options: ClusterOptions): Kafka {
  const debugLevel = KAFKAJS_LOG_LEVELS[process.env.WALLETSTORM_KAFKA_LOG ?? ''];
  return new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    logLevel: debugLevel ?? logLevel.NOTHING,
    ...(debugLevel !== undefined && { logCreator: stderrLog }),
    connectionTimeout: options.connectionTimeoutMs ?? 1000,
    requestTimeout: 30_000,
    retry: { initialRetryTime: 100, maxRetryTime: 2000, retries: 8, factor: 0.2, multiplier: 2 },
  });
}

export function brokerUnreachable(brokers: readonly string[], cause: unknown): WalletstormError {
  const why = (cause as Error)?.message ?? String(cause);
  return new WalletstormError(
    'E_BROKER_UNREACHABLE',
    `cannot reach the Kafka broker at ${brokers.join(',')} (${why})`,
    EXIT.unreachable,
    'start one with `scripts/kafka-local.sh start`, and check the address',
    { cause },
  );
}

/** kafkajs's error for an answer of the broker's: an error code with its name (`type`), per topic for a topic creation. */
interface BrokerAnswer {
  readonly type?: unknown;
  readonly topic?: unknown;
  readonly errors?: readonly BrokerAnswer[];
  readonly message?: string;
}

/**
 * What went wrong while a wallet set up its topics and group on a broker that had answered:
 * the broker's own refusal (an invalid or colliding topic name, a policy), named topic by topic,
 * is not a broker out of reach. Anything else (the connection lost meanwhile) is.
 */
export function brokerSetupError(brokers: readonly string[], cause: unknown): WalletstormError {
  const answer = cause as BrokerAnswer | undefined;
  const refusals = (answer?.errors ?? [answer ?? {}]).filter((e) => typeof e.type === 'string' && e.type !== 'TOPIC_ALREADY_EXISTS');
  if (refusals.length === 0) return brokerUnreachable(brokers, cause);
  const said = refusals.map((e) => `${typeof e.topic === 'string' ? `topic ${e.topic}: ` : ''}${e.message} (${String(e.type)})`).join('; ');
  const hint = refusals.some((e) => e.type === 'INVALID_TOPIC_EXCEPTION')
    ? `Kafka refuses a topic whose name differs from an existing one's only in "." and "_" (they collide in its metrics): use another --topic-prefix`
    : "WALLETSTORM_KAFKA_LOG=debug shows kafkajs's log of it";
  return new WalletstormError('E_KAFKA', `the Kafka broker at ${brokers.join(',')} refused to set up the wallet's topics: ${said}`, EXIT.unreachable, hint, { cause });
}

/** Connects an admin client, failing fast (within timeoutMs) when no broker answers. */
export async function connectAdmin(kafka: Kafka, brokers: readonly string[], timeoutMs = 4000): Promise<Admin> {
  const admin = kafka.admin({ retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1000 } });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    await Promise.race([anyListening(brokers).then(() => admin.connect()).then(() => admin.listTopics()), timeout]);
    clearTimeout(timer);
  } catch (cause) {
    clearTimeout(timer);
    // Not awaited: with a port that accepts connections and never answers (not a broker, or a
    // hung one), kafkajs's disconnect waits out its 30 s request timeout, and "no answer within
    // 4 s" came after half a minute.
    void admin.disconnect().catch(() => {});
    throw brokerUnreachable(brokers, cause);
  }
  return admin;
}

/**
 * Resolves once one broker accepts a TCP connection; rejects with the first broker's error when
 * none does. kafkajs retries a refused connection until the deadline and then says nothing of
 * why: this names it ("connect ECONNREFUSED 127.0.0.1:9092") at once.
 */
function anyListening(brokers: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    let failed = 0;
    let first: Error | undefined;
    for (const broker of brokers) {
      const colon = broker.lastIndexOf(':');
      const socket = connect({ host: broker.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(broker.slice(colon + 1)) });
      // A broker that never answers is the caller's timeout to report; this socket must not hold the process.
      socket.unref();
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', (error) => {
        first ??= error;
        if (++failed === brokers.length) reject(first);
      });
    }
  });
}

/**
 * Creates the wallet's topics with the configured partition count; an existing topic is kept.
 * A commands topic with another partition count than asked is an error, not a silent change of
 * the scenario (Kafka can add partitions but that moves players between them). So is a results
 * topic with another count, or a DLQ without partition 0: results and dead letters go to
 * partitions picked here, and a partition the topic lacks would swallow them. partitionsSetting
 * is where the count came from (`wallet.event.partitions` or `wallet.hybrid.partitions`), for
 * the hint.
 */
export async function ensureTopics(admin: Admin, topics: WalletTopics, partitions: number, partitionsSetting: string): Promise<void> {
  // Retried: a topic just created can be unknown to the metadata for a moment (UNKNOWN_TOPIC_OR_PARTITION,
  // which kafkajs's waitForLeaders does not wait out), most of all while other runs create theirs.
  // Again, the create finds the topics there and keeps them.
  await retrying(() =>
    admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: topics.commands, numPartitions: partitions, replicationFactor: 1 },
        { topic: topics.results, numPartitions: partitions, replicationFactor: 1 },
        { topic: topics.dlq, numPartitions: 1, replicationFactor: 1 },
      ],
    }),
  );
  const meta = await retrying(() => admin.fetchTopicMetadata({ topics: [topics.commands, topics.results, topics.dlq] }));
  const count = (topic: string) => meta.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
  const commands = count(topics.commands);
  if (commands !== partitions) {
    throw partitionsError(topics.commands, commands, `${partitions}`, `use another --topic-prefix, or --set ${partitionsSetting}=${commands}`);
  }
  const results = count(topics.results);
  if (results !== partitions) {
    throw partitionsError(topics.results, results, `${partitions}, as ${topics.commands} has`, `use another --topic-prefix (or recreate ${topics.results} with ${partitions} partitions)`);
  }
  const dlq = count(topics.dlq);
  if (dlq < 1) throw partitionsError(topics.dlq, dlq, 'at least 1', 'use another --topic-prefix');
}

function partitionsError(topic: string, have: number, want: string, hint: string): WalletstormError {
  return new WalletstormError('E_TOPIC_PARTITIONS', `topic ${topic} exists with ${have} partitions, the scenario asks for ${want}`, EXIT.invalidInput, hint);
}

/**
 * A wallet's ledger lives in memory, so it can only be built from the start of its commands
 * topic. A group that already committed offsets there (an earlier `serve` on this prefix) would
 * resume after the records that built the balances, and the new wallet would apply the rest to
 * initial balances without a word: refused instead.
 */
export async function refuseCommittedGroup(admin: Admin, topics: WalletTopics, groupId: string): Promise<void> {
  // Before any commit, a wallet already serving shows only as members of the group. Two wallets
  // in one group would split the partitions, each with its own ledger: every balance would be wrong.
  const { groups } = await retrying(() => admin.describeGroups([groupId]));
  const members = groups.find((g) => g.groupId === groupId)?.members.length ?? 0;
  if (members > 0) {
    throw new WalletstormError(
      'E_TOPICS_IN_USE',
      `consumer group ${groupId} has ${members} member${members === 1 ? '' : 's'} on ${topics.commands} now: another wallet is serving these topics, and two would split the players' partitions between two ledgers`,
      EXIT.invalidInput,
      'stop the other wallet, or use a new --topic-prefix (a wallet killed without a clean stop stays a member for its 10 s session timeout)',
    );
  }
  const [offsets] = await retrying(() => admin.fetchOffsets({ groupId, topics: [topics.commands] }));
  // kafkajs reports a partition without a committed offset as '-1'.
  const committed = (offsets?.partitions ?? []).filter((p) => p.offset !== '-1');
  if (committed.length === 0) return;
  throw new WalletstormError(
    'E_TOPICS_IN_USE',
    `consumer group ${groupId} has already committed offsets on ${topics.commands} (${committed.length} partitions): a wallet served these topics before, and its balances went with it`,
    EXIT.invalidInput,
    'use a new --topic-prefix: the ledger is in memory and cannot resume from a group\'s position',
  );
}

/**
 * The partition Kafka's Java client (and kafkajs's default partitioner) picks for a key
 * (murmur2), so every producer of this project and a plain client agree on where a player's
 * commands go. Computed here so a producer knows its per-partition counts.
 */
export function partitionerFor(partitions: number): (key: string) => number {
  const pick = Partitioners.DefaultPartitioner();
  const partitionMetadata = Array.from({ length: partitions }, (_, i) => ({ partitionId: i, leader: 0 }));
  return (key) => pick({ topic: '', partitionMetadata, message: { key, value: null } } as unknown as PartitionerArgs);
}

/**
 * Runs an admin call again while Kafka says "retriable" (a topic just created has no leader in
 * the metadata yet, a coordinator is moving), for at most timeoutMs.
 */
export async function retrying<T>(call: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if ((error as { retriable?: boolean }).retriable !== true || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** attempt)));
    }
  }
}
