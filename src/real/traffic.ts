import { timedFaults, trafficSec } from '../faults/timed.js';
import type { Scenario } from '../scenario/schema.js';

type Faults = Scenario['faults'];

/**
 * `--duration` and `--rate-scale` for a real run: the scenario's traffic squeezed (or stretched)
 * to a total duration, every phase keeping its share, and every rate multiplied. The shape of
 * the profile stays, so a retry storm in 6 seconds is still warm-up, storm, calm; the faults'
 * times and the narration's move with it.
 */
export function reshapeTraffic(scenario: Scenario, durationSec: number | undefined, rateScale: number | undefined): Scenario {
  if (durationSec === undefined && rateScale === undefined) return scenario;
  const stretch = durationSec === undefined ? 1 : durationSec / trafficSec(scenario);
  const scale = rateScale ?? 1;
  const phases = scenario.traffic.phases.map((p) => {
    const durationSec = p.durationSec * stretch;
    return p.kind === 'ramp'
      ? { ...p, durationSec, fromPerSec: p.fromPerSec * scale, toPerSec: p.toPerSec * scale }
      : { ...p, durationSec, roundsPerSec: p.roundsPerSec * scale };
  });
  const narration = scenario.narration?.map((n) => (n.atSec === undefined ? n : { ...n, atSec: n.atSec * stretch }));
  return { ...scenario, traffic: { ...scenario.traffic, phases }, faults: stretchFaults(scenario.faults, stretch), narration };
}

function stretchFaults(faults: Faults, stretch: number): Faults {
  if (stretch === 1) return faults;
  const out: Record<string, unknown> = { ...faults };
  for (const { name, fault, times } of timedFaults(faults)) {
    const stretched = { ...fault };
    for (const f of times) stretched[f] = (fault[f] as number) * stretch;
    out[name] = stretched;
  }
  return out as Faults;
}

/**
 * The reshaped timeline as `--set` overrides, for a wallet child started from the scenario file
 * (it applies consumerCrash itself): the faults' times, without which it would crash at the
 * file's times, and the phases' lengths, without which a repeating crash (everySec) would go on
 * until the end of the file's traffic, long after the squeezed run's.
 */
export function timelineOverrides(reshaped: Scenario): string[] {
  const phases = reshaped.traffic.phases.map((p, i) => `traffic.phases.${i}.durationSec=${p.durationSec}`);
  const faults = timedFaults(reshaped.faults).flatMap(({ name, fault, times }) => times.map((f) => `faults.${name}.${f}=${fault[f] as number}`));
  return [...phases, ...faults];
}
