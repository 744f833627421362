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
    const times = new Float64Array(cap);
    times.set(this.times);
    const seqs = new Float64Array(cap);
    seqs.set(this.seqs);
    const slots = new Int32Array(cap);
    slots.set(this.slots);
    this.times = times;
    this.seqs = seqs;
    this.slots = slots;
  }
}
