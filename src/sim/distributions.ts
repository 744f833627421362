import type { Random } from '../ports/random.js';
import { SeededRandom } from './prng.js';

/** A distribution as written in a scenario; the unit comes from the field name (…Ms, amount). */
export type DistributionSpec =
  | { readonly dist: 'constant'; readonly value: number }
  | { readonly dist: 'uniform'; readonly min: number; readonly max: number }
  | { readonly dist: 'exponential'; readonly mean: number }
  | { readonly dist: 'lognormal'; readonly median: number; readonly p99: number };

export type Sampler = (rng: Random) => number;

const Z99 = 2.3263478740408408;

/** Compiles a spec once so the hot path draws without re-reading it. */
export function sampler(spec: DistributionSpec): Sampler {
  switch (spec.dist) {
    case 'constant': {
      const v = spec.value;
      return () => v;
    }
    case 'uniform': {
      const { min } = spec;
      const span = spec.max - spec.min;
      return (rng) => min + span * rng.next();
    }
    case 'exponential': {
      const mean = spec.mean;
      return (rng) => -mean * Math.log(1 - rng.next());
    }
    case 'lognormal': {
      // median = e^mu; p99 = e^(mu + z99 * sigma)
      const mu = Math.log(spec.median);
      const sigma = Math.log(spec.p99 / spec.median) / Z99;
      return (rng) => Math.exp(mu + sigma * standardNormal(rng));
    }
  }
}

/**
 * The most a standard normal draw can be: Box-Muller's radius at the smallest 1 - u the random
 * source gives (about 6.66). Computed as standardNormal computes it, so no draw exceeds it.
 */
const Z_MAX = Math.sqrt(-2 * Math.log(SeededRandom.STEP));

/**
 * The largest value a sampler of this spec can draw. Exponential and lognormal tails are unbounded
 * in theory, but each draw comes from uniforms in steps of 2^-32: an exponential draw reaches
 * 22.2 × mean at most, a lognormal one median × (p99 / median)^2.86. Bounds amounts in the schema.
 */
export function maxOf(spec: DistributionSpec): number {
  switch (spec.dist) {
    case 'constant':
      return spec.value;
    case 'uniform':
      return spec.max;
    case 'exponential':
      return -spec.mean * Math.log(SeededRandom.STEP);
    case 'lognormal':
      return Math.exp(Math.log(spec.median) + (Math.log(spec.p99 / spec.median) / Z99) * Z_MAX);
  }
}

/** Integer sampler for money: rounds to whole minor units, never below the given floor. */
export function integerSampler(spec: DistributionSpec, floor: number): Sampler {
  const draw = sampler(spec);
  return (rng) => Math.max(floor, Math.round(draw(rng)));
}

function standardNormal(rng: Random): number {
  // Box-Muller; one value per call keeps the stream position easy to reason about.
  const u = 1 - rng.next();
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Mean of a spec, used for capacity estimates in reports and scenario comments. */
export function meanOf(spec: DistributionSpec): number {
  switch (spec.dist) {
    case 'constant':
      return spec.value;
    case 'uniform':
      return (spec.min + spec.max) / 2;
    case 'exponential':
      return spec.mean;
    case 'lognormal': {
      const sigma = Math.log(spec.p99 / spec.median) / Z99;
      return spec.median * Math.exp((sigma * sigma) / 2);
    }
  }
}
