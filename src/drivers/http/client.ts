import { Pool, type Dispatcher } from 'undici';
import type { WalletRequest } from '../../domain/operations.js';
import type { WalletResponse } from '../../domain/results.js';
import { isActive, type FaultWindow } from '../../faults/plan.js';
import { Fifo } from '../../util/fifo.js';
import type { Random } from '../../ports/random.js';
import type { Transport } from '../../ports/transport.js';
import type { RealClock } from '../real-clock.js';
import { decodeResponse, encodeMoneyRequest, MONEY_PATHS, OP_REF_HEADER } from './protocol.js';

export interface HttpTransportOptions {
  /** http://host:port of the wallet. */
  readonly origin: string;
  /** Keep-alive connections, each carrying one request at a time (no pipelining). */
  readonly connections: number;
  /** Per attempt: past it the request is aborted (and the provider's own timer gives up). */
  readonly timeoutMs: number;
  readonly clock: RealClock;
  /** The client-side half of the responseLoss fault: a response is read, then ignored. */
  readonly responseLoss?: FaultWindow & { readonly rate: number };
  readonly rng: Random;
  /** Sends waiting for a free connection; past this a send is dropped at once. */
  readonly maxWaiting?: number;
  /** Put before every txId (and round id) on the wire: unique per run, see encodeMoneyRequest. */
  readonly txIdPrefix?: string;
}

/** What the transport saw, for the report: the load generator's own honesty figures. */
export interface TransportStats {
  /** Requests written to a connection. */
  sent: number;
  /** Sends that found every connection busy and went out later than the provider asked. */
  late: number;
  /** Sends never made: they waited for a connection until their attempt had timed out, or the wait list was full. */
  dropped: number;
  /** Answers read and then ignored (the responseLoss fault). */
  responsesLost: number;
  /** Attempts aborted at the per-attempt timeout. */
  aborted: number;
  /** Connections refused: the request never reached the wallet, which is told as TEMPORARY_ERROR. */
  refused: number;
  /** Connection errors after the request may have been written: the outcome is unknown. */
  socketErrors: number;
  /** Answers without a readable result code (treated as no answer). */
  unreadable: number;
  /** Answers flagged as replays by the wallet's idempotency. */
  replays: number;
  /** Clock time of the last answer of any kind, for telling a dead target. */
  lastAnswerAtMs: number;
  /** Clock time of the last refused or broken connection. */
  lastConnectionErrorAtMs: number;
}

interface Waiting {
  readonly request: WalletRequest;
  readonly onReply: (response: WalletResponse) => void;
  readonly queuedAtMs: number;
}

const REFUSED_CODES = new Set(['ECONNREFUSED', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

/**
 * The provider's transport over HTTP: an undici Pool with keep-alive connections, one request
 * per connection at a time. It never queues silently: a send that finds every connection busy
 * waits in a visible list and is counted as late when it goes, or as dropped when its attempt
 * has timed out meanwhile. The per-attempt timeout aborts the request (closing its connection,
 * as an HTTP/1.1 client must); the provider decides what happens next.
 *
 * The hot path uses undici's dispatch API with a handler object, not request(): no stream and
 * no promise per request, which keeps the generator faster than the server it loads.
 */
export class HttpTransport implements Transport {
  readonly stats: TransportStats = {
    sent: 0,
    late: 0,
    dropped: 0,
    responsesLost: 0,
    aborted: 0,
    refused: 0,
    socketErrors: 0,
    unreadable: 0,
    replays: 0,
    lastAnswerAtMs: -1,
    lastConnectionErrorAtMs: -1,
  };
  /** Time from the actual write to the answer, per answered attempt, in ms (the report's latency.sent). */
  onSentLatency: (ms: number) => void = () => {};
  private readonly pool: Pool;
  private readonly waiting = new Fifo<Waiting>();
  private inFlight = 0;
  private closed = false;

  constructor(private readonly options: HttpTransportOptions) {
    this.pool = new Pool(options.origin, {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      // The attempt's own timer aborts; these only bound a request nobody is timing.
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: { timeout: Math.max(1000, Math.min(options.timeoutMs, 10_000)) },
    });
  }

  get outstanding(): number {
    return this.inFlight + this.waiting.length;
  }

  send(request: WalletRequest, onReply: (response: WalletResponse) => void): void {
    if (this.closed) return;
    if (this.inFlight < this.options.connections) {
      this.dispatch(request, onReply, this.options.timeoutMs);
      return;
    }
    if (this.waiting.length >= (this.options.maxWaiting ?? 100_000)) {
      this.stats.dropped++;
      return;
    }
    this.waiting.push({ request, onReply, queuedAtMs: this.options.clock.now() });
  }

  /**
   * Opens every connection (and warms both sides' JIT) before the clock starts, so the first
   * second of the run does not measure TCP handshakes: `rounds` GET /healthz on each connection.
   * A target without /healthz answers 404, which warms just as well.
   */
  async warmUp(rounds = 20): Promise<void> {
    const one = () => this.pool.request({ path: '/healthz', method: 'GET', signal: AbortSignal.timeout(5000) }).then((r) => r.body.dump());
    for (let i = 0; i < rounds; i++) await Promise.all(Array.from({ length: this.options.connections }, one));
  }

  /** Stops sending: what waits is dropped, what is in flight is left to finish or time out. */
  stop(): void {
    this.closed = true;
    while (this.waiting.shift() !== undefined) this.stats.dropped++;
  }

  async close(): Promise<void> {
    this.stop();
    await this.pool.destroy();
  }

  private dispatch(request: WalletRequest, onReply: (response: WalletResponse) => void, timeoutMs: number): void {
    this.inFlight++;
    this.stats.sent++;
    const handler = new AttemptHandler(this, request, onReply, this.options.clock.now());
    let options: Dispatcher.DispatchOptions;
    if (request.kind === 'balance') {
      options = { path: `/wallet/balance/${encodeURIComponent(request.playerId)}`, method: 'GET' };
    } else {
      const headers: string[] = ['content-type', 'application/json'];
      if (request.opRef !== undefined) headers.push(OP_REF_HEADER, String(request.opRef));
      options = { path: MONEY_PATHS[request.kind], method: 'POST', headers, body: encodeMoneyRequest(request, this.options.txIdPrefix) };
    }
    handler.timer = setTimeout(() => handler.timeout(), timeoutMs);
    this.pool.dispatch(options, handler);
  }

  /** Called once per dispatched attempt, whatever its end. */
  finished(): void {
    this.inFlight--;
    const clock = this.options.clock;
    while (!this.closed && this.inFlight < this.options.connections) {
      const next = this.waiting.shift();
      if (next === undefined) return;
      const waitedMs = clock.now() - next.queuedAtMs;
      if (waitedMs >= this.options.timeoutMs) {
        this.stats.dropped++;
        continue;
      }
      this.stats.late++;
      this.dispatch(next.request, next.onReply, this.options.timeoutMs - waitedMs);
    }
  }

  answered(handler: AttemptHandler, status: number, body: string): void {
    const { clock, responseLoss, rng } = this.options;
    const now = clock.now();
    this.stats.lastAnswerAtMs = now;
    const response = decodeResponse(status, body);
    if (response === undefined) {
      this.stats.unreadable++;
      return;
    }
    if (responseLoss !== undefined && isActive(responseLoss, now) && rng.next() < responseLoss.rate) {
      this.stats.responsesLost++;
      return;
    }
    if (response.replay === true) this.stats.replays++;
    this.onSentLatency(now - handler.sentAtMs);
    handler.onReply(response);
  }

  failed(handler: AttemptHandler, error: Error & { code?: string }): void {
    if (handler.timedOut) {
      this.stats.aborted++;
      return;
    }
    const now = this.options.clock.now();
    this.stats.lastConnectionErrorAtMs = now;
    if (error.code !== undefined && REFUSED_CODES.has(error.code)) {
      // Nothing reached the wallet: a definite "not decided", which providers retry.
      this.stats.refused++;
      handler.onReply({ code: 'TEMPORARY_ERROR', message: `connection failed: ${error.code}` });
      return;
    }
    this.stats.socketErrors++;
  }
}

const TIMEOUT = new Error('attempt timed out');

/** One attempt in flight: undici's handler callbacks, with no closure per request. */
class AttemptHandler implements Dispatcher.DispatchHandler {
  timer: NodeJS.Timeout | undefined;
  timedOut = false;
  private controller: Dispatcher.DispatchController | undefined;
  private status = 0;
  private chunks: Buffer[] = [];
  private done = false;

  constructor(
    private readonly transport: HttpTransport,
    readonly request: WalletRequest,
    readonly onReply: (response: WalletResponse) => void,
    readonly sentAtMs: number,
  ) {}

  timeout(): void {
    this.timedOut = true;
    this.controller?.abort(TIMEOUT);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.timedOut) controller.abort(TIMEOUT);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.finish()) return;
    const c = this.chunks;
    this.transport.answered(this, this.status, c.length === 1 ? c[0]!.toString('utf8') : Buffer.concat(c).toString('utf8'));
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    if (this.finish()) return;
    this.transport.failed(this, error);
  }

  /** True when this attempt already ended (undici may report an abort after the end). */
  private finish(): boolean {
    if (this.done) return true;
    this.done = true;
    clearTimeout(this.timer);
    this.transport.finished();
    return false;
  }
}
