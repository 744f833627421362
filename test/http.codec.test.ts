/**
 * The generator's hot-path codec against its definition: encodeMoneyRequest writes exactly what
 * JSON.stringify writes, and decodeResponseBytes reads exactly what decodeResponse reads from the
 * body's text, for any ids, amounts and answers.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MoneyRequest } from '../src/domain/operations.js';
import { RESULT_CODES } from '../src/domain/results.js';
import { decodeResponse, decodeResponseBytes, encodeMoneyRequest, stringifyMoneyRequest } from '../src/drivers/http/protocol.js';

/** Ids as they usually are, and anything JSON must escape: quotes, backslashes, controls, lone surrogates, non-ASCII. */
const id = fc.oneof(
  fc.stringMatching(/^[a-z0-9.-]{1,12}$/),
  fc.string({ unit: 'binary', maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 6 }),
  fc.constantFrom('"', '\\', '\n', '\u0000', '\u001f', '\u007f', '\ud800', 'a\udc00b', '😀', 'é', '\u2028'),
);
const amount = fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.constantFrom(Number.NaN, Infinity, -Infinity, -0, 1e21, Number.MAX_SAFE_INTEGER));
const request: fc.Arbitrary<MoneyRequest> = fc.oneof(
  fc.record({ kind: fc.constant('bet' as const), txId: id, playerId: id, roundId: id, amount, currency: id, opRef: fc.nat() }),
  fc.record({ kind: fc.constant('win' as const), txId: id, betTxId: id, playerId: id, roundId: id, amount, currency: id }),
  fc.record({ kind: fc.constant('rollback' as const), txId: id, refTxId: id, playerId: id, opRef: fc.nat() }),
);

describe('encodeMoneyRequest', () => {
  it('writes exactly what JSON.stringify writes', () => {
    fc.assert(
      fc.property(request, fc.constantFrom('', 'mi4k2z1a0b-', 'p"re\\'), (r, prefix) => {
        expect(encodeMoneyRequest(r, prefix)).toBe(stringifyMoneyRequest(r, prefix));
      }),
      { numRuns: 5000 },
    );
  });

  it('falls back for fields of other types than declared', () => {
    const odd = [
      { kind: 'bet', txId: 'b1', playerId: 7, roundId: 'r1', amount: '100', currency: undefined },
      { kind: 'win', txId: 'w1', betTxId: 'b1', playerId: null, roundId: 'r1', amount: 5n.toString(), currency: 'EUR' },
      { kind: 'rollback', txId: 'rb1', refTxId: 'b1', playerId: undefined },
    ] as unknown as MoneyRequest[];
    for (const r of odd) expect(encodeMoneyRequest(r, 'x-')).toBe(stringifyMoneyRequest(r, 'x-'));
  });
});

/** Bodies: the wallet's own answers, and flat and not-so-flat JSON that may or may not be one. */
const jsonValue = fc.oneof(
  fc.constantFrom(...RESULT_CODES, 'NOPE', 'ok', ''),
  id,
  amount,
  fc.constantFrom(true, false, null),
  fc.constantFrom({}, [], { code: 'OK' }, [1]),
);
const key = fc.oneof(fc.constantFrom('code', 'balance', 'replay', 'accepted', 'message', '__proto__', 'co\\u0064e'), id);
const walletAnswer = fc
  .record({ code: fc.constantFrom(...RESULT_CODES), balance: fc.option(fc.integer(), { nil: undefined }), replay: fc.option(fc.boolean(), { nil: undefined }), accepted: fc.option(fc.constant(true), { nil: undefined }), message: fc.option(id, { nil: undefined }) })
  .map((a) => JSON.stringify(a));
const flatObject = fc.array(fc.tuple(key, jsonValue), { maxLength: 6 }).map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k).replace('\\\\u0064', '\\u0064')}:${JSON.stringify(v) ?? 'null'}`).join(',')}}`);
/** A valid body cut, spaced or added to: mostly not JSON any more. */
const mangled = fc.tuple(fc.oneof(walletAnswer, flatObject), fc.nat(), fc.constantFrom('', ' ', '}', ',', 'x', '\n', '0', '.5', 'e3', '"')).map(([s, at, extra]) => {
  const i = at % (s.length + 1);
  return s.slice(0, i) + extra + s.slice(i + (extra === '' ? 1 : 0));
});
const numbers = fc.tuple(fc.constantFrom('0', '-0', '01', '-', '1.5', '1e3', '123456789012345', '1234567890123456', '-999999999999999', '9007199254740993'), fc.constantFrom('balance', 'x')).map(([n, k]) => `{"code":"OK","${k}":${n}}`);
const body = fc.oneof(walletAnswer, flatObject, mangled, numbers, fc.string({ maxLength: 20 }), fc.constantFrom('', '{}', '{} ', '[]', 'null', '"OK"', '\ufeff{"code":"OK"}', '{"code":"OK"}{"code":"OK"}'));

describe('decodeResponseBytes', () => {
  it('reads what decodeResponse reads from the text of the same bytes', () => {
    fc.assert(
      fc.property(body, fc.constantFrom(200, 202, 400, 404, 409, 429, 503), (text, status) => {
        const bytes = Buffer.from(text);
        expect(decodeResponseBytes(status, bytes)).toEqual(decodeResponse(status, bytes.toString('utf8')));
      }),
      { numRuns: 20000 },
    );
  });

  it('reads the wallet’s answers, and tells -0 and large numbers apart as JSON.parse does', () => {
    expect(decodeResponseBytes(200, Buffer.from('{"code":"OK","balance":999500}'))).toEqual({ code: 'OK', balance: 999500 });
    expect(decodeResponseBytes(202, Buffer.from('{"code":"OK","replay":true}'))).toEqual({ code: 'OK', replay: true, accepted: true });
    expect(decodeResponseBytes(402, Buffer.from('{"code":"INSUFFICIENT_FUNDS","balance":5,"message":"balance too low"}'))).toEqual({ code: 'INSUFFICIENT_FUNDS', balance: 5, message: 'balance too low' });
    expect(Object.is(decodeResponseBytes(200, Buffer.from('{"code":"OK","balance":-0}'))!.balance, -0)).toBe(true);
    expect(decodeResponseBytes(200, Buffer.from('{"code":"OK","balance":9007199254740993}'))!.balance).toBe(9007199254740992);
    expect(decodeResponseBytes(200, Buffer.from('{"code":"OK","code":"NOPE"}'))).toBeUndefined();
    expect(decodeResponseBytes(503, Buffer.alloc(0))).toMatchObject({ code: 'OVERLOADED' });
  });
});
