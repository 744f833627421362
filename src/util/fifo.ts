import { doubleZeros } from './columns.js';

/** A FIFO queue on a growable array with a moving head: O(1) push and shift. */
export class Fifo<T> {
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head++] = undefined;
    // Compact once the dead prefix dominates, so memory follows the live length.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/**
 * A FIFO queue of pairs of numbers, on a ring of doubles grown by doubling: no object per pair.
 * For queues whose items live long (a hybrid wallet's reservations live a TTL, tens of seconds of
 * simulated time): an object per item survived two scavenges, copied by each, on its way to the
 * old generation, and the array of references to them was copied again at every compaction.
 */
export class PairFifo {
  /** Pair k of the queue at 2 * ((head + k) & mask): its first number, then its second. */
  private ring = doubleZeros(2 * 64);
  /** Pairs the ring holds, - 1 (a power of two, - 1). */
  private mask = 63;
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(first: number, second: number): void {
    if (this.count > this.mask) this.grow();
    const at = 2 * ((this.head + this.count) & this.mask);
    this.ring[at] = first;
    this.ring[at + 1] = second;
    this.count++;
  }

  /** The first number of the oldest pair (only while length > 0). */
  headFirst(): number {
    return this.ring[2 * this.head]!;
  }

  /** The second number of the oldest pair (only while length > 0). */
  headSecond(): number {
    return this.ring[2 * this.head + 1]!;
  }

  /** Drops the oldest pair (only while length > 0). */
  shift(): void {
    this.head = (this.head + 1) & this.mask;
    this.count--;
  }

  private grow(): void {
    const old = this.ring;
    const ring = doubleZeros(2 * old.length);
    for (let k = 0; k < this.count; k++) {
      const from = 2 * ((this.head + k) & this.mask);
      ring[2 * k] = old[from]!;
      ring[2 * k + 1] = old[from + 1]!;
    }
    this.ring = ring;
    this.mask = old.length - 1;
    this.head = 0;
  }
}
