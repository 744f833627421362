/**
 * A 4-ary min-heap of calls `fn(arg)` keyed by (time, sequence). Keys live in typed arrays beside
 * the payloads so that comparisons walk contiguous memory instead of chasing objects: the event
 * loop spends most of its time here. Four children per node halve the depth of a binary heap.
 * A call is a function and its argument in two parallel arrays, not an object: the simulator
 * schedules millions of them, and an object (or a closure) per event was garbage to collect.
 */
export class TimerHeap<F, A> {
  private times = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private fns: (F | undefined)[] = new Array(1024);
  private args: (A | undefined)[] = new Array(1024);
  size = 0;

  peekTime(): number {
    return this.times[0]!;
  }

  peekSeq(): number {
    return this.seqs[0]!;
  }

  /** The function of the earliest call (undefined when empty); its argument is `peekArg()`. */
  peekFn(): F | undefined {
    return this.size > 0 ? this.fns[0] : undefined;
  }

  peekArg(): A | undefined {
    return this.args[0];
  }

  push(atMs: number, seq: number, fn: F, arg: A): void {
    if (this.size === this.times.length) this.grow();
    const { times, seqs, fns, args } = this;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 2;
      const pt = times[parent]!;
      if (pt < atMs || (pt === atMs && seqs[parent]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      fns[i] = fns[parent];
      args[i] = args[parent];
      i = parent;
    }
    times[i] = atMs;
    seqs[i] = seq;
    fns[i] = fn;
    args[i] = arg;
  }

  /** Removes the minimum (read it first with peekFn/peekArg). */
  pop(): void {
    if (this.size === 0) return;
    const { times, seqs, fns, args } = this;
    const n = --this.size;
    const t = times[n]!;
    const s = seqs[n]!;
    const fn = fns[n];
    const arg = args[n];
    fns[n] = undefined;
    args[n] = undefined;
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
      fns[i] = fns[best];
      args[i] = args[best];
      i = best;
    }
    if (n > 0) {
      times[i] = t;
      seqs[i] = s;
      fns[i] = fn;
      args[i] = arg;
    }
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const times = new Float64Array(cap);
    times.set(this.times);
    const seqs = new Float64Array(cap);
    seqs.set(this.seqs);
    this.times = times;
    this.seqs = seqs;
    this.fns.length = cap;
    this.args.length = cap;
  }
}
