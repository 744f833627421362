/**
 * The wallet's records on Kafka (docs/protocol.md, "Kafka"): commands on `wallet.commands`,
 * keyed by playerId, whose value is the HTTP body of the operation plus its `op`; results on
 * `wallet.results`; dead letters on `wallet.commands.dlq`. Both sides of every topic use this
 * file, so a producer and the consumer cannot drift apart.
 */
import type { IHeaders, KafkaMessage } from 'kafkajs';
import type { BetRequest, MoneyRequest, OpKind } from '../../domain/operations.js';
import { RESULT_CODES, type ResultCode, type WalletResponse } from '../../domain/results.js';
import type { HybridRecord } from '../../models/hybrid.js';
import { decodeMoneyRequest, encodeMoneyRequest, OP_REF_HEADER, parseOpRef } from '../http/protocol.js';

/** A record that cannot be applied is refused with this; the reason goes to the DLQ. */
export type DecodedRecord<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export interface EncodedRecord {
  readonly value: string;
  readonly headers?: IHeaders;
}

/** How one log's records look on the wire: what the API appends and what a consumer applies. */
export interface RecordCodec<T> {
  encode(value: T): EncodedRecord;
  decode(message: Pick<KafkaMessage, 'value' | 'headers'>): DecodedRecord<T>;
}

/** Above this a record is refused unread, as the HTTP API refuses a body over 64 KiB. */
const MAX_RECORD_BYTES = 64 * 1024;
const OPS: ReadonlySet<string> = new Set(['bet', 'win', 'rollback']);

/**
 * A money request as a command record: the HTTP body with its `op`, and the op ref as a field
 * (`opRef`) rather than a header: a header costs kafkajs two buffers per record on both sides,
 * a measurable share of a producer's CPU at tens of thousands of records per second.
 */
export function encodeCommand(request: MoneyRequest, txIdPrefix = ''): EncodedRecord {
  const body = encodeMoneyRequest(request, txIdPrefix);
  const opRef = request.opRef === undefined ? '' : `,"opRef":${request.opRef}`;
  return { value: `{"op":"${request.kind}",${body.slice(1, -1)}${opRef}}` };
}

function parseJson(message: Pick<KafkaMessage, 'value'>): DecodedRecord<Record<string, unknown>> {
  const raw = message.value;
  if (raw === null || raw.length === 0) return { ok: false, reason: 'the record has no value' };
  if (raw.length > MAX_RECORD_BYTES) return { ok: false, reason: `the value is over ${MAX_RECORD_BYTES} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(raw.toString('utf8'));
  } catch {
    return { ok: false, reason: 'the value is not valid JSON' };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return { ok: false, reason: 'the value is not a JSON object' };
  return { ok: true, value: json as Record<string, unknown> };
}

function header(headers: IHeaders | undefined, name: string): string | undefined {
  const h = headers?.[name];
  if (h === undefined) return undefined;
  const one = Array.isArray(h) ? h[0] : h;
  return one === undefined ? undefined : one.toString();
}

/** The op ref as a field of the value (walletstorm's producers), as the header's decimal text. */
function opRefField(value: Record<string, unknown>): string | undefined {
  return typeof value.opRef === 'number' ? String(value.opRef) : undefined;
}

/** A command record to a money request, validated exactly as the HTTP API validates a body. */
export function decodeCommand(message: Pick<KafkaMessage, 'value' | 'headers'>): DecodedRecord<MoneyRequest> {
  const parsed = parseJson(message);
  if (!parsed.ok) return parsed;
  const op = parsed.value.op;
  if (typeof op !== 'string' || !OPS.has(op)) return { ok: false, reason: 'op: must be "bet", "win" or "rollback"' };
  const decoded = decodeMoneyRequest(op as OpKind, parsed.value, header(message.headers, OP_REF_HEADER) ?? opRefField(parsed.value));
  return decoded.ok ? { ok: true, value: decoded.request } : { ok: false, reason: decoded.message };
}

/** The event-driven wallet's log: plain commands. */
export const commandCodec: RecordCodec<MoneyRequest> = {
  encode: (request) => encodeCommand(request),
  decode: decodeCommand,
};

/**
 * The hybrid wallet's log: the post of a reservation made at the API (op "post", with the
 * reservation's key), or a command to apply. A bet produced straight to the log by another
 * client has no reservation and is applied as a plain debit.
 */
export const hybridCodec: RecordCodec<HybridRecord> = {
  encode(record) {
    if (record.kind === 'apply') return encodeCommand(record.request);
    const { value } = encodeCommand(record.request);
    return { value: `{"op":"post","key":${JSON.stringify(record.key)},${value.slice(value.indexOf(',') + 1)}` };
  },
  decode(message) {
    const parsed = parseJson(message);
    if (!parsed.ok) return parsed;
    if (parsed.value.op !== 'post') {
      const command = decodeCommand(message);
      return command.ok ? { ok: true, value: { kind: 'apply', request: command.value } } : command;
    }
    const key = parsed.value.key;
    if (typeof key !== 'string' || key.length === 0 || key.length > 300) return { ok: false, reason: 'key: a post needs its reservation key' };
    const bet = decodeMoneyRequest('bet', parsed.value, header(message.headers, OP_REF_HEADER) ?? opRefField(parsed.value));
    if (!bet.ok) return { ok: false, reason: bet.message };
    return { ok: true, value: { kind: 'post', key, request: bet.request as BetRequest } };
  },
};

/** What the wallet publishes on `wallet.results` after applying a command. */
export interface ResultRecord {
  readonly txId: string;
  readonly op: OpKind;
  readonly playerId: string;
  readonly code: ResultCode;
  readonly replay?: boolean;
  readonly balance?: number;
  readonly opRef?: number;
  /** When the ledger applied it, ms since the Unix epoch (sub-millisecond precision). */
  readonly appliedAtEpochMs: number;
}

/** Written by hand, field by field: one per applied command, on the wallet's hot path. */
export function encodeResult(request: MoneyRequest, response: WalletResponse, appliedAtEpochMs: number): string {
  let out = `{"txId":${JSON.stringify(request.txId)},"op":"${request.kind}","playerId":${JSON.stringify(request.playerId)},"code":"${response.code}"`;
  if (response.replay === true) out += ',"replay":true';
  if (response.balance !== undefined) out += `,"balance":${response.balance}`;
  if (request.opRef !== undefined) out += `,"opRef":${request.opRef}`;
  return `${out},"appliedAtEpochMs":${Math.round(appliedAtEpochMs * 1000) / 1000}}`;
}

const CODES: ReadonlySet<string> = new Set(RESULT_CODES);

/** A result record back, or undefined for one that is not walletstorm's (it is skipped). */
export function decodeResult(value: Buffer | null): ResultRecord | undefined {
  if (value === null) return undefined;
  let r: Partial<ResultRecord>;
  try {
    r = JSON.parse(value.toString('utf8')) as Partial<ResultRecord>;
  } catch {
    return undefined;
  }
  if (typeof r !== 'object' || r === null) return undefined;
  if (typeof r.txId !== 'string' || typeof r.code !== 'string' || !CODES.has(r.code) || typeof r.appliedAtEpochMs !== 'number') return undefined;
  if (typeof r.op !== 'string' || !OPS.has(r.op) || typeof r.playerId !== 'string') return undefined;
  return { ...r, opRef: typeof r.opRef === 'number' ? r.opRef : parseOpRef(String(r.opRef ?? '')) } as ResultRecord;
}

/** Of the original value, a dead letter keeps this much (and says how long it was). */
const DEAD_LETTER_VALUE_BYTES = 4096;

/**
 * A dead letter: the reason, where the record came from, and its bytes as they were (the first
 * 4 KiB as text, and the full length): a poison record of any size still fits in one.
 */
export function encodeDeadLetter(reason: string, origin: { topic: string; partition: number; offset: string }, message: Pick<KafkaMessage, 'key' | 'value'>): EncodedRecord {
  const value = message.value;
  const truncated = value !== null && value.length > DEAD_LETTER_VALUE_BYTES;
  return {
    value: JSON.stringify({
      reason,
      topic: origin.topic,
      partition: origin.partition,
      offset: origin.offset,
      key: message.key?.subarray(0, 256).toString('utf8') ?? null,
      value: value === null ? null : value.subarray(0, DEAD_LETTER_VALUE_BYTES).toString('utf8'),
      valueBytes: value?.length ?? 0,
      ...(truncated && { truncated: true }),
    }),
    headers: { 'walletstorm-dlq-reason': reason, 'walletstorm-dlq-origin': `${origin.topic}/${origin.partition}@${origin.offset}` },
  };
}
