import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { PlayerAccount } from '../../domain/ledger.js';
import { MAX_ID_UNITS, type MoneyRequest, type OpKind, type WalletRequest } from '../../domain/operations.js';
import type { WalletResponse } from '../../domain/results.js';
import { EXIT, usageError, WalletstormError } from '../../errors.js';
import { buildWallet, type LogEvents } from '../../models/build.js';
import type { CommandLog } from '../../ports/log.js';
import type { Exchange } from '../../ports/transport.js';
import { MODEL_NAMES, type ModelName, type WalletModel, type WalletSettings } from '../../models/config.js';
import type { WalletProbe } from '../../models/probe.js';
import type { CompiledScenario } from '../../scenario/compile.js';
import { SeededRandom } from '../../sim/prng.js';
import { KafkaBackbone } from '../kafka/backbone.js';
import { decodeUtf8Strict } from '../../util/utf8.js';
import { RealClock } from '../real-clock.js';
import { ServerMetrics, type RouteName } from './metrics.js';
import { decodeMoneyRequest, MAX_BODY_BYTES, OP_REF_HEADER, statusFor, toWireEntry, toWireRefusal } from './protocol.js';
import { RefusalLog } from '../../domain/refusals.js';

type Answer = (res: ServerResponse, route: RouteName, startedMs: number, response: WalletResponse) => void;

/** One request handed to the wallet model, answered on its response when the model is done. */
class HttpExchange implements Exchange {
  constructor(
    readonly request: WalletRequest,
    private readonly res: ServerResponse,
    private readonly route: RouteName,
    private readonly startedMs: number,
    private readonly answer: Answer,
  ) {}

  reply(response: WalletResponse): void {
    this.answer(this.res, this.route, this.startedMs, response);
  }
}

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

const MONEY_ROUTES: Readonly<Record<string, OpKind>> = { '/wallet/bet': 'bet', '/wallet/win': 'win', '/wallet/rollback': 'rollback' };
const PAGE_LIMIT_MAX = 10_000;
/** A socket node hands over (CONNECT) is closed after its answer; one whose client does not close it is cut off after this. */
const HANDED_OVER_LINGER_MS = 1000;

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
  const accounts = new Map(options.players.map((p) => [p.id, p] as const));
  const audit = options.audit ?? true;
  const metrics = new ServerMetrics({
    queueDepth: () => probe.queue,
    logLagMs: () => probe.lagMs,
    logBacklog: () => wallet.backlog(),
    ledgerReplays: () => wallet.ledger.replays,
  });

  // Set once close() begins: every answer from then on closes its connection, so that a
  // keep-alive client stops sending on it instead of being cut off at the end of the grace time.
  let shuttingDown = false;
  const send = (res: ServerResponse, route: RouteName, startedMs: number, status: number, body: string, code: string, replay = false, close = false): void => {
    metrics.answered(route, code, (performance.now() - startedMs) / 1000, replay);
    if (res.destroyed || res.writableEnded) return;
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    if (close || shuttingDown) headers.connection = 'close';
    if (status === 503) headers['retry-after'] = '1';
    res.writeHead(status, headers);
    res.end(body);
  };
  const refuse = (res: ServerResponse, route: RouteName, startedMs: number, status: number, message: string, close = false): void =>
    send(res, route, startedMs, status, JSON.stringify({ code: 'INVALID_REQUEST', message }), 'INVALID_REQUEST', false, close);
  const answer = (res: ServerResponse, route: RouteName, startedMs: number, response: WalletResponse): void =>
    send(res, route, startedMs, statusFor(response), JSON.stringify(response), response.code, response.replay === true);

  /** A money operation whose head targetOf let through: its body is read and decoded here. */
  const money = (req: IncomingMessage, res: ServerResponse, kind: OpKind, startedMs: number): void => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        over = true;
        refuse(res, kind, startedMs, 413, `the body is over ${MAX_BODY_BYTES} bytes`, true);
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (over) return;
      let body: unknown;
      try {
        body = JSON.parse(decodeUtf8Strict(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
      } catch {
        return refuse(res, kind, startedMs, 400, 'the body is not valid JSON in UTF-8');
      }
      const opRef = req.headers[OP_REF_HEADER];
      const decoded = decodeMoneyRequest(kind, body, typeof opRef === 'string' ? opRef : undefined);
      if (!decoded.ok) return refuse(res, kind, startedMs, 400, decoded.message);
      wallet.handle(new HttpExchange(decoded.request, res, kind, startedMs, answer));
    });
  };

  /** A refusal decided on the request's head: its body, if any, is drained unread. */
  const refuseHead = (req: IncomingMessage, res: ServerResponse, startedMs: number, refusal: Refusal, close: boolean): void => {
    req.resume();
    if (refusal.allow !== undefined) res.setHeader('allow', refusal.allow);
    refuse(res, refusal.route, startedMs, refusal.status, refusal.message, close);
  };

  const serve = (req: IncomingMessage, res: ServerResponse, target: Target, startedMs: number): void => {
    // Upgrade is ignored (RFC 9110 §7.8): the request is answered as it is. Node stops reading the
    // connection's bytes after such a request, so one pipelined behind it would never be answered:
    // close the connection after the answer instead.
    if (req.headers.upgrade !== undefined) res.setHeader('connection', 'close');
    if (target.to === 'refused') return refuseHead(req, res, startedMs, target.refusal, target.refusal.close === true);
    if (target.to === 'money') return money(req, res, target.kind, startedMs);
    // Everything below is a read: a body, if any, is drained and ignored.
    req.resume();
    if (target.to === 'balance') return wallet.handle(new HttpExchange({ kind: 'balance', playerId: target.playerId }, res, 'balance', startedMs, answer));
    if (target.to === 'transactions') {
      const { page, playerId } = target;
      const entries = wallet.ledger.journal;
      const lastSeq = entries.length - 1;
      let slice;
      let next: number | null;
      if (playerId === undefined) {
        const rows = pageRows(entries.length, page);
        slice = entries.slice(rows.from, rows.to);
        next = rows.next;
      } else {
        if (!accounts.has(playerId)) return answer(res, 'transactions', startedMs, { code: 'PLAYER_NOT_FOUND' });
        slice = [];
        next = null;
        for (let i = page.after + 1; i < entries.length; i++) {
          if (entries.playerId(i) !== playerId) continue;
          if (slice.length === page.limit) {
            next = slice.length === 0 ? page.after : slice[slice.length - 1]!.seq;
            break;
          }
          slice.push(entries.entry(i));
        }
      }
      const epochMs = clock.epochMs;
      const body = JSON.stringify({ transactions: slice.map((e) => toWireEntry(e, epochMs)), next, lastSeq });
      return send(res, 'transactions', startedMs, 200, body, 'OK');
    }
    if (target.to === 'refusals') {
      const { page } = target;
      const list = probe.refusals;
      const { from, to, next } = pageRows(list.length, page);
      const epochMs = clock.epochMs;
      const body = JSON.stringify({ refusals: list.slice(from, to).map((r) => toWireRefusal(r, epochMs)), next, lastSeq: list.length - 1 });
      return send(res, 'refusals', startedMs, 200, body, 'OK');
    }
    if (target.to === 'balances') {
      const { page } = target;
      const { from, to, next } = pageRows(options.players.length, page);
      const balances = options.players.slice(from, to).map((p) => ({ playerId: p.id, balance: wallet.ledger.balanceOf(p.id) ?? 0, currency: p.currency }));
      return send(res, 'balances', startedMs, 200, JSON.stringify({ balances, next }), 'OK');
    }
    if (target.to === 'healthz') {
      const body = JSON.stringify({
        status: 'ok',
        model: options.model,
        // Idle means every accepted operation is applied or refused by now: `load` counts one in
        // neither as lost. busy() counts the record a consumer is applying, out of the backlog.
        busy: wallet.busy(),
        queueDepth: probe.queue,
        logLagMs: Math.round(probe.lagMs * 1000) / 1000,
        logBacklog: wallet.backlog(),
        entries: wallet.ledger.journal.length,
        audit,
        ...(kafka !== undefined && { consumerCrashes: kafka.log.stats.consumerCrashes, deadLetters: kafka.log.stats.deadLetters, kafka: kafka.health() }),
      });
      return send(res, 'other', startedMs, 200, body, 'OK');
    }
    metrics.text().then(
      (text) => {
        if (res.destroyed) return;
        if (shuttingDown) res.setHeader('connection', 'close');
        res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
        res.end(text);
      },
      () => send(res, 'other', startedMs, 500, JSON.stringify({ code: 'TEMPORARY_ERROR', message: 'metrics failed' }), 'TEMPORARY_ERROR'),
    );
  };

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const startedMs = performance.now();
    serve(req, res, targetOf(req, audit), startedMs);
  };

  /** A refusal before the body is read: the body is drained and the connection closed after the answer. */
  const refuseUnread = (req: IncomingMessage, res: ServerResponse, route: RouteName, startedMs: number, status: number, message: string): void => {
    req.resume();
    refuse(res, route, startedMs, status, message, true);
  };

  const server: Server = createServer(
    {
      // Checked in onRequest instead, so that the refusal has a JSON body and a result code.
      requireHostHeader: false,
      headersTimeout: options.headersTimeoutMs ?? 10_000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      connectionsCheckingInterval: options.timeoutCheckIntervalMs ?? 1000,
      keepAliveTimeout: 30_000,
      maxHeaderSize: 16 * 1024,
    },
    onRequest,
  );
  // A client that breaks HTTP itself (bad framing, too-large headers, too slow) still gets a
  // JSON answer with a result code, then the connection is closed.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const [status, reason] =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout'] : error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
    metrics.answered('other', 'INVALID_REQUEST', 0, false);
    socket.end(rawRefusal(status, reason, `${reason.toLowerCase()} (${error.code ?? 'malformed HTTP'})`));
  });
  // Expect: 100-continue. Without this listener node answers 100 Continue itself before onRequest
  // runs, inviting a body that a refusal decided on the head alone then drains. A request refused
  // on its head gets that refusal as its final answer instead, and its connection is closed: the
  // client may send the body after all or not (RFC 9110 §10.1.1), so the connection's next bytes
  // cannot be framed. (Node closes such a connection too, having sent no 100.)
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    const startedMs = performance.now();
    const target = targetOf(req, audit);
    if (target.to === 'refused') return refuseHead(req, res, startedMs, target.refusal, true);
    res.writeContinue();
    serve(req, res, target, startedMs);
  });
  // Any other Expect: node's default is an empty 417. The body, if sent, is not read; the connection is closed.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const startedMs = performance.now();
    const route = MONEY_ROUTES[pathOf(req.url)] ?? 'other';
    if (hostMissing(req)) return refuseUnread(req, res, route, startedMs, 400, 'an HTTP/1.1 request must have a Host header');
    const expect = String(req.headers.expect);
    const shown = expect.length > 64 ? `${expect.slice(0, 64)}...` : expect;
    refuseUnread(req, res, route, startedMs, 417, `the Expect header (${JSON.stringify(shown)}) is not supported; only 100-continue is`);
  });
  // CONNECT: this is not a proxy. Node hands the socket over (without a listener it drops it with no
  // answer); from here node no longer watches it for errors or timeouts, so this does.
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    const linger = setTimeout(() => socket.destroy(), HANDED_OVER_LINGER_MS).unref();
    socket.once('close', () => clearTimeout(linger));
    metrics.answered('other', 'INVALID_REQUEST', 0, false);
    socket.resume();
    // An empty Allow: no method is allowed on an authority (RFC 9110 §10.2.1).
    socket.end(rawRefusal(405, 'Method Not Allowed', 'CONNECT is not supported: this server is not a proxy', 'allow: \r\n'));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
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
      shuttingDown = true;
      closing ??= new Promise<void>((resolve) => {
        const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(deadline);
          resolve();
        });
        server.closeIdleConnections();
      })
        .then(() => kafka?.close())
        // Work the wallet still had on its timers has nobody left to answer; it must not hold the process.
        .then(() => clock.halt());
      return closing;
    },
  };
}

interface Page {
  readonly after: number;
  readonly limit: number;
}

/** A refusal the request's head (request line and headers) decides on its own, before any byte of its body. */
interface Refusal {
  readonly route: RouteName;
  readonly status: number;
  readonly message: string;
  /** Close the connection after it, even without Expect: a body this large is not read. */
  readonly close?: boolean;
  /** The methods the path takes, for a 405. */
  readonly allow?: string;
}

/** What a request's head asks for, or the refusal it gets: decided before its body is read or, under Expect: 100-continue, invited. */
type Target =
  | { readonly to: 'refused'; readonly refusal: Refusal }
  | { readonly to: 'money'; readonly kind: OpKind }
  | { readonly to: 'balance'; readonly playerId: string }
  | { readonly to: 'transactions'; readonly page: Page; readonly playerId: string | undefined }
  | { readonly to: 'refusals'; readonly page: Page }
  | { readonly to: 'balances'; readonly page: Page }
  | { readonly to: 'healthz' | 'metrics' };

/** One target per money route, made once: every bet, win and rollback passes here. */
const MONEY_TARGETS: Record<OpKind, Target> = { bet: { to: 'money', kind: 'bet' }, win: { to: 'money', kind: 'win' }, rollback: { to: 'money', kind: 'rollback' } };

const PAGE_RULE = 'after must be an integer >= -1 and limit one from 0 to 10000';

function targetOf(req: IncomingMessage, audit: boolean): Target {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const kind = MONEY_ROUTES[path];
  const refused = (route: RouteName, status: number, message: string, more: Pick<Refusal, 'close' | 'allow'> = {}): Target => ({
    to: 'refused',
    refusal: { route, status, message, ...more },
  });
  // Node's own refusal (requireHostHeader) is an empty 400: the same refusal, with a result code.
  if (hostMissing(req)) return refused(kind ?? 'other', 400, 'an HTTP/1.1 request must have a Host header', { close: true });
  if (kind !== undefined) {
    if (req.method !== 'POST') return refused(kind, 405, `${path} takes POST`, { allow: 'POST' });
    // Too large first: a body that will not be read must not keep its connection (413 closes).
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) return refused(kind, 413, `the body is over ${MAX_BODY_BYTES} bytes`, { close: true });
    if (!isJson(req.headers['content-type'])) return refused(kind, 415, 'the body must be JSON, sent with Content-Type: application/json');
    return MONEY_TARGETS[kind];
  }
  if (!isReadPath(path)) return refused('other', 404, `no route ${req.method} ${path}`);
  // HEAD is a GET whose body node leaves out.
  if (req.method !== 'GET' && req.method !== 'HEAD') return refused('other', 405, `${path} takes GET`, { allow: 'GET, HEAD' });
  const params = new URLSearchParams(q < 0 ? '' : url.slice(q + 1));
  if (path.startsWith('/wallet/balance/')) {
    const playerId = decodeSegment(path.slice('/wallet/balance/'.length));
    return playerId === undefined ? refused('balance', 400, 'bad player id in the path') : { to: 'balance', playerId };
  }
  if (path === '/wallet/transactions' || path.startsWith('/wallet/transactions/')) {
    if (!audit) return refused('transactions', 404, 'this wallet has no audit endpoint');
    const page = pageParams(params);
    if (page === undefined) return refused('transactions', 400, PAGE_RULE);
    if (path === '/wallet/transactions') return { to: 'transactions', page, playerId: undefined };
    const playerId = decodeSegment(path.slice('/wallet/transactions/'.length));
    return playerId === undefined ? refused('transactions', 400, 'bad player id in the path') : { to: 'transactions', page, playerId };
  }
  if (path === '/wallet/refusals') {
    // Part of the audit: a wallet without the audit endpoint has none of it.
    if (!audit) return refused('refusals', 404, 'this wallet has no audit endpoint');
    const page = pageParams(params);
    return page === undefined ? refused('refusals', 400, PAGE_RULE) : { to: 'refusals', page };
  }
  if (path === '/wallet/balances') {
    const page = pageParams(params);
    return page === undefined ? refused('balances', 400, PAGE_RULE) : { to: 'balances', page };
  }
  if (path === '/healthz') return { to: 'healthz' };
  if (path === '/metrics') return { to: 'metrics' };
  return refused('other', 404, `no route GET ${path}`);
}

/** An answer written straight to a socket node does not answer on (broken HTTP, CONNECT); the connection closes after it. */
function rawRefusal(status: number, reason: string, message: string, extraHeaders = ''): string {
  const body = JSON.stringify({ code: 'INVALID_REQUEST', message });
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extraHeaders}connection: close\r\n\r\n${body}`;
}

/** HTTP/1.1 requires Host (RFC 9112 §3.2); HTTP/1.0 does not. */
function hostMissing(req: IncomingMessage): boolean {
  return req.httpVersion === '1.1' && req.headers.host === undefined;
}

function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q < 0 ? u : u.slice(0, q);
}

function decodeSegment(segment: string): string | undefined {
  try {
    const id = decodeURIComponent(segment);
    return id.length > 0 && id.length <= MAX_ID_UNITS && !id.includes('/') ? id : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The rows [from, to) of a list of `length` rows that a page asks for, and the `next` it gives
 * back: the position of its last row (`after` for an empty page), or null when nothing follows.
 */
function pageRows(length: number, page: Page): { from: number; to: number; next: number | null } {
  const from = page.after + 1;
  const to = Math.max(from, Math.min(length, from + page.limit));
  const end = to - 1;
  return { from, to, next: end < length - 1 ? end : null };
}

function pageParams(params: URLSearchParams): Page | undefined {
  const after = integerParam(params.get('after'), -1);
  const limit = integerParam(params.get('limit'), 1000);
  if (!Number.isSafeInteger(after) || after < -1 || !Number.isSafeInteger(limit) || limit < 0 || limit > PAGE_LIMIT_MAX) return undefined;
  return { after, limit };
}

/** A query parameter written as a decimal integer; NaN for anything else ("", "1e3", "0x1"). */
function integerParam(value: string | null, absent: number): number {
  if (value === null) return absent;
  return /^-?\d{1,16}$/.test(value) ? Number(value) : Number.NaN;
}

/** application/json, with or without parameters (charset=utf-8). */
function isJson(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.split(';', 1)[0]!.trim().toLowerCase() === 'application/json';
}

const READ_PATHS = new Set(['/wallet/transactions', '/wallet/refusals', '/wallet/balances', '/healthz', '/metrics']);
function isReadPath(path: string): boolean {
  return READ_PATHS.has(path) || path.startsWith('/wallet/balance/') || path.startsWith('/wallet/transactions/');
}

