import type { Admin } from 'kafkajs';
import { connectAdmin, kafkaClient, kafkajsLogOn, retrying, walletGroupId, walletTopics, type WalletTopics } from '../drivers/kafka/cluster.js';
import { KafkaTransport } from '../drivers/kafka/transport.js';
import type { RealClock } from '../drivers/real-clock.js';
import { ControlClient, whyReadFailed } from '../drivers/http/audit.js';
import { EXIT, usageError, WalletstormError } from '../errors.js';
import type { Random } from '../ports/random.js';
import type { CompiledScenario } from '../scenario/compile.js';
import { within } from '../util/within.js';
import { startLocalTarget, type LocalTarget } from './local-target.js';

/** Each clean-up call at the end of a run (deleting its topics, its group) gets this long at most. */
const CLEANUP_STEP_MS = 2000;

export interface KafkaTargetOptions {
  readonly brokers: readonly string[];
  /** A `serve --brokers` already running (its HTTP origin), or undefined to start one. */
  readonly walletOrigin?: string;
  /** With walletOrigin: the prefix it was started with. */
  readonly topicPrefix: string;
  readonly scenario: CompiledScenario;
  readonly scenarioFile: string;
  readonly overrides: readonly string[];
  readonly seed: number;
}

export interface KafkaTarget {
  /** The wallet's HTTP origin, for health and the audit. */
  readonly origin: string;
  readonly local?: LocalTarget;
  readonly topics: WalletTopics;
  readonly partitions: number;
  readonly transport: (ctx: { clock: RealClock; rng: Random; txIdPrefix: string }) => KafkaTransport;
  close(): Promise<void>;
}

/**
 * `load --target kafka://`: the broker is checked first (exit 3 within seconds when it is not
 * there); then, unless --wallet names one, an event-driven `serve --brokers` is started on
 * topics of this run's own, so every run starts from empty topics and a new consumer group.
 * Those topics are deleted at the end.
 */
export async function openKafkaTarget(options: KafkaTargetOptions): Promise<KafkaTarget> {
  const kafka = kafkaClient({ brokers: options.brokers, clientId: 'walletstorm-load' });
  const admin = await connectAdmin(kafka, options.brokers);
  const own = options.walletOrigin === undefined;
  const prefix = own ? `ws-${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}.` : options.topicPrefix;
  const topics = walletTopics(prefix);
  let local: LocalTarget | undefined;
  try {
    if (own) {
      local = await startLocalTarget({
        model: 'event',
        scenarioFile: options.scenarioFile,
        overrides: options.overrides,
        seed: options.seed,
        startTimeoutMs: 60_000,
        extraArgs: ['--brokers', options.brokers.join(','), '--topic-prefix', prefix],
        // The wallet's side of a broker problem (its consumers, its group) is in its own log.
        ...(kafkajsLogOn() && { onStderrLine: relayKafkajsLine }),
      });
    }
    if (!own) await checkWalletTopics(options.walletOrigin!, topics);
    const partitions = await commandPartitions(admin, topics, prefix);
    return {
      origin: local?.url ?? options.walletOrigin!,
      local,
      topics,
      partitions,
      transport: ({ clock, rng, txIdPrefix }) =>
        new KafkaTransport({
          kafka,
          admin,
          brokers: options.brokers,
          topics,
          walletGroupId: walletGroupId(prefix),
          partitions,
          producer: options.scenario.kafka.producer,
          clock,
          txIdPrefix,
          duplicateDelivery: options.scenario.faults.duplicateDelivery,
          rng,
        }),
      async close() {
        await local?.stop();
        // Each call bounded: a broker gone would hold the exit for kafkajs's retries of each (its
        // topics then stay behind, as they would anyway).
        if (own) {
          // Its group too (empty once the wallet has stopped): a CI broker would gather one per run.
          const deleted = [admin.deleteTopics({ topics: [topics.commands, topics.results, topics.dlq] }), admin.deleteGroups([walletGroupId(prefix)])];
          await within(Promise.allSettled(deleted), CLEANUP_STEP_MS);
        }
        await within(admin.disconnect(), CLEANUP_STEP_MS);
      },
    };
  } catch (error) {
    await local?.stop();
    await admin.disconnect().catch(() => {});
    throw error;
  }
}

function relayKafkajsLine(line: string): void {
  if (line.startsWith('kafkajs ')) process.stderr.write(`wallet: ${line}\n`);
}

async function commandPartitions(admin: Admin, topics: WalletTopics, prefix: string): Promise<number> {
  try {
    const meta = await retrying(() => admin.fetchTopicMetadata({ topics: [topics.commands] }), 5000);
    return meta.topics[0]!.partitions.length;
  } catch (cause) {
    throw new WalletstormError(
      'E_TOPICS_MISSING',
      `the broker has no topic ${topics.commands}: no wallet was started on it`,
      EXIT.unreachable,
      `start one with \`walletstorm serve --model event --brokers ...${prefix === '' ? '' : ` --topic-prefix ${prefix}`}\`, or leave out --wallet`,
      { cause },
    );
  }
}

/**
 * The wallet at --wallet must consume the commands topic this run produces to: with another
 * --topic-prefix every command would go unread and the run would blame the wallet for thousands
 * of lost operations. Its /healthz names the topic it consumes (`kafka.topics.commands`).
 */
async function checkWalletTopics(walletOrigin: string, topics: WalletTopics): Promise<void> {
  const { model, commands: consumed } = await walletHealth(walletOrigin);
  if (consumed === topics.commands) return refuseHybrid(walletOrigin, model);
  if (consumed === undefined) {
    throw usageError(
      'E_WALLET_TOPICS',
      `the wallet at ${walletOrigin} is not on Kafka (its /healthz names no kafka.topics.commands): it would never read ${topics.commands}`,
      'start it with `walletstorm serve --model event --brokers ...`, or leave out --wallet',
    );
  }
  const suffix = walletTopics().commands;
  const theirPrefix = consumed.endsWith(suffix) ? consumed.slice(0, -suffix.length) : undefined;
  throw usageError(
    'E_WALLET_TOPICS',
    `the wallet at ${walletOrigin} consumes ${consumed}, this run would produce to ${topics.commands}`,
    theirPrefix === undefined ? 'give the --topic-prefix that wallet was started with' : `give the --topic-prefix that wallet was started with: --topic-prefix ${theirPrefix === '' ? "''" : theirPrefix}`,
  );
}

/**
 * Commands produced straight to a hybrid wallet's log pass by the API that reserves its bets:
 * they would be applied as plain debits and reported as the hybrid model's figures. Refused, as
 * `--model hybrid` is.
 */
function refuseHybrid(walletOrigin: string, model: string | undefined): void {
  if (model !== 'hybrid') return;
  throw usageError(
    'E_BAD_TARGET',
    `the wallet at ${walletOrigin} runs the hybrid model: --target kafka:// would produce its commands past the API that reserves its bets`,
    `drive it over HTTP: load --target ${walletOrigin}`,
  );
}

/** The model and the commands topic the wallet's /healthz names (undefined when it names none). */
async function walletHealth(walletOrigin: string): Promise<{ model?: string; commands?: string }> {
  const control = new ControlClient(walletOrigin);
  try {
    const { status, body } = await control.get('/healthz', 3000);
    if (status !== 200) return {};
    const h = body as { model?: unknown; kafka?: { topics?: { commands?: unknown } } } | undefined;
    const commands = h?.kafka?.topics?.commands;
    return { model: typeof h?.model === 'string' ? h.model : undefined, commands: typeof commands === 'string' ? commands : undefined };
  } catch (cause) {
    throw new WalletstormError('E_TARGET_UNREACHABLE', `cannot reach the wallet at ${walletOrigin} (${whyReadFailed(cause, '/healthz', 3000)})`, EXIT.unreachable, 'start it with `walletstorm serve --brokers ...`, and check the port', { cause });
  } finally {
    await control.close().catch(() => {});
  }
}
