import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { performance } from 'node:perf_hooks';
import type { ServerMetrics } from './metrics.js';
import { hostMissing, MONEY_ROUTES, pathOf, rawRefusal, targetOf } from './routes.js';
import type { WalletHandler } from './wallet-handler.js';

/** A socket node hands over (CONNECT) is closed after its answer; one whose client does not close it is cut off after this. */
const HANDED_OVER_LINGER_MS = 1000;

/**
 * What node answers on its own at the edges of HTTP, answered in the protocol instead (a JSON body
 * with a result code): broken HTTP, Expect, CONNECT. Without these listeners node answers with
 * empty bodies, invites bodies it then drains, or drops the connection without an answer.
 */
export function guardProtocolEdges(server: Server, handler: WalletHandler, metrics: ServerMetrics, audit: boolean): void {
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
    if (target.to === 'refused') return handler.refuseHead(req, res, startedMs, target.refusal, true);
    res.writeContinue();
    handler.serve(req, res, target, startedMs);
  });
  // Any other Expect: node's default is an empty 417. The body, if sent, is not read; the connection is closed.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const startedMs = performance.now();
    const route = MONEY_ROUTES[pathOf(req.url)] ?? 'other';
    if (hostMissing(req)) return handler.refuseUnread(req, res, route, startedMs, 400, 'an HTTP/1.1 request must have a Host header');
    const expect = String(req.headers.expect);
    const shown = expect.length > 64 ? `${expect.slice(0, 64)}...` : expect;
    handler.refuseUnread(req, res, route, startedMs, 417, `the Expect header (${JSON.stringify(shown)}) is not supported; only 100-continue is`);
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
}
