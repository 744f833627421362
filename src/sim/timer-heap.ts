/**
 * A 4-ary min-heap of event slots keyed by (time, sequence). Everything the heap moves is a
 * number in a typed array (the keys and the slot of each event's payload, which stays put in
 * EventSlots): comparisons walk contiguous memory, and sifting an event up or down stores no
 * object references, so it costs the garbage collector's write barrier nothing (the payload
 * arrays are old and their payloads young: every reference moved used to be a remembered-set
 * entry). Four children per node halve the depth of a binary heap.
 */
export class TimerHeap {
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private slots = new Int32Array(1024);
  size = 0;

  peekTime(): number {
    return this.times[0]!;
  }

  peekSeq(): number {
    return this.seqs[0]!;
  }

  /** The slot of the earliest event (read it before pop()). */
  peekSlot(): number {
    return this.slots[0]!;
  }

  push(atMs: number, seq: number, slot: number): void {
    if (this.size === this.times.length) this.grow();
    const { times, seqs, slots } = this;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const pt = times[parent]!;
      if (pt < atMs || (pt === atMs && seqs[parent]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      slots[i] = slots[parent]!;
      i = parent;
    }
    times[i] = atMs;
    seqs[i] = seq;
    slots[i] = slot;
  }

  /** Removes the minimum (read it first with peekTime/peekSeq/peekSlot). */
  pop(): void {
    if (this.size === 0) return;
    const { times, seqs, slots } = this;
    const n = --this.size;
    const t = times[n]!;
    const s = seqs[n]!;
    const slot = slots[n]!;
    let i = 0;
    for (;;) {
      const first = 4 * i + 1;
      if (first >= n) break;
      let best = first;
      let bt = times[first]!;
      let bs = seqs[first]!;
      const last = first + 4 < n ? first + 4 : n;
      for (let c = first + 1; c < last; c++) {
        const ct = times[c]!;
        if (ct < bt || (ct === bt && seqs[c]! < bs)) {
          best = c;
          bt = ct;
          bs = seqs[c]!;
        }
      }
      if (t < bt || (t === bt && s < bs)) break;
      times[i] = bt;
      seqs[i] = bs;
      slots[i] = slots[best]!;
      i = best;
    }
    if (n > 0) {
      times[i] = t;
      seqs[i] = s;
      slots[i] = slot;
    }
  }

  private grow(): void {
    const cap = this.times.length * 2;
    this.times = grown(this.times, cap);
    this.seqs = grown(this.seqs, cap);
    this.slots = grown(this.slots, cap);
  }
}

/** Fine buckets per millisecond: a power of two, so bucket numbers are exact. */
const PER_MS = 8;
/** Fine buckets per coarse bucket (128 ms), and the fine ring's size: two coarse buckets' worth. */
const SPAN = 1024;
const FINE = 2 * SPAN;
const FINE_MASK = FINE - 1;
/** Coarse buckets in their ring: 131 s ahead. */
const COARSE = 1024;
const COARSE_MASK = COARSE - 1;
const SPAN_MS = SPAN / PER_MS;
const NONE = -1;

/**
 * The events of the next two minutes, in time buckets: a cheaper queue than a heap for what the
 * simulator schedules, most of it due within milliseconds (a message in flight, a service time)
 * and the rest within seconds (a game, a retry's backoff).
 *
 * Two rings. The fine one has buckets of 1/PER_MS ms, each a list of slots (linked through
 * `next`) kept in (time, sequence) order, and holds every event of the present coarse bucket
 * (128 ms, numbered `present`) and the next one. The coarse one has buckets of 128 ms, unsorted
 * lists, for the events after those, up to COARSE of them ahead; as the present moves on, the
 * coarse bucket that becomes the next one is moved into the fine ring. An event due later still
 * is refused, and the heap keeps it. A bit per bucket says which hold events, so that the first
 * one is found a word at a time.
 *
 * With a couple of events per fine bucket, taking an event or giving it out walks a link or two,
 * where a heap of thousands sifted it through six levels of four children. Bucket numbers,
 * floor(time * PER_MS), only grow with time, and every coarse bucket reaches the fine ring
 * before any of its events can be the earliest, so the fine ring's first bucket, in list order,
 * gives out exactly the (time, sequence) order; the caller compares its first event with the
 * heap's and the lanes'.
 */
export class TimerCalendar {
  private readonly fineHeads = new Int32Array(FINE).fill(NONE);
  private readonly fineBits = new Int32Array(FINE / 32);
  private readonly coarseHeads = new Int32Array(COARSE).fill(NONE);
  private readonly coarseBits = new Int32Array(COARSE / 32);
  /** Time and sequence of the event in each slot (for the slots in the calendar). */
  times = new Float64Array(1024);
  seqs = new Float64Array(1024);
  /** The next slot in the same bucket, or NONE. */
  private next = new Int32Array(1024);
  fineSize = 0;
  private coarseSize = 0;
  /** The fine bucket number of the first bucket that holds an event (while fineSize > 0). */
  private first = 0;
  /**
   * The present coarse bucket: at most the clock's, so that every event to come is due in it or
   * later (an event refused while it is ahead, after a run stopped early, goes to the heap).
   */
  private present = 0;
  /** When the coarse bucket after the present one starts. */
  nextSpanAtMs = SPAN_MS;

  get size(): number {
    return this.fineSize + this.coarseSize;
  }

  /** Takes the event unless it is due more than COARSE coarse buckets ahead; false: the heap keeps it. */
  push(atMs: number, seq: number, slot: number): boolean {
    const f = Math.floor(atMs * PER_MS);
    const c = Math.floor(f / SPAN);
    const present = this.present;
    if (!(c >= present && c < present + COARSE)) return false;
    if (slot >= this.next.length) this.grow(slot);
    this.times[slot] = atMs;
    this.seqs[slot] = seq;
    if (c <= present + 1) {
      this.insertFine(f, atMs, seq, slot);
    } else {
      // Exact for any integer below 2^53: & takes it modulo 2^32, a multiple of the ring.
      const b = c & COARSE_MASK;
      this.next[slot] = this.coarseHeads[b]!;
      this.coarseHeads[b] = slot;
      this.coarseBits[b >> 5]! |= 1 << (b & 31);
      this.coarseSize++;
    }
    return true;
  }

  /** The slot of the earliest event of the fine ring (fineSize > 0). */
  peekSlot(): number {
    return this.fineHeads[this.first & FINE_MASK]!;
  }

  /** Removes the earliest event of the fine ring (fineSize > 0). */
  pop(): void {
    const b = this.first & FINE_MASK;
    const { fineHeads } = this;
    const after = this.next[fineHeads[b]!]!;
    fineHeads[b] = after;
    this.fineSize--;
    if (after !== NONE) return;
    this.fineBits[b >> 5]! &= ~(1 << (b & 31));
    if (this.fineSize > 0) this.first += firstBit(this.fineBits, b);
  }

  /**
   * When the fine ring is empty: the time before which the coarse ring has nothing, Infinity if
   * it is empty. Once nothing else (heap, lanes) comes before it, `takeNextCoarse` brings its
   * first bucket into the fine ring.
   */
  coarseFromMs(): number {
    if (this.coarseSize === 0) return Infinity;
    return this.firstCoarse() * SPAN_MS;
  }

  /** Moves the coarse ring's first bucket into the (empty) fine ring; the present becomes the coarse bucket before it. */
  takeNextCoarse(): void {
    const c = this.firstCoarse();
    this.present = c - 1;
    this.nextSpanAtMs = c * SPAN_MS;
    this.moveCoarse(c);
  }

  /**
   * The clock reached atMs, in a coarse bucket after the present one: that one becomes the
   * present, and the coarse buckets up to the one after it move into the fine ring.
   */
  reach(atMs: number): void {
    const c = Math.floor(Math.floor(atMs * PER_MS) / SPAN);
    while (this.coarseSize > 0) {
      const next = this.firstCoarse();
      if (next > c + 1) break;
      this.moveCoarse(next);
    }
    this.present = c;
    this.nextSpanAtMs = (c + 1) * SPAN_MS;
  }

  /** The first coarse bucket that holds events (coarseSize > 0): they all lie in the COARSE after the present. */
  private firstCoarse(): number {
    const start = this.present + 1;
    return start + firstBit(this.coarseBits, start & COARSE_MASK);
  }

  private moveCoarse(c: number): void {
    const b = c & COARSE_MASK;
    const { times, seqs, next } = this;
    let slot = this.coarseHeads[b]!;
    this.coarseHeads[b] = NONE;
    this.coarseBits[b >> 5]! &= ~(1 << (b & 31));
    while (slot !== NONE) {
      const after = next[slot]!;
      this.coarseSize--;
      const atMs = times[slot]!;
      this.insertFine(Math.floor(atMs * PER_MS), atMs, seqs[slot]!, slot);
      slot = after;
    }
  }

  /** Into its fine bucket, after every event due before it or at its time with a lower sequence. */
  private insertFine(f: number, atMs: number, seq: number, slot: number): void {
    const { times, seqs, next, fineHeads } = this;
    const b = f & FINE_MASK;
    let p = fineHeads[b]!;
    if (p === NONE || times[p]! > atMs || (times[p] === atMs && seqs[p]! > seq)) {
      next[slot] = p;
      fineHeads[b] = slot;
      if (p === NONE) this.fineBits[b >> 5]! |= 1 << (b & 31);
    } else {
      let q = next[p]!;
      while (q !== NONE && (times[q]! < atMs || (times[q] === atMs && seqs[q]! < seq))) {
        p = q;
        q = next[p]!;
      }
      next[slot] = q;
      next[p] = slot;
    }
    if (this.fineSize++ === 0 || f < this.first) this.first = f;
  }

  private grow(slot: number): void {
    let cap = this.next.length * 2;
    while (cap <= slot) cap *= 2;
    this.times = grown(this.times, cap);
    this.seqs = grown(this.seqs, cap);
    this.next = grown(this.next, cap);
  }
}

/**
 * Buckets from `from` to the first one whose bit is set, going round the ring of `bits` (one is
 * set). The bits of `from`'s own word below it belong to the end of the ring: read last.
 */
function firstBit(bits: Int32Array, from: number): number {
  const words = bits.length;
  let w = from >> 5;
  let word = bits[w]! & (-1 << (from & 31));
  while (word === 0) {
    w = (w + 1) & (words - 1);
    word = bits[w]!;
  }
  const b = (w << 5) + 31 - Math.clz32(word & -word);
  return (b - from) & (words * 32 - 1);
}

/** A copy of `array` with room for `capacity` elements (the heap's and the calendar's columns grow so). */
function grown<A extends Float64Array | Int32Array>(array: A, capacity: number): A {
  const copy = new (array.constructor as new (length: number) => A)(capacity);
  copy.set(array);
  return copy;
}
