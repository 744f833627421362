import type { IncomingMessage } from 'node:http';
import { MAX_ID_UNITS, type OpKind } from '../../domain/operations.js';
import type { RouteName } from './metrics.js';
import { MAX_BODY_BYTES } from './protocol.js';

/**
 * Where a request goes, decided on its head (request line and headers) alone: a route of
 * docs/protocol.md, or the refusal it gets before any byte of its body is read.
 */

export const MONEY_ROUTES: Readonly<Record<string, OpKind>> = { '/wallet/bet': 'bet', '/wallet/win': 'win', '/wallet/rollback': 'rollback' };
const PAGE_LIMIT_MAX = 10_000;

export interface Page {
  readonly after: number;
  readonly limit: number;
}

/** A refusal the request's head (request line and headers) decides on its own, before any byte of its body. */
export interface Refusal {
  readonly route: RouteName;
  readonly status: number;
  readonly message: string;
  /** Close the connection after it, even without Expect: a body this large is not read. */
  readonly close?: boolean;
  /** The methods the path takes, for a 405. */
  readonly allow?: string;
}

/** What a request's head asks for, or the refusal it gets: decided before its body is read or, under Expect: 100-continue, invited. */
export type Target =
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

export function targetOf(req: IncomingMessage, audit: boolean): Target {
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
export function rawRefusal(status: number, reason: string, message: string, extraHeaders = ''): string {
  const body = JSON.stringify({ code: 'INVALID_REQUEST', message });
  return `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extraHeaders}connection: close\r\n\r\n${body}`;
}

/** HTTP/1.1 requires Host (RFC 9112 §3.2); HTTP/1.0 does not. */
export function hostMissing(req: IncomingMessage): boolean {
  return req.httpVersion === '1.1' && req.headers.host === undefined;
}

export function pathOf(url: string | undefined): string {
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
export function pageRows(length: number, page: Page): { from: number; to: number; next: number | null } {
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

