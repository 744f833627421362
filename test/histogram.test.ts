import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildHdr, encodeHdr, LatencyHistogram } from '../src/report/histogram.js';

describe('LatencyHistogram', () => {
  it('gives exactly what recording every value into HdrHistogram one by one gives', () => {
    // Values below and above the 65 ms table, zero, negatives and fractions of a microsecond,
    // read in the middle (a flush) and recorded into again.
    const ms = fc.oneof(fc.double({ min: -1, max: 70, noNaN: true }), fc.double({ min: 0, max: 5000, noNaN: true }), fc.constantFrom(0, 65.535, 65.536, 0.0004));
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

  it('starts over after a reset of its HDR histogram', () => {
    const h = new LatencyHistogram();
    h.recordMs(3);
    h.hdr.reset();
    h.recordMs(5);
    expect(h.summary()).toMatchObject({ count: 1, max: 5 });
  });
});
