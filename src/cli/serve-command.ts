import { checkAll, EXIT, usageError, WalletstormError, type ExitCode } from '../errors.js';
import { startWalletServer, servableModels } from '../drivers/http/server.js';
import { checkTopicPrefix, parseBrokers } from '../drivers/kafka/cluster.js';
import { Population } from '../provider/players.js';
import { compileScenario } from '../scenario/compile.js';
import { loadScenario } from '../scenario/load.js';
import { parseHost, parseSeed, parseWhole } from './parse-flags.js';

export interface ServeOptions {
  readonly model: string;
  readonly host: string;
  readonly port: string;
  readonly scenario: string;
  readonly set: string[];
  readonly audit: boolean;
  readonly seed?: string;
  readonly brokers?: string;
  readonly topicPrefix?: string;
}

/** Message a parent process (load --target local) receives once the server listens. */
export interface ServeReady {
  readonly type: 'walletstorm-serve-ready';
  readonly url: string;
}

/**
 * Runs the reference wallet until SIGTERM or SIGINT, then shuts down gracefully: no new
 * connections, requests in flight answered (for at most 5 s), exit 0.
 */
export async function serveCommand(options: ServeOptions, write: (text: string) => void): Promise<ExitCode> {
  const { host, port, brokers, topicPrefix, loaded, seed: seedFlag } = checkAll({
    model: () => {
      if (!servableModels().includes(options.model)) throw usageError('E_UNKNOWN_MODEL', `unknown model "${options.model}"`, `serve runs one of: ${servableModels().join(', ')}`);
    },
    host: () => parseHost(options.host),
    port: () => parseWhole('--port', options.port, 0, 65535, 'E_BAD_PORT'),
    brokers: () => (options.brokers === undefined ? undefined : parseBrokers(options.brokers)),
    log: () => {
      if (options.brokers !== undefined && options.model === 'request') {
        throw usageError('E_MODEL_WITHOUT_LOG', 'the request-driven wallet has no log to put on Kafka', 'use --brokers with --model event or hybrid');
      }
    },
    topicPrefix: () => {
      // Without --brokers the log is the embedded one and has no topics: a prefix would be ignored.
      // (The flag's default is '', no prefix.)
      if ((options.topicPrefix ?? '') !== '' && options.brokers === undefined) {
        throw usageError('E_BAD_FLAG', '--topic-prefix goes with --brokers (it names the wallet\'s topics on Kafka)', 'add --brokers HOST:PORT, or leave --topic-prefix out');
      }
      return checkTopicPrefix(options.topicPrefix ?? '');
    },
    loaded: () => loadScenario(options.scenario, options.set),
    seed: () => (options.seed === undefined ? undefined : parseSeed(options.seed)),
  });
  const compiled = compileScenario(loaded.scenario);
  const seed = seedFlag ?? loaded.scenario.seed;
  const population = new Population(compiled.population);
  let server;
  try {
    server = await startWalletServer({
      model: options.model,
      scenario: compiled,
      players: population.accounts,
      seed,
      host,
      port,
      audit: options.audit,
      kafka: brokers === undefined ? undefined : { brokers, topicPrefix },
      warn: (line) => process.stderr.write(line),
    });
  } catch (cause) {
    if (cause instanceof WalletstormError) throw cause;
    const e = cause as NodeJS.ErrnoException;
    // An address no interface of this machine has is the user's input, not the machine's state.
    if (e.code === 'EADDRNOTAVAIL') {
      throw usageError('E_BAD_HOST', `cannot listen on ${host}: no network interface of this machine has that address`, 'leave --host out to listen on 127.0.0.1 (loopback), or give an address this machine has');
    }
    throw new WalletstormError(
      'E_LISTEN',
      `cannot listen on ${host}:${port}: ${e.code ?? e.message}`,
      EXIT.unreachable,
      e.code === 'EADDRINUSE' ? 'another process has that port: pick another with --port, or --port 0 for a free one' : undefined,
      { cause },
    );
  }
  const w = loaded.scenario.wallet;
  const capacity =
    options.model === 'request'
      ? `${w.request.workers} workers, queue ${w.request.queueLimit}`
      : options.model === 'event'
        ? `ingest ${w.event.ingest.workers} workers, ${w.event.partitions} partitions, ${w.event.consumers} consumers`
        : `API ${w.hybrid.api.workers} workers, ${w.hybrid.partitions} partitions, ${w.hybrid.consumers} consumers`;
  write(
    `walletstorm serve: ${options.model === 'hybrid' ? 'hybrid' : `${options.model}-driven`} wallet listening on ${server.url}\n` +
      `  scenario ${loaded.scenario.name}: ${population.accounts.length} players, ${capacity}, idempotency ${w.idempotency}\n` +
      (server.kafka === undefined
        ? ''
        : `  log on Kafka ${server.kafka.brokers.join(',')}: ${server.kafka.topics.commands} (${w[options.model === 'hybrid' ? 'hybrid' : 'event'].partitions} partitions) -> ${server.kafka.topics.results}, dead letters ${server.kafka.topics.dlq}, inbox ${w.inbox}\n`) +
      `  endpoints: POST /wallet/bet|win|rollback, GET /wallet/balance/:playerId, GET /wallet/balances, ${options.audit ? 'GET /wallet/transactions, GET /wallet/refusals, ' : ''}/healthz, /metrics\n`,
  );
  if (process.send !== undefined) {
    const ready: ServeReady = { type: 'walletstorm-serve-ready', url: server.url };
    process.send(ready);
  }

  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      write(`walletstorm serve: ${signal}, shutting down\n`);
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    // Started by `load --target local`: when the parent goes, so does the server.
    process.once('disconnect', () => stop('parent gone'));
  });
  await server.close(5000);
  process.removeAllListeners('SIGTERM');
  process.removeAllListeners('SIGINT');
  if (process.connected) process.disconnect();
  return EXIT.ok;
}
