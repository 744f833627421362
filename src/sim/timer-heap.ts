/**
 * A 4-ary min-heap keyed by (time, sequence). Keys live in typed arrays beside the payloads so
 * that comparisons walk contiguous memory instead of chasing objects: the event loop spends most
 * of its time here. Four children per node halve the depth of a binary heap.
 */
export class TimerHeap<T> {
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private items: (T | undefined)[] = new Array(1024);
  size = 0;

  peekTime(): number {
    return this.times[0]!;
  }

  peekSeq(): number {
    return this.seqs[0]!;
  }

  peek(): T | undefined {
    return this.size > 0 ? this.items[0] : undefined;
  }

  push(atMs: number, seq: number, item: T): void {
    if (this.size === this.times.length) this.grow();
    const { times, seqs, items } = this;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const pt = times[parent]!;
      if (pt < atMs || (pt === atMs && seqs[parent]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      items[i] = items[parent];
      i = parent;
    }
    times[i] = atMs;
    seqs[i] = seq;
    items[i] = item;
  }

  /** Removes and returns the minimum. */
  pop(): T | undefined {
    if (this.size === 0) return undefined;
    const { times, seqs, items } = this;
    const top = items[0];
    const n = --this.size;
    const t = times[n]!;
    const s = seqs[n]!;
    const item = items[n];
    items[n] = undefined;
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
      items[i] = items[best];
      i = best;
    }
    if (n > 0) {
      times[i] = t;
      seqs[i] = s;
      items[i] = item;
    }
    return top;
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const times = new Float64Array(cap);
    times.set(this.times);
    const seqs = new Float64Array(cap);
    seqs.set(this.seqs);
    this.times = times;
    this.seqs = seqs;
    this.items.length = cap;
  }
}
