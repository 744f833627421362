/**
 * The wallet protocol over HTTP/1.1 + JSON (docs/protocol.md), as code: request bodies and their
 * validation, status codes for result codes, the audit entry format. The server and the client
 * both use this file, so the two sides cannot drift apart.
 */
import { z } from 'zod';
import type { LedgerEntry } from '../../domain/ledger.js';
import type { MoneyRequest, OpKind } from '../../domain/operations.js';
import { RESULT_CODES, type ResultCode, type WalletResponse } from '../../domain/results.js';

/** Bodies above this are refused with 413 before they are read. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Carries the logical operation an attempt belongs to; the wallet stores it with the entry. */
export const OP_REF_HEADER = 'walletstorm-op-ref';

export const MONEY_PATHS = { bet: '/wallet/bet', win: '/wallet/win', rollback: '/wallet/rollback' } as const satisfies Record<OpKind, string>;

const id = z.string().min(1).max(256);
const minorUnits = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

const betBody = z.object({ txId: id, playerId: id, roundId: id, amount: minorUnits.min(1), currency: id });
const winBody = z.object({ txId: id, betTxId: id, playerId: id, roundId: id, amount: minorUnits, currency: id });
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
 */
export function encodeMoneyRequest(request: MoneyRequest, txIdPrefix = ''): string {
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

export function toWireEntry(entry: LedgerEntry, clockEpochMs: number): WireEntry {
  const epochMs = clockEpochMs + entry.appliedAtMs;
  return {
    seq: entry.seq,
    txId: entry.txId,
    type: entry.kind,
    playerId: entry.playerId,
    amount: Math.abs(entry.delta),
    ...(entry.refTxId === undefined ? {} : { refTxId: entry.refTxId }),
    ...(entry.opRef === undefined ? {} : { opRef: String(entry.opRef) }),
    appliedAt: new Date(epochMs).toISOString(),
    appliedAtEpochMs: Math.round(epochMs * 1000) / 1000,
  };
}

const wireEntry = z.object({
  seq: z.number().int().min(0),
  txId: z.string(),
  type: z.enum(['bet', 'win', 'rollback']),
  playerId: z.string(),
  amount: minorUnits,
  refTxId: z.string().optional(),
  opRef: z.union([z.string(), z.number()]).optional(),
  appliedAt: z.string(),
  appliedAtEpochMs: z.number().optional(),
});

export const transactionsPage = z.object({
  transactions: z.array(wireEntry),
  /** Pass as `after` to get the next page; null when this page reached the end. */
  next: z.number().int().nullable(),
  /** seq of the newest entry in the whole log (-1 when empty), so a client can mark where it starts. */
  lastSeq: z.number().int(),
});

export type TransactionsPage = z.output<typeof transactionsPage>;

export const balancesPage = z.object({
  balances: z.array(z.object({ playerId: z.string(), balance: z.number(), currency: z.string() })),
  next: z.number().int().nullable(),
});

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
