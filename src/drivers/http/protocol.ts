/**
 * The wallet protocol over HTTP/1.1 + JSON (docs/protocol.md), as code: request bodies and their
 * validation, status codes for result codes, the audit entry format. The server and the client
 * both use this file, so the two sides cannot drift apart.
 */
import { z } from 'zod';
import type { LedgerEntry } from '../../domain/ledger.js';
import type { Refusal } from '../../domain/refusals.js';
import { MAX_ID_UNITS, type MoneyRequest, type OpKind } from '../../domain/operations.js';
import { RESULT_CODES, type ResultCode, type WalletResponse } from '../../domain/results.js';

/** Bodies above this are refused with 413 before they are read. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Carries the logical operation an attempt belongs to; the wallet stores it with the entry. */
export const OP_REF_HEADER = 'walletstorm-op-ref';

export const MONEY_PATHS = { bet: '/wallet/bet', win: '/wallet/win', rollback: '/wallet/rollback' } as const satisfies Record<OpKind, string>;

// The ledger's limit, counted as it counts (zod's max counts code points: an emoji is one).
const id = z.string().min(1).refine((s) => s.length <= MAX_ID_UNITS, `at most ${MAX_ID_UNITS} UTF-16 code units`);
const minorUnits = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/**
 * An amount as the ledger requires it, in one check with one message that says so: chained
 * checks (int, min(0), then a bet's min(1)) reported the first that failed, and a bet of -5 was
 * refused as "expected number to be >=0", though a bet needs at least 1.
 */
const amount = (least: 0 | 1, what: string) =>
  z.number().refine((n) => Number.isSafeInteger(n) && n >= least, `must be ${what} (minor units, ${least} to ${Number.MAX_SAFE_INTEGER})`);

const betBody = z.object({ txId: id, playerId: id, roundId: id, amount: amount(1, 'a positive safe integer'), currency: id });
const winBody = z.object({ txId: id, betTxId: id, playerId: id, roundId: id, amount: amount(0, 'a safe integer >= 0'), currency: id });
const rollbackBody = z.object({ txId: id, refTxId: id, playerId: id });

const BODIES = { bet: betBody, win: winBody, rollback: rollbackBody } as const;

export type Decoded = { readonly ok: true; readonly request: MoneyRequest } | { readonly ok: false; readonly message: string };

/**
 * A parsed JSON body to a request, or why not. Unknown fields are ignored (as most wallet APIs
 * do), so a provider may send more than walletstorm needs. The op ref comes from the header.
 */
export function decodeMoneyRequest(kind: OpKind, body: unknown, opRefHeader: string | undefined): Decoded {
  const parsed = BODIES[kind].safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length > 0 ? issue.path.join('.') : 'body';
    return { ok: false, message: `${where}: ${issue.message}` };
  }
  const opRef = parseOpRef(opRefHeader);
  const request = { kind, ...parsed.data } as MoneyRequest;
  return { ok: true, request: opRef === undefined ? request : { ...request, opRef } };
}

/** The op ref is a decimal integer; anything else is ignored (the audit then matches by txId). */
export function parseOpRef(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d{1,15}$/.test(value)) return undefined;
  return Number(value);
}

/**
 * The body the client sends for a request (the op ref travels in a header). Every txId gets the
 * run's prefix: the provider numbers its transactions from zero in every run, and a wallet that
 * served an earlier run would otherwise answer this run's bets as replays of that one's.
 *
 * Exactly what JSON.stringify writes for the object below, built by concatenation: this runs
 * once per attempt on the generator's hot path, and ids nearly never need escaping.
 */
export function encodeMoneyRequest(request: MoneyRequest, txIdPrefix = ''): string {
  const tx = txIdPrefix + request.txId;
  switch (request.kind) {
    case 'bet': {
      const { playerId, amount, currency } = request;
      const roundId = txIdPrefix + request.roundId;
      if (!plain(tx) || !plain(playerId) || !plain(roundId) || !plain(currency) || !Number.isFinite(amount)) break;
      return `{"txId":"${tx}","playerId":"${playerId}","roundId":"${roundId}","amount":${amount},"currency":"${currency}"}`;
    }
    case 'win': {
      const { playerId, amount, currency } = request;
      const betTxId = txIdPrefix + request.betTxId;
      const roundId = txIdPrefix + request.roundId;
      if (!plain(tx) || !plain(betTxId) || !plain(playerId) || !plain(roundId) || !plain(currency) || !Number.isFinite(amount)) break;
      return `{"txId":"${tx}","betTxId":"${betTxId}","playerId":"${playerId}","roundId":"${roundId}","amount":${amount},"currency":"${currency}"}`;
    }
    case 'rollback': {
      const { playerId } = request;
      const refTxId = txIdPrefix + request.refTxId;
      if (!plain(tx) || !plain(refTxId) || !plain(playerId)) break;
      return `{"txId":"${tx}","refTxId":"${refTxId}","playerId":"${playerId}"}`;
    }
  }
  // Something JSON.stringify would escape, or a field of another type than declared.
  return stringifyMoneyRequest(request, txIdPrefix);
}

/** encodeMoneyRequest by JSON.stringify: the definition the concatenation must match. */
export function stringifyMoneyRequest(request: MoneyRequest, txIdPrefix = ''): string {
  const tx = txIdPrefix + request.txId;
  switch (request.kind) {
    case 'bet':
      return JSON.stringify({ txId: tx, playerId: request.playerId, roundId: txIdPrefix + request.roundId, amount: request.amount, currency: request.currency });
    case 'win':
      return JSON.stringify({
        txId: tx,
        betTxId: txIdPrefix + request.betTxId,
        playerId: request.playerId,
        roundId: txIdPrefix + request.roundId,
        amount: request.amount,
        currency: request.currency,
      });
    case 'rollback':
      return JSON.stringify({ txId: tx, refTxId: txIdPrefix + request.refTxId, playerId: request.playerId });
  }
}

/** What JSON.stringify escapes in a string: control characters, the quote, the backslash, and surrogates (a lone one is escaped). */
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

/** A string that JSON.stringify writes as it is, between quotes. */
function plain(s: unknown): s is string {
  return typeof s === 'string' && !NEEDS_ESCAPE.test(s);
}

const STATUS: Readonly<Record<ResultCode, number>> = {
  OK: 200,
  INSUFFICIENT_FUNDS: 402,
  DUPLICATE_MISMATCH: 409,
  BET_NOT_FOUND: 404,
  BET_ROLLED_BACK: 409,
  ALREADY_SETTLED: 409,
  PLAYER_NOT_FOUND: 404,
  CURRENCY_MISMATCH: 422,
  INVALID_REQUEST: 400,
  TEMPORARY_ERROR: 503,
  OVERLOADED: 503,
};

/** 200 for an applied (or replayed) operation, 202 for one accepted for later settlement. */
export function statusFor(response: WalletResponse): number {
  if (response.code === 'OK' && response.accepted === true) return 202;
  return STATUS[response.code];
}

const CODES: ReadonlySet<string> = new Set(RESULT_CODES);

/**
 * The answer to an attempt, read from its body. An answer without a readable result code is
 * not an answer: whether the wallet applied the operation is unknown, so the caller treats it
 * as lost (the provider times out), except 429 and 503, which say nothing was decided.
 * Checked by hand, not with a schema: this runs once per answer on the generator's hot path.
 */
export function decodeResponse(status: number, body: string): WalletResponse | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    json = undefined;
  }
  const r = json as { code?: unknown; balance?: unknown; replay?: unknown; accepted?: unknown; message?: unknown } | null | undefined;
  if (typeof r === 'object' && r !== null && typeof r.code === 'string' && CODES.has(r.code)) {
    // Only the fields that are there: the report counts replays and acceptances from them.
    const out: { -readonly [K in keyof WalletResponse]: WalletResponse[K] } = { code: r.code as ResultCode };
    if (typeof r.balance === 'number') out.balance = r.balance;
    if (r.replay === true) out.replay = true;
    if (r.accepted === true || status === 202) out.accepted = true;
    if (typeof r.message === 'string') out.message = r.message;
    return out;
  }
  if (status === 429 || status === 503) return { code: 'OVERLOADED', message: `HTTP ${status} without a result code` };
  return undefined;
}

/**
 * decodeResponse on the body's bytes as they came off the socket. The wallet's answers are
 * small flat objects (`{"code":"OK","balance":99500}`): those are read here without making a
 * string of the body or parsing it into an object first. Anything else (whitespace, escapes,
 * fractions, nesting, non-ASCII, invalid JSON) goes through decodeResponse, so the result is
 * always the one decodeResponse gives for the body's text.
 */
export function decodeResponseBytes(status: number, body: Buffer): WalletResponse | undefined {
  const a = FLAT;
  if (!readFlatAnswer(body, a)) return decodeResponse(status, body.toString('utf8'));
  const code = a.codeStart < 0 ? undefined : resultCodeAt(body, a.codeStart, a.codeEnd);
  if (code !== undefined) {
    const out: { -readonly [K in keyof WalletResponse]: WalletResponse[K] } = { code };
    if (a.hasBalance) out.balance = a.balance;
    if (a.replay) out.replay = true;
    if (a.accepted || status === 202) out.accepted = true;
    if (a.messageStart >= 0) out.message = body.toString('latin1', a.messageStart, a.messageEnd);
    return out;
  }
  if (status === 429 || status === 503) return { code: 'OVERLOADED', message: `HTTP ${status} without a result code` };
  return undefined;
}

/** The fields of a flat answer that decodeResponse reads, as found by readFlatAnswer (the last of a repeated key wins, as in JSON.parse). */
interface FlatAnswer {
  /** Byte range of the code's string, or -1 when the code is absent or not a string. */
  codeStart: number;
  codeEnd: number;
  hasBalance: boolean;
  balance: number;
  replay: boolean;
  accepted: boolean;
  messageStart: number;
  messageEnd: number;
}

/** One scratch record: the reader runs to completion and its result is used at once. */
const FLAT: FlatAnswer = { codeStart: -1, codeEnd: -1, hasBalance: false, balance: 0, replay: false, accepted: false, messageStart: -1, messageEnd: -1 };

const QUOTE = 0x22;
const KEY_CODE = Buffer.from('code');
const KEY_BALANCE = Buffer.from('balance');
const KEY_REPLAY = Buffer.from('replay');
const KEY_ACCEPTED = Buffer.from('accepted');
const KEY_MESSAGE = Buffer.from('message');
const LITERAL_TRUE = Buffer.from('true');
const LITERAL_FALSE = Buffer.from('false');
const LITERAL_NULL = Buffer.from('null');
const CODE_BYTES: readonly (readonly [ResultCode, Buffer])[] = RESULT_CODES.map((c) => [c, Buffer.from(c)] as const);

function bytesEqual(b: Buffer, start: number, end: number, expected: Buffer): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (b[start + i] !== expected[i]) return false;
  return true;
}

function resultCodeAt(b: Buffer, start: number, end: number): ResultCode | undefined {
  for (const [code, bytes] of CODE_BYTES) if (bytesEqual(b, start, end, bytes)) return code;
  return undefined;
}

/** The end of a string whose opening quote is at i - 1 (the index of its closing quote), or -1 unless it is plain printable ASCII. */
function plainStringEnd(b: Buffer, i: number): number {
  for (; i < b.length; i++) {
    const c = b[i]!;
    if (c === QUOTE) return i;
    if (c < 0x20 || c === 0x5c || c >= 0x80) return -1;
  }
  return -1;
}

/**
 * Reads a JSON object of string, integer, true, false and null values with no whitespace into
 * `a`, or returns false for anything else (which is then left to JSON.parse). Integers of more
 * than 15 digits count as anything else, so that every number read here is exact.
 */
function readFlatAnswer(b: Buffer, a: FlatAnswer): boolean {
  a.codeStart = a.codeEnd = a.messageStart = a.messageEnd = -1;
  a.hasBalance = a.replay = a.accepted = false;
  a.balance = 0;
  const n = b.length;
  if (n < 2 || b[0] !== 0x7b) return false;
  let i = 1;
  if (b[i] === 0x7d) return n === 2;
  for (;;) {
    if (b[i] !== QUOTE) return false;
    const keyStart = i + 1;
    const keyEnd = plainStringEnd(b, keyStart);
    if (keyEnd < 0 || b[keyEnd + 1] !== 0x3a) return false;
    i = keyEnd + 2;
    const c = b[i];
    // The value: its kind, and for a string its range, for a number its value.
    let kind: 'string' | 'number' | 'true' | 'other';
    let start = -1;
    let end = -1;
    let value = 0;
    if (c === QUOTE) {
      start = i + 1;
      end = plainStringEnd(b, start);
      if (end < 0) return false;
      kind = 'string';
      i = end + 1;
    } else if (c === 0x74) {
      if (!bytesEqual(b, i, i + 4, LITERAL_TRUE)) return false;
      kind = 'true';
      i += 4;
    } else if (c === 0x66 || c === 0x6e) {
      if (!bytesEqual(b, i, i + 5, LITERAL_FALSE) && !bytesEqual(b, i, i + 4, LITERAL_NULL)) return false;
      kind = 'other';
      i += c === 0x66 ? 5 : 4;
    } else if (c === 0x2d || (c !== undefined && c >= 0x30 && c <= 0x39)) {
      const negative = c === 0x2d;
      if (negative) i++;
      const digitsStart = i;
      for (; i < n && b[i]! >= 0x30 && b[i]! <= 0x39; i++) value = value * 10 + (b[i]! - 0x30);
      const digits = i - digitsStart;
      if (digits === 0 || digits > 15 || (digits > 1 && b[digitsStart] === 0x30)) return false;
      // A fraction or an exponent: left to JSON.parse.
      if (b[i] === 0x2e || b[i] === 0x65 || b[i] === 0x45) return false;
      if (negative) value = -value;
      kind = 'number';
    } else {
      return false;
    }
    if (bytesEqual(b, keyStart, keyEnd, KEY_CODE)) {
      a.codeStart = kind === 'string' ? start : -1;
      a.codeEnd = kind === 'string' ? end : -1;
    } else if (bytesEqual(b, keyStart, keyEnd, KEY_BALANCE)) {
      a.hasBalance = kind === 'number';
      a.balance = value;
    } else if (bytesEqual(b, keyStart, keyEnd, KEY_REPLAY)) {
      a.replay = kind === 'true';
    } else if (bytesEqual(b, keyStart, keyEnd, KEY_ACCEPTED)) {
      a.accepted = kind === 'true';
    } else if (bytesEqual(b, keyStart, keyEnd, KEY_MESSAGE)) {
      a.messageStart = kind === 'string' ? start : -1;
      a.messageEnd = kind === 'string' ? end : -1;
    }
    const next = b[i];
    if (next === 0x7d) return i + 1 === n;
    if (next !== 0x2c) return false;
    i++;
  }
}

/** One applied entry as the audit endpoint lists it. */
export interface WireEntry {
  readonly seq: number;
  readonly txId: string;
  readonly type: OpKind;
  readonly playerId: string;
  /** Minor units moved, never negative: a bet debits it, a win or a rollback credits it. */
  readonly amount: number;
  readonly refTxId?: string;
  readonly opRef?: string;
  /** ISO 8601, UTC, millisecond precision. */
  readonly appliedAt: string;
  /** The same instant as milliseconds since the Unix epoch, with sub-millisecond precision. */
  readonly appliedAtEpochMs?: number;
}

/** An instant of the wallet's clock on the wire: ISO 8601 (UTC, ms) and epoch ms with sub-ms precision. */
function wireInstant(clockEpochMs: number, atMs: number): { readonly iso: string; readonly epochMs: number } {
  const epochMs = clockEpochMs + atMs;
  return { iso: new Date(epochMs).toISOString(), epochMs: Math.round(epochMs * 1000) / 1000 };
}

export function toWireEntry(entry: LedgerEntry, clockEpochMs: number): WireEntry {
  const at = wireInstant(clockEpochMs, entry.appliedAtMs);
  return {
    seq: entry.seq,
    txId: entry.txId,
    type: entry.kind,
    playerId: entry.playerId,
    amount: Math.abs(entry.delta),
    ...(entry.refTxId === undefined ? {} : { refTxId: entry.refTxId }),
    ...(entry.opRef === undefined ? {} : { opRef: String(entry.opRef) }),
    appliedAt: at.iso,
    appliedAtEpochMs: at.epochMs,
  };
}

/** What an audit entry and a refusal both carry: their place in their list and the operation. */
const wireRecord = z.object({
  seq: z.number().int().min(0),
  txId: z.string(),
  type: z.enum(['bet', 'win', 'rollback']),
  playerId: z.string(),
  opRef: z.union([z.string(), z.number()]).optional(),
});

const wireEntry = wireRecord.extend({
  amount: minorUnits,
  refTxId: z.string().optional(),
  appliedAt: z.string(),
  appliedAtEpochMs: z.number().optional(),
});

/** How the audit's lists are paged (transactions, refusals). */
const auditPaging = {
  /** Pass as `after` to get the next page; null when this page reached the end. */
  next: z.number().int().nullable(),
  /** seq of the newest record in the whole list (-1 when empty), so a client can mark where it starts. */
  lastSeq: z.number().int(),
};

export const transactionsPage = z.object({ transactions: z.array(wireEntry), ...auditPaging });

export type TransactionsPage = z.output<typeof transactionsPage>;

/** One settlement refusal as GET /wallet/refusals lists it: an accepted operation refused when applied. */
export interface WireRefusal {
  readonly seq: number;
  readonly txId: string;
  readonly type: OpKind;
  readonly playerId: string;
  readonly code: ResultCode;
  readonly opRef?: string;
  /** ISO 8601, UTC, millisecond precision, as an audit entry's appliedAt. */
  readonly refusedAt: string;
  readonly refusedAtEpochMs?: number;
}

export function toWireRefusal(refusal: Refusal, clockEpochMs: number): WireRefusal {
  const at = wireInstant(clockEpochMs, refusal.refusedAtMs);
  return {
    seq: refusal.seq,
    txId: refusal.txId,
    type: refusal.kind,
    playerId: refusal.playerId,
    code: refusal.code,
    ...(refusal.opRef === undefined ? {} : { opRef: String(refusal.opRef) }),
    refusedAt: at.iso,
    refusedAtEpochMs: at.epochMs,
  };
}

const wireRefusal = wireRecord.extend({
  code: z.enum(RESULT_CODES),
  refusedAt: z.string(),
  refusedAtEpochMs: z.number().optional(),
});

/** A page of GET /wallet/refusals: paged as the audit (`next`, `lastSeq`). */
export const refusalsPage = z.object({ refusals: z.array(wireRefusal), ...auditPaging });

export type RefusalsPage = z.output<typeof refusalsPage>;

export const balancesPage = z.object({
  balances: z.array(z.object({ playerId: z.string(), balance: z.number(), currency: z.string() })),
  next: z.number().int().nullable(),
});
export type BalancesPage = z.output<typeof balancesPage>;

/**
 * An entry from the wire back to the ledger's form, with its time on the given clock and the
 * run's txId prefix taken off (an entry without it was not sent by this run and stays as it is).
 */
export function fromWireEntry(e: z.output<typeof wireEntry>, clockEpochMs: number, opRef: number | undefined, txIdPrefix = ''): LedgerEntry {
  const epochMs = e.appliedAtEpochMs ?? Date.parse(e.appliedAt);
  const strip = (id: string) => (txIdPrefix !== '' && id.startsWith(txIdPrefix) ? id.slice(txIdPrefix.length) : id);
  return {
    seq: e.seq,
    txId: strip(e.txId),
    kind: e.type,
    playerId: e.playerId,
    delta: e.type === 'bet' ? -e.amount : e.amount,
    refTxId: e.refTxId === undefined ? undefined : strip(e.refTxId),
    opRef,
    appliedAtMs: epochMs - clockEpochMs,
  };
}
