/**
 * StringTable (src/util/string-table.ts): ids dense and in insertion order, every key found again
 * after many growths, keys with equal hashes kept apart, and the same answers as a Map.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashString, StringTable } from '../src/util/string-table.js';

/** Two different keys with the same full 32-bit hash, found by brute force (birthday bound). */
function collidingPair(): [string, string] {
  const seen = new Map<number, string>();
  for (let i = 0; ; i++) {
    const key = `k${i}`;
    const other = seen.get(hashString(key));
    if (other !== undefined) return [other, key];
    seen.set(hashString(key), key);
  }
}

describe('StringTable', () => {
  it('hands out ids 0, 1, 2, ... in insertion order and finds every key across growths', () => {
    const table = new StringTable(4);
    const n = 200_000;
    // Counted rather than asserted one by one: 10^5 expect() calls would dominate the test.
    let wrong = 0;
    for (let i = 0; i < n; i++) if (table.findOrInsert(`b${i}`) !== i || table.size !== i + 1) wrong++;
    for (let i = 0; i < n; i++) {
      if (table.find(`b${i}`) !== i || table.findOrInsert(`b${i}`) !== i || table.keyOf(i) !== `b${i}`) wrong++;
    }
    expect(wrong).toBe(0);
    expect(table.size).toBe(n);
    expect(table.find(`b${n}`)).toBe(-1);
    expect(table.find('b-1')).toBe(-1);
  });

  it('keeps keys with the same full hash apart', () => {
    const [a, b] = collidingPair();
    expect(a).not.toBe(b);
    expect(hashString(a)).toBe(hashString(b));
    const table = new StringTable(16);
    expect(table.find(a)).toBe(-1);
    expect(table.findOrInsert(a)).toBe(0);
    expect(table.find(b)).toBe(-1);
    expect(table.findOrInsert(b)).toBe(1);
    // and again after growths have moved both
    for (let i = 0; i < 1000; i++) table.findOrInsert(`x${i}`);
    expect(table.find(a)).toBe(0);
    expect(table.find(b)).toBe(1);
  });

  it('compares keys by content, not identity, whatever their characters', () => {
    const table = new StringTable();
    const keys = ['', 'a', 'é', '😀', 'a\u0000b', 'x'.repeat(300)];
    keys.forEach((k, i) => expect(table.findOrInsert(k)).toBe(i));
    // equal strings built another way (not the same object)
    keys.forEach((k, i) => expect(table.find(k.split('').join(''))).toBe(i));
  });

  it('answers like a Map for random sequences of finds and inserts', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.string({ maxLength: 4 })), { maxLength: 400 }),
        fc.integer({ min: 1, max: 64 }),
        (ops, expected) => {
          const table = new StringTable(expected);
          const model = new Map<string, number>();
          for (const [insert, key] of ops) {
            if (insert) {
              if (!model.has(key)) model.set(key, model.size);
              expect(table.findOrInsert(key)).toBe(model.get(key));
            } else {
              expect(table.find(key)).toBe(model.get(key) ?? -1);
            }
            expect(table.size).toBe(model.size);
          }
        },
      ),
      { seed: 20_251_125, numRuns: 300 },
    );
  });
});
