import { roundsOf, type Scenario } from '../scenario/schema.js';

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

/** Rounds the phases start on average: under 1, a run would most likely send nothing and check nothing. */
export function expectedRounds(scenario: Scenario): number {
  return roundsOf(scenario.traffic.phases);
}
