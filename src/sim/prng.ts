import type { Random } from '../ports/random.js';

/**
 * xoshiro128** seeded through splitmix32: small, fast, and good enough for simulation.
 * Streams are derived from (seed, name) so that adding draws to one component never shifts the
 * draws of another: the same seed keeps giving the same traffic when a model changes.
 */
export class SeededRandom implements Random {
  /**
   * The step between draws of next(): each is a multiple of it below 1, so 1 - next() is never
   * below it. This is what bounds the tails of exponential and lognormal draws (see maxOf).
   */
  static readonly STEP = 2 ** -32;

  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(readonly seed: number, private readonly path = '') {
    let s = mix32((seed >>> 0) ^ hash32(path));
    const next = (): number => {
      s = (s + 0x9e3779b9) | 0;
      return mix32(s);
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  derive(name: string): SeededRandom {
    return new SeededRandom(this.seed, `${this.path}/${name}`);
  }

  next(): number {
    // xoshiro128** step, in int32 arithmetic throughout: only the result becomes a double (a
    // separate uint32 step returned numbers above 2^31 as heap-allocated doubles).
    const b = this.b;
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9);
    const t = b << 9;
    this.c ^= this.a;
    this.d ^= b;
    this.b = b ^ this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return (result >>> 0) / 4294967296;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function mix32(z: number): number {
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** FNV-1a: turns a stream name into seed material. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * A stateless draw in [0, 1) from a name and a seed: the same txId always gets the same draw, so
 * a fault can pick "this round" consistently across its attempts without remembering anything.
 */
export function hashUnit(text: string, seed: number): number {
  return mix32(hash32(text) ^ mix32(seed >>> 0)) / 4294967296;
}
