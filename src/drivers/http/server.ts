import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { PlayerAccount } from '../../domain/ledger.js';
import type { MoneyRequest } from '../../domain/operations.js';
import { RefusalLog } from '../../domain/refusals.js';
import type { WalletResponse } from '../../domain/results.js';
import { EXIT, usageError, WalletstormError } from '../../errors.js';
import { buildWallet, type LogEvents } from '../../models/build.js';
import { MODEL_NAMES, type ModelName, type WalletModel, type WalletSettings } from '../../models/config.js';
import type { WalletProbe } from '../../models/probe.js';
import type { CommandLog } from '../../ports/log.js';
import type { CompiledScenario } from '../../scenario/compile.js';
import { SeededRandom } from '../../sim/prng.js';
import { KafkaBackbone } from '../kafka/backbone.js';
import { RealClock } from '../real-clock.js';
import { ServerMetrics } from './metrics.js';
import { guardProtocolEdges } from './protocol-edges.js';
import { targetOf } from './routes.js';
import { WalletHandler } from './wallet-handler.js';

export interface WalletServerOptions {
  readonly model: string;
  readonly scenario: CompiledScenario;
  readonly players: readonly PlayerAccount[];
  readonly seed: number;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** Off: no audit endpoint (404), as a target that has none; the checker then uses balances. */
  readonly audit?: boolean;
  /** A client must send its headers within this, and its whole request within requestTimeoutMs. */
  readonly headersTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** How often node looks for connections past those timeouts. */
  readonly timeoutCheckIntervalMs?: number;
  /** Event-driven and hybrid: put the log on these Kafka brokers instead of the embedded log. */
  readonly kafka?: { readonly brokers: readonly string[]; readonly topicPrefix: string };
  /** The operator's terminal (stderr): with kafka, a line per dead letter (rate-limited). */
  readonly warn?: (line: string) => void;
}

export interface WalletServer {
  readonly url: string;
  readonly port: number;
  readonly model: string;
  readonly wallet: WalletModel;
  readonly metrics: ServerMetrics;
  /** The Kafka side, when the log is on a broker. */
  readonly kafka?: KafkaBackbone;
  /** Operations accepted and refused when applied (GET /wallet/refusals); always empty for the request-driven model. */
  readonly refusals: RefusalLog;
  /** Stops accepting, lets requests in flight finish for at most graceMs, then closes every socket. */
  close(graceMs?: number): Promise<void>;
}

/** The models this server can run: every model the simulator has. */
export function servableModels(): readonly string[] {
  return MODEL_NAMES;
}

/** Live figures of the model, fed by its probe; read by /healthz and /metrics. */
class LiveProbe implements WalletProbe {
  queue = 0;
  lagMs = 0;
  /** On Kafka: every application goes to the results topic. */
  onSettled: WalletProbe['settled'] | undefined;
  readonly refusals = new RefusalLog();

  /**
   * @param settlesLater whether the model applies accepted operations later, from its log: only
   *   then is a refusal reported here one the client was not told of in its answer. A
   *   request-driven wallet reports every answer here, its refusals included, as it gives them.
   */
  constructor(private readonly settlesLater: boolean) {}

  settled(request: MoneyRequest, response: WalletResponse, nowMs: number): void {
    this.onSettled?.(request, response, nowMs);
    // A replay changed nothing and decided nothing new: its first application is listed already (or was OK).
    if (this.settlesLater && response.code !== 'OK' && response.replay !== true) {
      this.refusals.append(request.txId, request.kind, request.playerId, response.code, request.opRef, nowMs);
    }
  }
  queueDepth(depth: number): void {
    this.queue = depth;
  }
  // The backlog is read from the log when asked (wallet.backlog()); only the lag comes from here.
  logLag(lagMs: number): void {
    this.lagMs = lagMs;
  }
  idle(): void {
    this.queue = 0;
    this.lagMs = 0;
  }
}

export function buildRealWallet(model: string, clock: RealClock, seed: number, settings: WalletSettings, probe: WalletProbe, kafka?: KafkaBackbone): WalletModel {
  if (!(MODEL_NAMES as readonly string[]).includes(model)) {
    throw usageError('E_UNKNOWN_MODEL', `model "${model}" cannot be served`, `use one of ${servableModels().join(', ')}`);
  }
  const hooks = kafka === undefined ? {} : { commandLog: (events: LogEvents) => (kafka.log.listen(events), kafka.log as unknown as CommandLog<never>) };
  return buildWallet(model as ModelName, clock, new SeededRandom(seed).derive('wallet'), settings, probe, hooks).wallet;
}

/** A Kafka failure at start that is not already one of ours: the run cannot go on (exit 3). */
function kafkaFailure(options: WalletServerOptions): (e: Error) => never {
  return (e) => {
    if (e instanceof WalletstormError) throw e;
    throw new WalletstormError('E_KAFKA', `the wallet's log on Kafka ${options.kafka?.brokers.join(',')} could not start: ${e.message}`, EXIT.unreachable, undefined, { cause: e });
  };
}

async function openBackbone(options: WalletServerOptions, clock: RealClock, probe: LiveProbe): Promise<KafkaBackbone | undefined> {
  if (options.kafka === undefined) return undefined;
  const w = options.scenario.wallet;
  const plan = options.scenario.faults.consumerCrash;
  const phases = options.scenario.phases;
  const crash = plan && { ...plan, untilMs: phases.length === 0 ? 0 : phases[phases.length - 1]!.endMs };
  const backbone = await KafkaBackbone.open({
    brokers: options.kafka.brokers,
    topicPrefix: options.kafka.topicPrefix,
    model: options.model as ModelName,
    log: options.model === 'hybrid' ? w.hybrid : w.event,
    kafka: options.scenario.kafka,
    crash,
    clock,
    ...(options.warn !== undefined && { warn: options.warn }),
  });
  probe.onSettled = (request, response, nowMs) => backbone.publishResult(request, response, nowMs);
  return backbone;
}

/**
 * The reference wallet over HTTP: the project's wallet model on a real clock behind node:http,
 * speaking docs/protocol.md. Hostile input gets a 4xx and a result code and never reaches the
 * ledger; nothing a client sends can make it answer 5xx, except OVERLOADED (503), which is the
 * model's own answer.
 */
export async function startWalletServer(options: WalletServerOptions): Promise<WalletServer> {
  const clock = new RealClock();
  const probe = new LiveProbe(options.model !== 'request');
  const settings: WalletSettings = { ...options.scenario.wallet, players: options.players };
  const kafka = await openBackbone(options, clock, probe).catch(kafkaFailure(options));
  const wallet = buildRealWallet(options.model, clock, options.seed, settings, probe, kafka);
  await kafka?.log.ready().catch(async (e: Error) => {
    await kafka.close();
    kafkaFailure(options)(e);
  });
  const audit = options.audit ?? true;
  const metrics = new ServerMetrics({
    queueDepth: () => probe.queue,
    logLagMs: () => probe.lagMs,
    logBacklog: () => wallet.backlog(),
    ledgerReplays: () => wallet.ledger.replays,
  });
  const handler = new WalletHandler({ model: options.model, wallet, live: probe, clock, metrics, players: options.players, audit, kafka });
  const server = await listen(options, handler, metrics, audit);
  const port = (server.address() as AddressInfo).port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    model: options.model,
    wallet,
    metrics,
    kafka,
    refusals: probe.refusals,
    close(graceMs = 5000) {
      handler.shuttingDown = true;
      closing ??= closeServer(server, graceMs)
        .then(() => kafka?.close())
        // Work the wallet still had on its timers has nobody left to answer; it must not hold the process.
        .then(() => clock.halt());
      return closing;
    },
  };
}

async function listen(options: WalletServerOptions, handler: WalletHandler, metrics: ServerMetrics, audit: boolean): Promise<Server> {
  const server: Server = createServer(
    {
      // Checked in targetOf instead, so that the refusal has a JSON body and a result code.
      requireHostHeader: false,
      headersTimeout: options.headersTimeoutMs ?? 10_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      connectionsCheckingInterval: options.timeoutCheckIntervalMs ?? 1000,
      keepAliveTimeout: 30_000,
      maxHeaderSize: 16 * 1024,
    },
    (req: IncomingMessage, res: ServerResponse) => {
      const startedMs = performance.now();
      handler.serve(req, res, targetOf(req, audit), startedMs);
    },
  );
  guardProtocolEdges(server, handler, metrics, audit);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** Stops accepting, lets requests in flight finish for at most graceMs, then closes every socket. */
function closeServer(server: Server, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
    server.close(() => {
      clearTimeout(deadline);
      resolve();
    });
    server.closeIdleConnections();
  });
}
