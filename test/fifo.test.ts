/**
 * PairFifo (src/util/fifo.ts): the same pairs, in the same order, as an array used as a queue,
 * across the ring's wrap-arounds and growths.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PairFifo } from '../src/util/fifo.js';

describe('PairFifo', () => {
  it('answers as an array queue for any sequence of pushes and shifts', () => {
    const step = fc.oneof(fc.tuple(fc.constant('push' as const), fc.integer(), fc.double({ noNaN: true })), fc.constant(['shift'] as const));
    fc.assert(
      fc.property(fc.array(step, { maxLength: 600 }), (steps) => {
        const fifo = new PairFifo();
        const model: [number, number][] = [];
        for (const s of steps) {
          if (s[0] === 'push') {
            fifo.push(s[1], s[2]);
            model.push([s[1], s[2]]);
          } else if (model.length > 0) {
            expect([fifo.headFirst(), fifo.headSecond()]).toEqual(model[0]);
            fifo.shift();
            model.shift();
          }
          expect(fifo.length).toBe(model.length);
        }
        while (model.length > 0) {
          expect([fifo.headFirst(), fifo.headSecond()]).toEqual(model.shift());
          fifo.shift();
        }
      }),
    );
  });

  it('keeps order when it grows with its head in the middle of the ring', () => {
    const fifo = new PairFifo();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++, next++) fifo.push(next, next * 0.5);
      for (let i = 0; i < 60; i++) {
        expect(fifo.headFirst()).toBe(expected);
        expect(fifo.headSecond()).toBe(expected * 0.5);
        fifo.shift();
        expected++;
      }
    }
    expect(fifo.length).toBe(next - expected);
  });
});
