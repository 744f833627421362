import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { PlayerAccount } from '../../domain/ledger.js';
import type { OpKind, WalletRequest } from '../../domain/operations.js';
import type { RefusalLog } from '../../domain/refusals.js';
import type { WalletResponse } from '../../domain/results.js';
import type { WalletModel } from '../../models/config.js';
import type { Exchange } from '../../ports/transport.js';
import { decodeUtf8Strict } from '../../util/utf8.js';
import type { KafkaBackbone } from '../kafka/backbone.js';
import type { RealClock } from '../real-clock.js';
import type { RouteName, ServerMetrics } from './metrics.js';
import { decodeMoneyRequest, MAX_BODY_BYTES, OP_REF_HEADER, statusFor, toWireEntry, toWireRefusal } from './protocol.js';
import { pageRows, type Page, type Refusal, type Target } from './routes.js';

/** What the handler reads of the wallet's live figures (see LiveProbe). */
export interface LiveFigures {
  readonly queue: number;
  readonly lagMs: number;
  readonly refusals: RefusalLog;
}

export interface WalletHandlerDeps {
  readonly model: string;
  readonly wallet: WalletModel;
  readonly live: LiveFigures;
  readonly clock: RealClock;
  readonly metrics: ServerMetrics;
  readonly players: readonly PlayerAccount[];
  readonly audit: boolean;
  readonly kafka: KafkaBackbone | undefined;
}

/** One request handed to the wallet model, answered on its response when the model is done. */
class HttpExchange implements Exchange {
  constructor(
    readonly request: WalletRequest,
    private readonly res: ServerResponse,
    private readonly route: RouteName,
    private readonly startedMs: number,
    private readonly handler: WalletHandler,
  ) {}

  reply(response: WalletResponse): void {
    this.handler.answer(this.res, this.route, this.startedMs, response);
  }
}

/**
 * The wallet's routes over HTTP (docs/protocol.md): money operations decoded and handed to the
 * model, reads answered from its ledger and live figures, every answer counted in the metrics.
 * Hostile input gets a 4xx and a result code and never reaches the ledger.
 */
export class WalletHandler {
  /**
   * Set once the server begins to close: every answer from then on closes its connection, so that
   * a keep-alive client stops sending on it instead of being cut off at the end of the grace time.
   */
  shuttingDown = false;
  private readonly accounts: ReadonlySet<string>;

  constructor(private readonly deps: WalletHandlerDeps) {
    this.accounts = new Set(deps.players.map((p) => p.id));
  }

  send(res: ServerResponse, route: RouteName, startedMs: number, status: number, body: string, code: string, replay = false, close = false): void {
    this.deps.metrics.answered(route, code, (performance.now() - startedMs) / 1000, replay);
    if (res.destroyed || res.writableEnded) return;
    const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    if (close || this.shuttingDown) headers.connection = 'close';
    if (status === 503) headers['retry-after'] = '1';
    res.writeHead(status, headers);
    res.end(body);
  }

  refuse(res: ServerResponse, route: RouteName, startedMs: number, status: number, message: string, close = false): void {
    this.send(res, route, startedMs, status, JSON.stringify({ code: 'INVALID_REQUEST', message }), 'INVALID_REQUEST', false, close);
  }

  answer(res: ServerResponse, route: RouteName, startedMs: number, response: WalletResponse): void {
    this.send(res, route, startedMs, statusFor(response), JSON.stringify(response), response.code, response.replay === true);
  }

  /** A refusal decided on the request's head: its body, if any, is drained unread. */
  refuseHead(req: IncomingMessage, res: ServerResponse, startedMs: number, refusal: Refusal, close: boolean): void {
    req.resume();
    if (refusal.allow !== undefined) res.setHeader('allow', refusal.allow);
    this.refuse(res, refusal.route, startedMs, refusal.status, refusal.message, close);
  }

  /** A refusal before the body is read: the body is drained and the connection closed after the answer. */
  refuseUnread(req: IncomingMessage, res: ServerResponse, route: RouteName, startedMs: number, status: number, message: string): void {
    req.resume();
    this.refuse(res, route, startedMs, status, message, true);
  }

  serve(req: IncomingMessage, res: ServerResponse, target: Target, startedMs: number): void {
    // Upgrade is ignored (RFC 9110 §7.8): the request is answered as it is. Node stops reading the
    // connection's bytes after such a request, so one pipelined behind it would never be answered:
    // close the connection after the answer instead.
    if (req.headers.upgrade !== undefined) res.setHeader('connection', 'close');
    if (target.to === 'refused') return this.refuseHead(req, res, startedMs, target.refusal, target.refusal.close === true);
    if (target.to === 'money') return this.money(req, res, target.kind, startedMs);
    // Everything below is a read: a body, if any, is drained and ignored.
    req.resume();
    switch (target.to) {
      case 'balance':
        return this.deps.wallet.handle(new HttpExchange({ kind: 'balance', playerId: target.playerId }, res, 'balance', startedMs, this));
      case 'transactions':
        return this.transactions(res, startedMs, target.page, target.playerId);
      case 'refusals':
        return this.refusals(res, startedMs, target.page);
      case 'balances':
        return this.balances(res, startedMs, target.page);
      case 'healthz':
        return this.send(res, 'other', startedMs, 200, this.health(), 'OK');
      case 'metrics':
        return this.metricsText(res, startedMs);
    }
  }

  /** A money operation whose head targetOf let through: its body is read and decoded here. */
  private money(req: IncomingMessage, res: ServerResponse, kind: OpKind, startedMs: number): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        over = true;
        this.refuse(res, kind, startedMs, 413, `the body is over ${MAX_BODY_BYTES} bytes`, true);
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
        return this.refuse(res, kind, startedMs, 400, 'the body is not valid JSON in UTF-8');
      }
      const opRef = req.headers[OP_REF_HEADER];
      const decoded = decodeMoneyRequest(kind, body, typeof opRef === 'string' ? opRef : undefined);
      if (!decoded.ok) return this.refuse(res, kind, startedMs, 400, decoded.message);
      this.deps.wallet.handle(new HttpExchange(decoded.request, res, kind, startedMs, this));
    });
  }

  /** GET /wallet/transactions[/:playerId]: a page of the audit log, all players' or one's. */
  private transactions(res: ServerResponse, startedMs: number, page: Page, playerId: string | undefined): void {
    const entries = this.deps.wallet.ledger.journal;
    let slice;
    let next: number | null;
    if (playerId === undefined) {
      const rows = pageRows(entries.length, page);
      slice = entries.slice(rows.from, rows.to);
      next = rows.next;
    } else {
      if (!this.accounts.has(playerId)) return this.answer(res, 'transactions', startedMs, { code: 'PLAYER_NOT_FOUND' });
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
    const epochMs = this.deps.clock.epochMs;
    const body = JSON.stringify({ transactions: slice.map((e) => toWireEntry(e, epochMs)), next, lastSeq: entries.length - 1 });
    this.send(res, 'transactions', startedMs, 200, body, 'OK');
  }

  /** GET /wallet/refusals: a page of the operations accepted and refused when applied. */
  private refusals(res: ServerResponse, startedMs: number, page: Page): void {
    const list = this.deps.live.refusals;
    const { from, to, next } = pageRows(list.length, page);
    const epochMs = this.deps.clock.epochMs;
    const body = JSON.stringify({ refusals: list.slice(from, to).map((r) => toWireRefusal(r, epochMs)), next, lastSeq: list.length - 1 });
    this.send(res, 'refusals', startedMs, 200, body, 'OK');
  }

  /** GET /wallet/balances: a page of the players' settled balances. */
  private balances(res: ServerResponse, startedMs: number, page: Page): void {
    const { players, wallet } = this.deps;
    const { from, to, next } = pageRows(players.length, page);
    const balances = players.slice(from, to).map((p) => ({ playerId: p.id, balance: wallet.ledger.balanceOf(p.id) ?? 0, currency: p.currency }));
    this.send(res, 'balances', startedMs, 200, JSON.stringify({ balances, next }), 'OK');
  }

  /** GET /healthz: the body. */
  private health(): string {
    const { wallet, live, kafka } = this.deps;
    return JSON.stringify({
      status: 'ok',
      model: this.deps.model,
      // Idle means every accepted operation is applied or refused by now: `load` counts one in
      // neither as lost. busy() counts the record a consumer is applying, out of the backlog.
      busy: wallet.busy(),
      queueDepth: live.queue,
      logLagMs: Math.round(live.lagMs * 1000) / 1000,
      logBacklog: wallet.backlog(),
      entries: wallet.ledger.journal.length,
      audit: this.deps.audit,
      ...(kafka !== undefined && { consumerCrashes: kafka.log.stats.consumerCrashes, deadLetters: kafka.log.stats.deadLetters, kafka: kafka.health() }),
    });
  }

  /** GET /metrics: Prometheus text. */
  private metricsText(res: ServerResponse, startedMs: number): void {
    const { metrics } = this.deps;
    metrics.text().then(
      (text) => {
        if (res.destroyed) return;
        if (this.shuttingDown) res.setHeader('connection', 'close');
        res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text) });
        res.end(text);
      },
      () => this.send(res, 'other', startedMs, 500, JSON.stringify({ code: 'TEMPORARY_ERROR', message: 'metrics failed' }), 'TEMPORARY_ERROR'),
    );
  }
}
