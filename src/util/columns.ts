/**
 * Columns and rows for columnar stores: per-key data kept by a dense id (see StringTable) instead
 * of one object per key, so millions of keys cost the garbage collector no objects to copy. A
 * column holds one field per id; rows hold a record's fields per id, side by side.
 *
 * Each is a list of fixed-size pages, not one array grown by copying: a grown array leaves
 * its old copy behind, and with a dozen columns of millions of entries that garbage (about twice
 * the final size) filled the old generation fast enough to force extra full collections, which
 * cost more than the columns saved. A page is allocated once and never moved.
 *
 * Pages are plain arrays, not typed arrays: a typed array's memory is external to the JS heap,
 * and once a few hundred MB of it piled up (columns plus the StringTable's slots) V8 answered the
 * external-memory pressure by finishing incremental marking at once: full collections paused the
 * simulator 0.6-2 s each (hybrid model, F=10: GC pauses 1.9 s -> 5 s). Arrays of small integers
 * (and of doubles, for amounts) stay on the heap and hold no pointers to trace.
 *
 * One class per element kind (numbers, references), so that every access site sees one kind of
 * array (monomorphic).
 */

/**
 * 16,384 ids per page: a column page is 128 KB and a little more (a row page the stride times
 * that), just over V8's largest regular object, so it is made in the large-object space. A
 * regular page would be made in the young generation and copied by two scavenges before
 * settling in the old one; with a few dozen columns per operation that copying was most of what
 * the scavenger did in a long simulation. Large pages are promoted without copying. A ledger
 * with a handful of txIds (tests build thousands) costs a few MB, and millions of ids take few
 * pages.
 */
const PAGE_BITS = 14;
const PAGE_SIZE = 1 << PAGE_BITS;
/** An id whose low bits are all 0 starts a page: only then can `ensure` have work to do. */
export const PAGE_MASK = PAGE_SIZE - 1;

/** References (strings, objects) by id; undefined where nothing was set. */
export class RefColumn<T> {
  private readonly pages: (T | undefined)[][] = [];

  get(id: number): T | undefined {
    return this.pages[id >>> PAGE_BITS]![id & PAGE_MASK];
  }

  set(id: number, value: T | undefined): void {
    this.pages[id >>> PAGE_BITS]![id & PAGE_MASK] = value;
  }

  /** Makes ids up to `id` readable and writable. */
  ensure(id: number): void {
    while (this.pages.length <= id >>> PAGE_BITS) this.pages.push(refPage<T>(PAGE_SIZE));
  }
}

/**
 * A page of `length` references, each read as undefined until set. Left holey, not filled with
 * undefined: V8 writes every element of a new array (holes) anyway, and an array filled with
 * undefined stays holey (its reads are the same), so the fill wrote each page a second time,
 * about 15% of a page's cost (measured: 100 pages of 114,688 elements, 165 ms holey, 193 ms filled).
 */
function refPage<T>(length: number): (T | undefined)[] {
  return new Array<T | undefined>(length);
}

/**
 * Rows of `stride` fields per id, side by side in pages of plain arrays: for records whose
 * fields are read and written together (an idempotency record, a bet), one id's fields share a
 * cache line or two where a column per field put each field in a page of its own. With millions
 * of ids, each of those was a cache miss per field.
 */
export class NumberRows {
  private readonly pages: number[][] = [];

  constructor(private readonly stride: number) {}

  get(id: number, field: number): number {
    return this.pages[id >>> PAGE_BITS]![(id & PAGE_MASK) * this.stride + field]!;
  }

  set(id: number, field: number, value: number): void {
    this.pages[id >>> PAGE_BITS]![(id & PAGE_MASK) * this.stride + field] = value;
  }

  ensure(id: number): void {
    while (this.pages.length <= id >>> PAGE_BITS) this.pages.push(doubleZeros(PAGE_SIZE * this.stride));
  }
}

/**
 * A plain array of `length` zeros that holds doubles from the start. An array filled with 0
 * holds small integers, and the first field set to anything else (a time in ms, an amount
 * computed as a double) converts all of it: V8 copies it into a new array of doubles. Every
 * NumberRows page was made twice that way, and on a machine where the first touch of a fresh
 * 4 KiB page costs ~10 µs the first copy was ~50,000 page faults per bench:sim round. A
 * one-element double array grown to the length fills at the speed of `new Array(n).fill(0)`;
 * filled with -0 instead, it took twice as long (measured at 8M elements).
 */
export function doubleZeros(length: number): number[] {
  const zeros = [0.5];
  zeros.length = length;
  return zeros.fill(0);
}

/** References by id and field, laid out as NumberRows; undefined where nothing was set. */
export class RefRows<T> {
  private readonly pages: (T | undefined)[][] = [];

  constructor(private readonly stride: number) {}

  get(id: number, field: number): T | undefined {
    return this.pages[id >>> PAGE_BITS]![(id & PAGE_MASK) * this.stride + field];
  }

  set(id: number, field: number, value: T | undefined): void {
    this.pages[id >>> PAGE_BITS]![(id & PAGE_MASK) * this.stride + field] = value;
  }

  ensure(id: number): void {
    while (this.pages.length <= id >>> PAGE_BITS) this.pages.push(refPage<T>(PAGE_SIZE * this.stride));
  }
}

/**
 * Makes row `id` writable in a store's two halves (its numbers and its references). Stores hand
 * out ids in order, so only the first id of a page has work to do; every other call is one test.
 * For ids that come in any order, see `ensureRowsTo`.
 */
export function ensureRow(id: number, numbers: NumberRows, refs: RefRows<unknown>): void {
  if ((id & PAGE_MASK) === 0) {
    numbers.ensure(id);
    refs.ensure(id);
  }
}

/**
 * Makes rows up to `id` writable in a store's two halves, for a store whose ids may skip ahead
 * (they come from a StringTable that other stores insert into too). Returns the first id still
 * without a row, so that the caller can skip the call for every id below it.
 */
export function ensureRowsTo(id: number, numbers: NumberRows, refs: RefRows<unknown>): number {
  numbers.ensure(id);
  refs.ensure(id);
  return ((id >>> PAGE_BITS) + 1) << PAGE_BITS;
}
