import { doubleZeros, PAGE_MASK, RefColumn } from './columns.js';

/**
 * An insert-only set of strings that hands each one a dense id: 0, 1, 2, ... in insertion order.
 * Callers keep per-key data in their own columns (see columns.ts, indexed by id), so a key costs no
 * object of its own.
 *
 * Why not Map<string, number>: the ledger keeps millions of txIds. A Map insert there costs
 * ~600 ns and its growth rehashes every entry, and a new key needs a `get` then a `set` (two
 * probes). This table is open addressing with linear probing over one array of numbers: one probe
 * finds or inserts a key, growth re-slots ids from the hash bits kept in the slots without
 * touching the strings, and the only other per-key heap cost is one reference in `keys`.
 *
 * Nothing ever iterates in slot (hash) order, so hash order can never leak into anything
 * observable; ids and `keyOf` follow insertion order.
 */
export class StringTable {
  /**
   * One number per slot: 0 for an empty slot, else tag * 2^ID_BITS + id + 1 for the key stored
   * there, where the tag is TAG_BITS bits of the key's hash. The slot a key goes to is picked by
   * the low bits of its tag, so growth re-slots every key from its slot alone; the tag is
   * compared before the strings to skip most mismatches. A table of millions of keys is far bigger
   * than the CPU's caches, and a probe into it is a cache miss; eight slots share a cache line,
   * so a probe run rarely takes a second one.
   *
   * One double per slot rather than id and full hash side by side in two numbers, and up to 3/4
   * full rather than 1/2: a quarter of the bytes. The slots are most of the table's memory, and on
   * a machine where touching a fresh page costs ~10 µs the first touch of the slots (filling a new
   * array at every growth) was 4% (request model) to 12% (event model, two tables) of a bench:sim
   * round's profile. A plain array of doubles on the JS heap (doubleZeros), not a Float64Array:
   * typed-array memory is external, and hundreds of MB of it made V8 finish its incremental
   * marking at once (see columns.ts).
   */
  private slots: number[];
  /** Slot count - 1 (the slot count is a power of two). */
  private mask: number;
  /** Keys by id (paged: see RefColumn for why not one growing array). */
  private readonly keys = new RefColumn<string>();
  private count = 0;

  constructor(expectedKeys = 1024) {
    const slots = slotCountFor(expectedKeys);
    this.slots = doubleZeros(slots);
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
    const tag = tagOf(key);
    const tagged = tag * ID_UNIT;
    const { slots, mask } = this;
    for (let slot = tag & mask; ; slot = (slot + 1) & mask) {
      const packed = slots[slot]!;
      if (packed === 0) return -1;
      const idPlus1 = packed - tagged;
      if (idPlus1 > 0 && idPlus1 < ID_UNIT && this.keys.get(idPlus1 - 1) === key) return idPlus1 - 1;
    }
  }

  /**
   * The id of `key`, inserting it first if it is new (then the id is the previous `size`, which
   * is how a caller tells a new key from a known one).
   */
  findOrInsert(key: string): number {
    const tag = tagOf(key);
    const tagged = tag * ID_UNIT;
    const { slots, mask } = this;
    let slot = tag & mask;
    for (; ; slot = (slot + 1) & mask) {
      const packed = slots[slot]!;
      if (packed === 0) break;
      const idPlus1 = packed - tagged;
      if (idPlus1 > 0 && idPlus1 < ID_UNIT && this.keys.get(idPlus1 - 1) === key) return idPlus1 - 1;
    }
    const id = this.count;
    if (id + 1 >= ID_UNIT) throw new Error(`StringTable: more than ${ID_UNIT - 2} keys`);
    this.count++;
    if ((id & PAGE_MASK) === 0) this.keys.ensure(id);
    this.keys.set(id, key);
    slots[slot] = tagged + id + 1;
    // At most 3/4 full: linear probe runs stay a few slots long, within a cache line or two.
    if (this.count * 4 > (mask + 1) * 3) this.grow();
    return id;
  }

  /**
   * Doubles the slot count and re-slots every key by the tag in its slot. Each key lands at its
   * old home or that plus the old slot count, so the new array is written nearly in order.
   */
  private grow(): void {
    const old = this.slots;
    const slots = doubleZeros(old.length * 2);
    const mask = slots.length - 1;
    for (let o = 0; o < old.length; o++) {
      const packed = old[o]!;
      if (packed === 0) continue;
      let slot = Math.floor(packed / ID_UNIT) & mask;
      while (slots[slot] !== 0) slot = (slot + 1) & mask;
      slots[slot] = packed;
    }
    this.slots = slots;
    this.mask = mask;
  }
}

/**
 * A slot holds tag * 2^ID_BITS + id + 1 below 2^53, exact in a double. 2^26 - 2 keys (67
 * million, several GB of keys and data) is beyond what a heap holds anyway; TAG_BITS bits
 * pick a slot among up to 2^27 (enough for that many keys at 3/4 full).
 */
const ID_BITS = 26;
const TAG_BITS = 53 - ID_BITS;
/** Every id + 1 is below this: stores may pack an id (+ 1) with another number below 2^27 in one double. */
export const ID_UNIT = 2 ** ID_BITS;

/** The top TAG_BITS bits of the key's hash: they depend on every character (see hashString). */
function tagOf(key: string): number {
  return hashString(key) >>> (32 - TAG_BITS);
}

/** Smallest power of two that keeps `keys` at most 3/4 full (at least 16). */
function slotCountFor(keys: number): number {
  let slots = 16;
  while (slots * 3 < keys * 4) slots *= 2;
  return slots;
}

/**
 * 32-bit FNV-1a over UTF-16 code units, with a final mix (the first half of murmur3's fmix32) so that
 * the bits used to pick a slot depend on every character: txIds such as "b1".."b999999"
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
