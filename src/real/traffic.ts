import { usageError } from '../errors.js';
import type { Scenario } from '../scenario/schema.js';

/**
 * `--duration` and `--rate-scale` for a real run: the scenario's traffic squeezed (or stretched)
 * to a total duration, every phase keeping its share, and every rate multiplied. The shape of
 * the profile stays, so a retry storm in 6 seconds is still warm-up, storm, calm.
 */
export function reshapeTraffic(scenario: Scenario, durationSec: number | undefined, rateScale: number | undefined): Scenario {
  if (durationSec === undefined && rateScale === undefined) return scenario;
  const total = scenario.traffic.phases.reduce((sum, p) => sum + p.durationSec, 0);
  const stretch = durationSec === undefined ? 1 : durationSec / total;
  const scale = rateScale ?? 1;
  const phases = scenario.traffic.phases.map((p) => {
    const durationSec = p.durationSec * stretch;
    return p.kind === 'ramp'
      ? { ...p, durationSec, fromPerSec: p.fromPerSec * scale, toPerSec: p.toPerSec * scale }
      : { ...p, durationSec, roundsPerSec: p.roundsPerSec * scale };
  });
  return { ...scenario, traffic: { ...scenario.traffic, phases } };
}

export function parsePositive(flag: string, value: string | undefined, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || n > max) throw usageError('E_BAD_FLAG', `${flag} must be a number above 0 and at most ${max}, got "${value}"`);
  return n;
}
