import { Pool, type Dispatcher } from 'undici';
import type { WalletRequest } from '../../domain/operations.js';
import { isActive, type FaultWindow } from '../../faults/plan.js';
import { Fifo } from '../../util/fifo.js';
import type { Random } from '../../ports/random.js';
import type { AnswerLostListener, AttemptDroppedListener, HeldSends, ReplyTarget, Transport, TransportFlow } from '../../ports/transport.js';
import { MAX_TIMER_MS, type RealClock } from '../real-clock.js';
import { decodeResponseBytes, encodeMoneyRequest, MONEY_PATHS, OP_REF_HEADER } from './protocol.js';

export interface HttpTransportOptions {
  /** http://host:port of the wallet. */
  readonly origin: string;
  /** Keep-alive connections, each carrying one request at a time (no pipelining on the wire). */
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
  /** Told of each answer the responseLoss fault ignores (a trace). */
  readonly onAnswerLost?: AnswerLostListener;
  /** Told of each attempt dropped without being sent (a trace). */
  readonly onAttemptDropped?: AttemptDroppedListener;
}

/** What the transport saw, for the report: the load generator's own honesty figures. */
export interface TransportStats {
  /** Requests written to a connection. */
  sent: number;
  /** Sends that found every connection busy and went out later than the provider asked. */
  late: number;
  /**
   * Sends never made: they waited for a connection (here, or as an attempt the provider held back)
   * until their attempt had timed out, or the wait list was full.
   */
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
  /**
   * Clock time of the last answer with a readable result code, for telling a dead target. An
   * unreadable answer does not count: the protocol takes it as no answer at all.
   */
  lastAnswerAtMs: number;
  /** Clock time of the last refused or broken connection (or one not accepted in time). */
  lastConnectionErrorAtMs: number;
  /** Its error code (ECONNREFUSED, UND_ERR_CONNECT_TIMEOUT, …), for the message that gives the target up. */
  lastConnectionError?: string;
  /** Clock times of the first and the last answer without a readable result code. */
  firstUnreadableAtMs: number;
  lastUnreadableAtMs: number;
  /** The first unreadable answer, as `POST /wallet/bet answered 501 "..."`: what the target said instead. */
  unreadableExample?: string;
}

/** Every count at zero, and no answer or connection error seen yet. */
export function emptyTransportStats(): TransportStats {
  const counts = { sent: 0, late: 0, dropped: 0, responsesLost: 0, aborted: 0, refused: 0, socketErrors: 0, unreadable: 0, replays: 0 };
  return { ...counts, lastAnswerAtMs: -1, lastConnectionErrorAtMs: -1, firstUnreadableAtMs: -1, lastUnreadableAtMs: -1 };
}

/**
 * A send that found every connection busy: a retry or a rollback, or anything while the provider
 * holds more than it may (its new bets and wins wait there as numbers, see TransportFlow). Kept
 * small: what waits here outlives a young-generation collection or two, so its size is copied work.
 */
interface Waiting {
  readonly request: WalletRequest;
  readonly target: ReplyTarget;
  readonly token: number;
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
 *
 * One request at a time on each connection, on the wire: every request is dispatched as
 * non-idempotent, and undici never writes a non-idempotent request while another one is in
 * flight on its connection. The pool's `pipelining: 2` only lets a connection whose answer is
 * arriving (its headers are read) hold the next request, which undici then writes as soon as
 * that answer completes. With `pipelining: 1` the next request could only be handed to the
 * connection a turn of the event loop after the answer, and undici then checks the idle socket
 * for another turn before writing (GHSA-35p6-xmwp-9g52): two turns between an answer and the
 * next request, during which the wallet may run out of work, plus two immediates, a keep-alive
 * timer and a drain event per request. (The price: a request handed to a connection whose
 * answer has begun waits for the rest of that answer, which for the wallet's small bodies is
 * the same packet; its send time, like that of one waiting in the pool, is its dispatch.)
 */
export class HttpTransport implements Transport {
  readonly stats: TransportStats = emptyTransportStats();
  /** Time from the actual write to the answer, per answered attempt, in ms (the report's latency.sent). */
  onSentLatency: (ms: number) => void = () => {};
  private readonly pool: Pool;
  private readonly waiting = new Fifo<Waiting>();
  /**
   * Attempts in flight in the order they were dispatched, for their timeouts. Every attempt's
   * deadline is the time its send was asked for plus the one timeout, and sends are dispatched
   * in the order they were asked for (a held attempt's ask is when it was held, and `finished`
   * takes the older of it and the oldest waiting send), so the deadlines are in order too: one
   * timer, armed for the oldest live attempt, replaces a timer per attempt (the attempts that
   * ended are skipped).
   */
  private readonly deadlines = new Fifo<AttemptHandler>();
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** The deadline last put in `deadlines`: none may come before it. */
  private lastDeadlineMs = -Infinity;
  private inFlight = 0;
  private closed = false;
  /** The provider's held attempts (see TransportFlow): sent as connections free, by age with `waiting`. */
  private held: HeldSends | undefined;

  get connections(): number {
    return this.options.connections;
  }

  constructor(private readonly options: HttpTransportOptions) {
    this.pool = new Pool(options.origin, {
      connections: options.connections,
      // Not pipelining on the wire: see the class comment (requests are non-idempotent).
      pipelining: 2,
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

  send(request: WalletRequest, target: ReplyTarget, token: number, askedAtMs?: number): void {
    // After the run stopped sending: not sent, and not a send the load generator failed to make.
    if (this.closed) return this.options.onAttemptDropped?.(request, token, 'stopped', this.options.clock.now());
    const now = this.options.clock.now();
    if (askedAtMs !== undefined && now - askedAtMs >= this.options.timeoutMs) {
      // Held back by the provider until its attempt had timed out: never sent.
      this.stats.dropped++;
      this.options.onAttemptDropped?.(request, token, 'waited-past-timeout', now);
      return;
    }
    if (this.inFlight < this.options.connections) {
      if (askedAtMs !== undefined) this.stats.late++;
      this.dispatch(request, target, token, askedAtMs ?? now, now);
      return;
    }
    if (this.waiting.length >= (this.options.maxWaiting ?? 100_000)) {
      this.stats.dropped++;
      this.options.onAttemptDropped?.(request, token, 'wait-list-full', now);
      return;
    }
    this.waiting.push({ request, target, token, queuedAtMs: askedAtMs ?? now });
  }

  /** Flow control (see TransportFlow): busy while every connection is, or sends wait. */
  readonly flow: TransportFlow = {
    busy: () => this.inFlight >= this.options.connections || this.waiting.length > 0,
    attach: (held) => {
      this.held = held;
    },
  };

  /**
   * Opens every connection (and warms both sides' JIT) before the clock starts, so the first
   * second of the run does not measure TCP handshakes: `rounds` GET /healthz on each connection.
   * A target without /healthz answers 404, which warms just as well.
   */
  async warmUp(rounds = 20): Promise<void> {
    const one = () => this.pool.request({ path: '/healthz', method: 'GET', idempotent: false, signal: AbortSignal.timeout(5000) }).then((r) => r.body.dump());
    for (let i = 0; i < rounds; i++) await Promise.all(Array.from({ length: this.options.connections }, one));
  }

  /** Stops sending: what waits is dropped, what is in flight is left to finish or time out. */
  stop(): void {
    this.closed = true;
    const now = this.options.clock.now();
    for (let w = this.waiting.shift(); w !== undefined; w = this.waiting.shift()) {
      this.stats.dropped++;
      this.options.onAttemptDropped?.(w.request, w.token, 'stopped', now);
    }
  }

  async close(): Promise<void> {
    this.stop();
    await this.pool.destroy();
  }

  /** Writes an attempt now; its deadline counts from when its send was asked for. */
  private dispatch(request: WalletRequest, target: ReplyTarget, token: number, queuedAtMs: number, now: number): void {
    this.inFlight++;
    this.stats.sent++;
    const deadlineMs = queuedAtMs + this.options.timeoutMs;
    const handler = new AttemptHandler(this, request, target, token, now, deadlineMs);
    let options: Dispatcher.DispatchOptions;
    if (request.kind === 'balance') {
      options = { path: `/wallet/balance/${encodeURIComponent(request.playerId)}`, method: 'GET', idempotent: false };
    } else {
      const headers: string[] = ['content-type', 'application/json'];
      if (request.opRef !== undefined) headers.push(OP_REF_HEADER, String(request.opRef));
      options = { path: MONEY_PATHS[request.kind], method: 'POST', idempotent: false, headers, body: encodeMoneyRequest(request, this.options.txIdPrefix) };
    }
    if (deadlineMs >= this.lastDeadlineMs) {
      this.deadlines.push(handler);
      this.lastDeadlineMs = deadlineMs;
      if (this.deadlineTimer === undefined) this.armDeadline(deadlineMs);
    } else {
      // Asked for before an attempt already in flight (a caller that did not keep to the order
      // in TransportFlow): behind it in `deadlines` it would be aborted late, so a timer of its own.
      armOwnTimer(handler, deadlineMs - now);
    }
    this.pool.dispatch(options, handler);
  }

  private armDeadline(atMs: number): void {
    // One timer at most: an attempt aborted inside expire() ends at once, frees its connection
    // and dispatches a waiting send, which arms the timer before expire() re-arms it.
    clearTimeout(this.deadlineTimer);
    // Past what a node timer holds it wakes early, finds the head not due and waits again.
    this.deadlineTimer = setTimeout(this.expire, Math.min(MAX_TIMER_MS, Math.max(0, atMs - this.options.clock.now())));
  }

  /** Aborts every attempt past its deadline, then waits for the next one's. */
  private readonly expire = (): void => {
    this.deadlineTimer = undefined;
    const now = this.options.clock.now();
    for (;;) {
      const head = this.deadlines.peek();
      if (head === undefined) return;
      if (!head.done && head.deadlineMs > now) return this.armDeadline(head.deadlineMs);
      this.deadlines.shift();
      if (!head.done) head.timeout();
    }
  };

  /** Called once per dispatched attempt, whatever its end, before anything else is done with it. */
  private finished(now: number): void {
    this.inFlight--;
    // Drop the ended attempts at the head, so the list holds only what may still time out;
    // with nothing left in flight the timer goes too, and does not keep the process alive.
    const deadlines = this.deadlines;
    while (deadlines.peek()?.done === true) deadlines.shift();
    if (deadlines.length === 0 && this.deadlineTimer !== undefined) {
      clearTimeout(this.deadlineTimer);
      this.deadlineTimer = undefined;
    }
    while (!this.closed && this.inFlight < this.options.connections) {
      // The oldest ask goes first, held attempt or waiting send: dispatches stay in the order
      // they were asked for, and so do their deadlines (see `deadlines`).
      const heldAtMs = this.held === undefined ? Infinity : this.held.oldestAtMs();
      if (heldAtMs < (this.waiting.peek()?.queuedAtMs ?? Infinity)) {
        this.held!.sendOldest();
        continue;
      }
      const next = this.waiting.shift();
      if (next === undefined) return;
      if (now - next.queuedAtMs >= this.options.timeoutMs) {
        this.stats.dropped++;
        this.options.onAttemptDropped?.(next.request, next.token, 'waited-past-timeout', now);
        continue;
      }
      this.stats.late++;
      this.dispatch(next.request, next.target, next.token, next.queuedAtMs, now);
    }
  }

  /** An attempt's answer arrived: its connection takes the next send first, then the answer is read. */
  answered(handler: AttemptHandler, status: number, body: Buffer): void {
    const { clock, responseLoss, rng } = this.options;
    const now = clock.now();
    this.finished(now);
    const response = decodeResponseBytes(status, body);
    if (response === undefined) return this.unreadable(handler.request, status, body, now);
    this.stats.lastAnswerAtMs = now;
    if (responseLoss !== undefined && isActive(responseLoss, now) && rng.next() < responseLoss.rate) {
      this.stats.responsesLost++;
      this.options.onAnswerLost?.(handler.request, handler.token, response, now);
      return;
    }
    if (response.replay === true) this.stats.replays++;
    this.onSentLatency(now - handler.sentAtMs);
    handler.target.replied(handler.token, response);
  }

  /** An answer without a result code: no answer to the provider, whose attempt times out. */
  private unreadable(request: WalletRequest, status: number, body: Buffer, now: number): void {
    const s = this.stats;
    if (s.unreadable++ === 0) {
      s.firstUnreadableAtMs = now;
      s.unreadableExample = describeAnswer(request, status, body);
    }
    s.lastUnreadableAtMs = now;
  }

  failed(handler: AttemptHandler, error: Error & { code?: string }): void {
    const now = this.options.clock.now();
    this.finished(now);
    if (handler.timedOut) {
      this.stats.aborted++;
      return;
    }
    // Once stopped, a failure is the transport's own teardown (its pool destroyed), not the target's.
    if (!this.closed) {
      this.stats.lastConnectionErrorAtMs = now;
      this.stats.lastConnectionError = error.code ?? error.message;
    }
    if (error.code !== undefined && REFUSED_CODES.has(error.code)) {
      // Nothing reached the wallet: a definite "not decided", which providers retry.
      this.stats.refused++;
      handler.target.replied(handler.token, { code: 'TEMPORARY_ERROR', message: `connection failed: ${error.code}` });
      return;
    }
    this.stats.socketErrors++;
  }
}

/** An answer as people read it: the request line, the status, and the body's first bytes. */
function describeAnswer(request: WalletRequest, status: number, body: Buffer): string {
  const line = request.kind === 'balance' ? `GET /wallet/balance/${encodeURIComponent(request.playerId)}` : `POST ${MONEY_PATHS[request.kind]}`;
  if (body.length === 0) return `${line} answered ${status} with an empty body`;
  const head = body.subarray(0, 60).toString('utf8').replace(/\s+/g, ' ');
  return `${line} answered ${status} ${JSON.stringify(head)}${body.length > 60 ? ' ...' : ''}`;
}

const TIMEOUT = new Error('attempt timed out');
/** The attempt's own deadline, in steps a node timer can hold (see MAX_TIMER_MS: provider.timeoutMs may be weeks). */
const armOwnTimer = (handler: AttemptHandler, delayMs: number): void => {
  const step = Math.min(MAX_TIMER_MS, Math.max(0, delayMs));
  handler.ownTimerLeftMs = delayMs - step;
  handler.ownTimer = setTimeout(expireOne, step, handler);
};
const expireOne = (handler: AttemptHandler): void => {
  if (handler.done) return;
  if (handler.ownTimerLeftMs > 0) armOwnTimer(handler, handler.ownTimerLeftMs);
  else handler.timeout();
};
const EMPTY = Buffer.alloc(0);

/**
 * One attempt in flight: undici's handler callbacks, with no closure per request. These are
 * the handler methods undici calls itself (onConnect, onHeaders, ...): the newer
 * onRequestStart/onResponse* ones are adapted to them by a wrapper object, a controller object
 * and a parse of the response headers per request, which the generator does not need and which
 * took 3-4% of its CPU time in profiles.
 */
class AttemptHandler implements Dispatcher.DispatchHandler {
  timedOut = false;
  /** The attempt ended (answered, failed or aborted); undici may still report an abort after the end. */
  done = false;
  /** Its own deadline timer, when it could not join the transport's ordered ones. */
  ownTimer: NodeJS.Timeout | undefined;
  /** What its own deadline still has to wait once ownTimer fires (0 but for deadlines weeks away). */
  ownTimerLeftMs = 0;
  private abort: ((error?: Error) => void) | undefined;
  private status = 0;
  /** The body as it came: nearly always one chunk, so an array is made only for a second. */
  private body: Buffer | Buffer[] | undefined;

  constructor(
    private readonly transport: HttpTransport,
    readonly request: WalletRequest,
    readonly target: ReplyTarget,
    readonly token: number,
    readonly sentAtMs: number,
    readonly deadlineMs: number,
  ) {}

  timeout(): void {
    this.timedOut = true;
    this.abort?.(TIMEOUT);
  }

  onConnect(abort: (error?: Error) => void): void {
    this.abort = abort;
    if (this.timedOut) abort(TIMEOUT);
  }

  onHeaders(statusCode: number): boolean {
    this.status = statusCode;
    return true;
  }

  onData(chunk: Buffer): boolean {
    const body = this.body;
    if (body === undefined) this.body = chunk;
    else if (Array.isArray(body)) body.push(chunk);
    else this.body = [body, chunk];
    return true;
  }

  onComplete(): void {
    if (this.done) return;
    this.done = true;
    if (this.ownTimer !== undefined) clearTimeout(this.ownTimer);
    const body = this.body;
    this.transport.answered(this, this.status, body === undefined ? EMPTY : Array.isArray(body) ? Buffer.concat(body) : body);
  }

  onError(error: Error): void {
    if (this.done) return;
    this.done = true;
    if (this.ownTimer !== undefined) clearTimeout(this.ownTimer);
    this.transport.failed(this, error);
  }
}
