import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** Latencies below this many microseconds (65 ms) are first counted in a plain table. */
const DIRECT_US = 1 << 16;

/**
 * Latency in an HDR histogram: recorded in microseconds (3 significant digits), reported in
 * milliseconds. Histograms from several processes add up exactly (issue: merge).
 *
 * Recording is on the simulator's hot path (several per operation) and hdr-histogram-js finds a
 * value's bucket with floating-point log2 and pow, so values under 65 ms are first counted in a
 * table indexed by the value and handed to the HDR histogram, value by value with their counts,
 * whenever it is read (`hdr` flushes). Counts, total, min and max come out exactly as if every
 * value had been recorded one by one.
 */
export class LatencyHistogram {
  private readonly exact: hdr.Histogram;
  private pending: Uint32Array | undefined;
  private pendingLo = DIRECT_US;
  private pendingHi = -1;

  constructor() {
    this.exact = buildHdr();
  }

  /** The HDR histogram with everything recorded so far. */
  get hdr(): hdr.Histogram {
    if (this.pendingHi >= 0) this.flush();
    return this.exact;
  }

  recordMs(ms: number): void {
    const us = ms > 0 ? Math.round(ms * 1000) : 0;
    if (us >= DIRECT_US) {
      this.exact.recordValue(us);
      return;
    }
    const pending = (this.pending ??= new Uint32Array(DIRECT_US));
    pending[us]!++;
    if (us < this.pendingLo) this.pendingLo = us;
    if (us > this.pendingHi) this.pendingHi = us;
  }

  private flush(): void {
    const pending = this.pending!;
    for (let us = this.pendingLo; us <= this.pendingHi; us++) {
      const n = pending[us]!;
      if (n === 0) continue;
      this.exact.recordValueWithCount(us, n);
      pending[us] = 0;
    }
    this.pendingLo = DIRECT_US;
    this.pendingHi = -1;
  }

  get count(): number {
    return this.hdr.totalCount;
  }

  percentileMs(p: number): number {
    return this.hdr.totalCount === 0 ? 0 : toMs(Math.min(this.hdr.getValueAtPercentile(p), this.hdr.maxValue));
  }

  summary(): LatencySummary {
    return summarize(this.hdr, this.hdr.maxValue);
  }

  /**
   * HdrHistogram's V2 compressed base64 form (values in microseconds), which HdrHistogram's
   * own tools read. Deterministic: the same recordings give the same string.
   */
  encoded(): string {
    return encodeHdr(this.hdr);
  }
}

/** An empty histogram with the settings every walletstorm histogram uses, so they add exactly. */
export function buildHdr(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3 });
}

export function encodeHdr(h: hdr.Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

/** Reads an `encoded()` string back; throws on a string that is not an HdrHistogram. */
export function decodeHdr(encoded: string): hdr.Histogram {
  return hdr.decodeFromCompressedBase64(encoded);
}

/**
 * Percentiles of a histogram, clamped to an exact maximum in microseconds. A decoded histogram
 * only knows the top of the bucket its largest value fell in, so callers that merge pass the
 * exact maximum the report carries; then a merge gives the same summary as one histogram.
 */
export function summarize(h: hdr.Histogram, maxUs: number): LatencySummary {
  if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  // A percentile is the top of its HDR bucket while max is exact: clamp so p999 <= max.
  const at = (p: number) => toMs(Math.min(h.getValueAtPercentile(p), maxUs));
  return { count: h.totalCount, p50: at(50), p90: at(90), p99: at(99), p999: at(99.9), max: toMs(maxUs) };
}

/** Microseconds to milliseconds with microsecond precision, so JSON stays short and exact. */
function toMs(us: number): number {
  return Math.round(us) / 1000;
}
