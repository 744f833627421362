import { PAGE_MASK, RefColumn } from './columns.js';

/**
 * An insert-only set of strings that hands each one a dense id: 0, 1, 2, ... in insertion order.
 * Callers keep per-key data in their own columns (see columns.ts, indexed by id), so a key costs no
 * object of its own.
 *
 * Why not Map<string, number>: the ledger keeps millions of txIds. A Map insert there costs
 * ~600 ns and its growth rehashes every entry, and a new key needs a `get` then a `set` (two
 * probes). This table is open addressing with linear probing over integer arrays: one probe finds
 * or inserts a key, growth re-slots ids from the stored hashes without touching the strings, and
 * the only per-key heap cost is one reference in `keys`.
 *
 * Nothing ever iterates in slot (hash) order, so hash order can never leak into anything
 * observable; ids and `keyOf` follow insertion order.
 */
export class StringTable {
  /**
   * Two numbers per slot, side by side so that a probe touches one cache line: at 2 * slot the
   * id + 1 of the key stored there (0 for an empty slot), at 2 * slot + 1 the full hash of its
   * key, compared before the strings to skip most mismatches. A table of millions of keys is far
   * bigger than the CPU's caches, and a probe into it is a cache miss: one, not two.
   */
  private slots: number[];
  /** Slot count - 1 (the slot count is a power of two). */
  private mask: number;
  /** Keys by id (paged: see RefColumn for why not one growing array). */
  private readonly keys = new RefColumn<string>();
  private count = 0;

  constructor(expectedKeys = 1024) {
    const slots = slotCountFor(expectedKeys);
    this.slots = zeros(2 * slots);
    this.mask = slots - 1;
  }

  /** Number of keys (and the id the next new key gets). */
  get size(): number {
    return this.count;
  }

  keyOf(id: number): string {
    return this.keys.get(id)!;
  }

  /** The id of `key`, or -1 if it was never inserted. */
  find(key: string): number {
    const hash = hashString(key);
    const slots = this.slots;
    for (let slot = hash & this.mask; ; slot = (slot + 1) & this.mask) {
      const idPlus1 = slots[2 * slot]!;
      if (idPlus1 === 0) return -1;
      if (slots[2 * slot + 1] === hash && this.keys.get(idPlus1 - 1) === key) return idPlus1 - 1;
    }
  }

  /**
   * The id of `key`, inserting it first if it is new (then the id is the previous `size`, which
   * is how a caller tells a new key from a known one).
   */
  findOrInsert(key: string): number {
    const hash = hashString(key);
    const slots = this.slots;
    let slot = hash & this.mask;
    for (; ; slot = (slot + 1) & this.mask) {
      const idPlus1 = slots[2 * slot]!;
      if (idPlus1 === 0) break;
      if (slots[2 * slot + 1] === hash && this.keys.get(idPlus1 - 1) === key) return idPlus1 - 1;
    }
    const id = this.count++;
    if ((id & PAGE_MASK) === 0) this.keys.ensure(id);
    this.keys.set(id, key);
    slots[2 * slot] = id + 1;
    slots[2 * slot + 1] = hash;
    // At most half full: probe runs stay short.
    if (this.count * 2 > this.mask + 1) this.grow();
    return id;
  }

  /** Doubles the slot count and re-slots every id by its stored hash (no string is rehashed). */
  private grow(): void {
    const old = this.slots;
    const slots = zeros(old.length * 2);
    const mask = (this.mask + 1) * 2 - 1;
    for (let o = 0; o < old.length; o += 2) {
      const idPlus1 = old[o]!;
      if (idPlus1 === 0) continue;
      const hash = old[o + 1]!;
      let slot = hash & mask;
      while (slots[2 * slot] !== 0) slot = (slot + 1) & mask;
      slots[2 * slot] = idPlus1;
      slots[2 * slot + 1] = hash;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/**
 * Slots are arrays of small integers on the JS heap rather than Int32Arrays: typed-array memory
 * is external, and hundreds of MB of it made V8 finish its incremental marking at once (see
 * columns.ts). Int32 values are Smis on 64-bit V8, so these arrays hold no pointers.
 */
function zeros(length: number): number[] {
  return new Array<number>(length).fill(0);
}

/** Smallest power of two that keeps `keys` at most half full (at least 16). */
function slotCountFor(keys: number): number {
  let slots = 16;
  while (slots < keys * 2) slots *= 2;
  return slots;
}

/**
 * 32-bit FNV-1a over UTF-16 code units, with a final mix (the first half of murmur3's fmix32) so that
 * the low bits used to pick a slot depend on every character: txIds such as "b1".."b999999"
 * differ only in their last characters.
 */
export function hashString(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash | 0;
}
