import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/**
 * Values below this many microseconds (about 35 minutes) are first counted in a table by their
 * HDR bucket; anything larger goes to the HDR histogram at once.
 */
const TABLE_LIMIT_US = 2 ** 31;
/** The bucket layout of buildHdr(): 3 significant digits, a unit of 1 µs (2,048 sub-buckets). */
const SUB_BUCKET_HALF_BITS = 10;
const TABLE_SIZE = (31 - SUB_BUCKET_HALF_BITS + 1) << SUB_BUCKET_HALF_BITS;

/**
 * The counts-array index HdrHistogram gives an integer value below 2^31 in a histogram built by
 * buildHdr(), computed with integer operations (HdrHistogram's own uses Math.log2 and Math.pow,
 * which were several percent of the simulator's time). Checked against it in histogram.test.ts.
 */
export function bucketIndexOf(us: number): number {
  const bucket = Math.max(31 - Math.clz32(us) - SUB_BUCKET_HALF_BITS, 0);
  return (bucket << SUB_BUCKET_HALF_BITS) + (us >>> bucket);
}

/** The lowest value whose bucketIndexOf is `index`. */
function lowestValueAt(index: number): number {
  if (index < 2 << SUB_BUCKET_HALF_BITS) return index;
  const bucket = (index >>> SUB_BUCKET_HALF_BITS) - 1;
  return (index - (bucket << SUB_BUCKET_HALF_BITS)) * 2 ** bucket;
}

/** The highest value whose bucketIndexOf is `index` (HdrHistogram's highestEquivalentValue): the next bucket starts above it. */
function highestValueAt(index: number): number {
  return lowestValueAt(index + 1) - 1;
}

/**
 * How many of `total` values lie at or below the p-th percentile: HdrHistogram's own rounding
 * in getValueAtPercentile, a unit in the last place below the floating-point product, up.
 */
function countAtPercentile(p: number, total: number): number {
  const fpCount = (Math.min(p, 100) / 100) * total;
  return Math.max(Math.ceil(fpCount - 2 ** (Math.floor(Math.log2(fpCount)) - 52)), 1);
}

/**
 * Latency in an HDR histogram: recorded in microseconds (3 significant digits), reported in
 * milliseconds. Histograms from several processes add up exactly (issue: merge).
 *
 * Recording is on the simulator's hot path (several per operation), so a value is first
 * counted in a plain table by the HDR bucket it falls in, and the table is handed to the HDR
 * histogram (a count per bucket) whenever it is read (`hdr` flushes). Every value of a bucket
 * lands on the same count, so the counts come out exactly as if each value had been recorded
 * one by one; so do the total, and the minimum and maximum, which are kept exactly beside the
 * table and recorded as themselves.
 */
export class LatencyHistogram {
  private readonly exact: hdr.Histogram;
  private pending: Uint32Array | undefined;
  private pendingLo = TABLE_SIZE;
  private pendingHi = -1;
  private pendingCount = 0;
  /** Smallest value above zero and largest value in the table (HdrHistogram keeps both exactly). */
  private minNonZeroUs = Infinity;
  private maxUs = -1;

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
    if (us >= TABLE_LIMIT_US) {
      this.exact.recordValue(us);
      return;
    }
    const index = bucketIndexOf(us);
    const pending = (this.pending ??= new Uint32Array(TABLE_SIZE));
    pending[index]!++;
    this.pendingCount++;
    if (index < this.pendingLo) this.pendingLo = index;
    if (index > this.pendingHi) this.pendingHi = index;
    if (us > this.maxUs) this.maxUs = us;
    if (us > 0 && us < this.minNonZeroUs) this.minNonZeroUs = us;
  }

  private flush(): void {
    const pending = this.pending!;
    const lowIndex = this.minNonZeroUs === Infinity ? -1 : bucketIndexOf(this.minNonZeroUs);
    const highIndex = bucketIndexOf(this.maxUs);
    for (let index = this.pendingLo; index <= this.pendingHi; index++) {
      let n = pending[index]!;
      if (n === 0) continue;
      pending[index] = 0;
      // The exact extremes are recorded as themselves, each once; the rest of a bucket's count
      // under any value of the bucket (its lowest).
      if (index === highIndex) {
        this.exact.recordValue(this.maxUs);
        n--;
      }
      if (index === lowIndex && n > 0 && this.minNonZeroUs !== this.maxUs) {
        this.exact.recordValue(this.minNonZeroUs);
        n--;
      }
      if (n > 0) this.exact.recordValueWithCount(index === 0 ? 0 : index === lowIndex ? this.minNonZeroUs : lowestValueAt(index), n);
    }
    this.emptyTable();
  }

  /** Empties the table, whose counts are all 0 already (flushed) or are about to be dropped (reset). */
  private emptyTable(): void {
    this.pendingLo = TABLE_SIZE;
    this.pendingHi = -1;
    this.pendingCount = 0;
    this.minNonZeroUs = Infinity;
    this.maxUs = -1;
  }

  /** Forgets everything recorded: the series reuses one histogram per interval. */
  reset(): void {
    this.pending?.fill(0, this.pendingLo, this.pendingHi + 1);
    this.emptyTable();
    this.exact.reset();
  }

  get count(): number {
    return this.hdr.totalCount;
  }

  /**
   * While the table holds every value recorded (nothing went past it, nothing was flushed: the
   * series' interval histograms), the percentile is read from the table, as HdrHistogram reads
   * the same counts. Filling the HDR histogram for each interval, only to read two percentiles
   * and reset it, cost more than all the recording (one HDR index computation per bucket used).
   */
  percentileMs(p: number): number {
    if (this.exact.totalCount === 0) return this.pendingCount === 0 ? 0 : toMs(this.tablePercentileUs(p));
    const h = this.hdr;
    return toMs(Math.min(h.getValueAtPercentile(p), h.maxValue));
  }

  /** HdrHistogram's getValueAtPercentile over the table (the top of the bucket the count reaches), clamped to the exact maximum. */
  private tablePercentileUs(p: number): number {
    const pending = this.pending!;
    const reach = countAtPercentile(p, this.pendingCount);
    let counted = 0;
    for (let index = this.pendingLo; index <= this.pendingHi; index++) {
      counted += pending[index]!;
      if (counted >= reach) return Math.min(p === 0 ? lowestValueAt(index) : highestValueAt(index), this.maxUs);
    }
    return 0;
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
