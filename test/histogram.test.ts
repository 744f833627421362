import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bucketIndexOf, buildHdr, encodeHdr, LatencyHistogram } from '../src/report/histogram.js';

describe('LatencyHistogram', () => {
  it('gives exactly what recording every value into HdrHistogram one by one gives', () => {
    // Values in the table's first buckets and far up, past the table (2^31 µs), zero, negatives
    // and fractions of a microsecond, the same value many times (one bucket holding both
    // extremes), read in the middle (a flush) and recorded into again.
    const ms = fc.oneof(
      fc.double({ min: -1, max: 70, noNaN: true }),
      fc.double({ min: 0, max: 5000, noNaN: true }),
      fc.double({ min: 0, max: 3e6, noNaN: true }),
      fc.constantFrom(0, 2.047, 2.048, 65.535, 65.536, 0.0004, 2147483.647, 2147483.648),
      fc.integer({ min: 2000, max: 2100 }).map((us) => us / 1000),
    );
    fc.assert(
      fc.property(fc.array(ms, { maxLength: 300 }), fc.nat(300), (values, readAt) => {
        const h = new LatencyHistogram();
        const plain = buildHdr();
        values.forEach((v, i) => {
          if (i === readAt) expect(h.summary().count).toBe(plain.totalCount);
          h.recordMs(v);
          plain.recordValue(v > 0 ? Math.round(v * 1000) : 0);
        });
        expect(h.count).toBe(plain.totalCount);
        if (plain.totalCount > 0) expect(h.encoded()).toBe(encodeHdr(plain));
        expect(h.percentileMs(99)).toBe(plain.totalCount === 0 ? 0 : Math.round(Math.min(plain.getValueAtPercentile(99), plain.maxValue)) / 1000);
      }),
      { numRuns: 300 },
    );
  });

  it('reads percentiles from its table (nothing flushed yet, or reset) exactly as HdrHistogram does', () => {
    const ms = fc.oneof(fc.double({ min: -1, max: 70, noNaN: true }), fc.double({ min: 0, max: 3e6, noNaN: true }), fc.constantFrom(0, 2.047, 2.048, 0.0004));
    const expected = (plain: ReturnType<typeof buildHdr>, p: number) =>
      plain.totalCount === 0 ? 0 : Math.round(Math.min(plain.getValueAtPercentile(p), plain.maxValue)) / 1000;
    fc.assert(
      fc.property(fc.array(ms, { maxLength: 300 }), fc.array(ms, { maxLength: 300 }), (before, values) => {
        const h = new LatencyHistogram();
        before.forEach((v) => h.recordMs(v));
        if (before.length % 2 === 0) h.summary(); // a reset after a flush, or of the table alone
        h.reset();
        const plain = buildHdr();
        for (const v of values) {
          h.recordMs(v);
          plain.recordValue(v > 0 ? Math.round(v * 1000) : 0);
        }
        for (const p of [0, 1, 50, 90, 99, 99.9, 100]) expect(h.percentileMs(p)).toBe(expected(plain, p));
        expect(h.count).toBe(plain.totalCount);
      }),
      { numRuns: 300 },
    );
  });

  it('puts every value in the bucket HdrHistogram itself computes', () => {
    const plain = buildHdr() as unknown as { countsArrayIndex(v: number): number };
    for (let us = 0; us < 70_000; us++) expect(bucketIndexOf(us)).toBe(plain.countsArrayIndex(us));
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (us) => bucketIndexOf(us) === plain.countsArrayIndex(us)), { numRuns: 20_000 });
    for (let k = 11; k < 31; k++) for (const us of [2 ** k - 1, 2 ** k, 2 ** k + 1]) expect(bucketIndexOf(us)).toBe(plain.countsArrayIndex(us));
  });

  it('starts over after a reset of its HDR histogram', () => {
    const h = new LatencyHistogram();
    h.recordMs(3);
    h.hdr.reset();
    h.recordMs(5);
    expect(h.summary()).toMatchObject({ count: 1, max: 5 });
  });
});
