import { describe, expect, it } from 'vitest';
import { commandCodec, decodeCommand, decodeResult, encodeCommand, encodeDeadLetter, encodeResult, hybridCodec } from '../src/drivers/kafka/codec.js';
import { parseBrokers, parseKafkaTarget, partitionerFor } from '../src/drivers/kafka/cluster.js';
import type { BetRequest, MoneyRequest } from '../src/domain/operations.js';

const bet: BetRequest = { kind: 'bet', txId: 'b1', playerId: 'p7', roundId: 'r1', amount: 500, currency: 'EUR', opRef: 42 };
const asMessage = (value: string | null, headers?: Record<string, string>) => ({ value: value === null ? null : Buffer.from(value), headers });

describe('Kafka command records', () => {
  it('carry the HTTP body with its op and op ref', () => {
    const { value, headers } = encodeCommand(bet, 'run1-');
    expect(JSON.parse(value)).toEqual({ op: 'bet', txId: 'run1-b1', playerId: 'p7', roundId: 'run1-r1', amount: 500, currency: 'EUR', opRef: 42 });
    expect(headers).toBeUndefined();
  });

  it('take the op ref from a header too, as a plain client may send it', () => {
    const value = '{"op":"bet","txId":"b1","playerId":"p7","roundId":"r1","amount":500,"currency":"EUR"}';
    expect(decodeCommand(asMessage(value, { 'walletstorm-op-ref': '42' }))).toEqual({ ok: true, value: bet });
    expect(decodeCommand(asMessage(value))).toEqual({ ok: true, value: { ...bet, opRef: undefined } });
  });

  it('decode back to the same request, for every op', () => {
    const requests: MoneyRequest[] = [
      bet,
      { kind: 'win', txId: 'w1', betTxId: 'b1', playerId: 'p7', roundId: 'r1', amount: 0, currency: 'EUR', opRef: 43 },
      { kind: 'rollback', txId: 'rb1', refTxId: 'b1', playerId: 'p7' },
    ];
    for (const r of requests) {
      const { value, headers } = commandCodec.encode(r);
      expect(commandCodec.decode(asMessage(value, headers as Record<string, string>))).toEqual({ ok: true, value: r });
    }
  });

  it.each([
    [null, 'the record has no value'],
    ['not json', 'the value is not valid JSON'],
    ['[1,2]', 'the value is not a JSON object'],
    ['{"txId":"x"}', 'op: must be "bet", "win" or "rollback"'],
    ['{"op":"bet","txId":"x","playerId":"p1","roundId":"r","amount":-5,"currency":"EUR"}', 'amount'],
    ['{"op":"bet","txId":"x","playerId":"p1","roundId":"r","amount":"500","currency":"EUR"}', 'amount'],
    ['{"op":"bet","txId":"x","playerId":"p1","roundId":"r","amount":1.5,"currency":"EUR"}', 'amount'],
    ['{"op":"win","txId":"x","playerId":"p1","roundId":"r","amount":5,"currency":"EUR"}', 'betTxId'],
    ['{"op":"rollback","txId":"","refTxId":"b","playerId":"p1"}', 'txId'],
  ])('refuse a poison record %s with its reason', (value, reason) => {
    const decoded = decodeCommand(asMessage(value));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.reason).toContain(reason);
  });

  it('refuse a value over 64 KiB unread', () => {
    const decoded = decodeCommand(asMessage(`{"op":"bet","pad":"${'x'.repeat(70_000)}"}`));
    expect(decoded).toEqual({ ok: false, reason: 'the value is over 65536 bytes' });
  });
});

describe('hybrid records', () => {
  it('round-trip the post of a reservation and a plain command', () => {
    const post = { kind: 'post' as const, key: 'b1#2', request: bet };
    const encoded = hybridCodec.encode(post);
    expect(JSON.parse(encoded.value).op).toBe('post');
    expect(hybridCodec.decode(asMessage(encoded.value, encoded.headers as Record<string, string>))).toEqual({ ok: true, value: post });
    const apply = { kind: 'apply' as const, request: { kind: 'rollback' as const, txId: 'rb1', refTxId: 'b1', playerId: 'p7' } };
    const e2 = hybridCodec.encode(apply);
    expect(hybridCodec.decode(asMessage(e2.value))).toEqual({ ok: true, value: apply });
  });

  it('refuse a post without its key', () => {
    const decoded = hybridCodec.decode(asMessage('{"op":"post","txId":"b","playerId":"p","roundId":"r","amount":1,"currency":"EUR"}'));
    expect(decoded).toEqual({ ok: false, reason: 'key: a post needs its reservation key' });
  });
});

describe('result and dead-letter records', () => {
  it('results round-trip, and foreign records are skipped', () => {
    const value = encodeResult(bet, { code: 'INSUFFICIENT_FUNDS', balance: 12 }, 1_700_000_000_123.4567);
    expect(decodeResult(Buffer.from(value))).toEqual({
      txId: 'b1',
      op: 'bet',
      playerId: 'p7',
      code: 'INSUFFICIENT_FUNDS',
      balance: 12,
      opRef: 42,
      appliedAtEpochMs: 1_700_000_000_123.457,
    });
    expect(decodeResult(Buffer.from('{"txId":"b1","code":"MAYBE"}'))).toBeUndefined();
    expect(decodeResult(Buffer.from('nope'))).toBeUndefined();
    expect(decodeResult(null)).toBeUndefined();
  });

  it('a dead letter keeps the reason, the origin and the bytes', () => {
    const dl = encodeDeadLetter('the value is not valid JSON', { topic: 'wallet.commands', partition: 3, offset: '17' }, { key: Buffer.from('p1'), value: Buffer.from('garbage') });
    expect(JSON.parse(dl.value)).toEqual({ reason: 'the value is not valid JSON', topic: 'wallet.commands', partition: 3, offset: '17', key: 'p1', value: 'garbage', valueBytes: 7 });
    expect(dl.headers).toMatchObject({ 'walletstorm-dlq-origin': 'wallet.commands/3@17' });
  });

  it('a dead letter of a huge binary record stays small: its first 4 KiB and its length', () => {
    const huge = Buffer.alloc(400_000, 0xff);
    const dl = encodeDeadLetter('the value is over 65536 bytes', { topic: 't', partition: 0, offset: '1' }, { key: null, value: huge });
    const parsed = JSON.parse(dl.value) as { valueBytes: number; truncated: boolean };
    expect(parsed).toMatchObject({ valueBytes: 400_000, truncated: true });
    expect(Buffer.byteLength(dl.value)).toBeLessThan(20_000);
  });
});

describe('brokers and partitions', () => {
  it('accept loopback brokers only', () => {
    expect(parseBrokers('127.0.0.1:9092,localhost:9093')).toEqual(['127.0.0.1:9092', 'localhost:9093']);
    expect(parseKafkaTarget('kafka://[::1]:9092')).toEqual(['[::1]:9092']);
    expect(() => parseBrokers('10.0.0.5:9092')).toThrow(/loopback/);
    expect(() => parseBrokers('127.0.0.1')).toThrow(/HOST:PORT/);
    expect(() => parseKafkaTarget('kafka://127.0.0.1:70000')).toThrow(/HOST:PORT/);
  });

  it('place a key where the Java client does (murmur2)', () => {
    // Printed by Kafka 4.4's Utils.toPositive(Utils.murmur2(key.getBytes(UTF_8))) % 16.
    const java = { p0: 8, p1: 10, p2: 10, p42: 5, 'player-7': 15 };
    const pick = partitionerFor(16);
    for (const [key, partition] of Object.entries(java)) expect(pick(key), key).toBe(partition);
  });
});
