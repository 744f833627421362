import { roundsOf, type Scenario } from '../scenario/schema.js';

type Faults = Scenario['faults'];

/**
 * The fields of each fault that are times on the run's timeline (a start, an end, a period, or a
 * pause or restart that must still fall inside the squeezed traffic): `--duration` stretches them
 * as it stretches the phases, so a crash at a third of the scenario stays at a third of the run.
 */
const FAULT_TIMES: { readonly [K in keyof Faults]-?: readonly string[] } = {
  responseLoss: ['fromSec', 'toSec'],
  walletSlowdown: ['fromSec', 'toSec'],
  consumerCrash: ['atSec', 'restartAfterSec', 'everySec'],
  duplicateDelivery: ['fromSec', 'toSec'],
  rebalance: ['atSec', 'pauseSec', 'everySec'],
  reorder: ['fromSec', 'toSec'],
  hotPlayer: ['fromSec', 'toSec'],
};

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
 * The reshaped faults' times as `--set` overrides, for a wallet child started from the scenario
 * file (it applies consumerCrash itself): without them it would crash at the file's times.
 */
export function faultTimeOverrides(reshaped: Scenario): string[] {
  return timedFaults(reshaped.faults).flatMap(({ name, fault, times }) => times.map((f) => `faults.${name}.${f}=${fault[f] as number}`));
}

/**
 * Faults that start at or after the end of the traffic: they would never act on it, and the
 * run would pass without having tested them. One line each, for a note.
 */
export function faultsAfterTraffic(scenario: Scenario): string[] {
  const endSec = trafficSec(scenario);
  const out: string[] = [];
  for (const { name, fault, start } of timedFaults(scenario.faults)) {
    if (fault.afterRecords !== undefined) continue;
    const startSec = fault[start] as number;
    if (startSec >= endSec) out.push(`faults.${name}.${start} is ${round(startSec)} s, at or after the end of the traffic (${round(endSec)} s): it never acts`);
  }
  return out;
}

/** The faults the scenario sets, each with its time fields that are set (FAULT_TIMES) and its start field. */
function timedFaults(faults: Faults): { name: string; fault: Record<string, unknown>; times: string[]; start: string }[] {
  return Object.entries(FAULT_TIMES).flatMap(([name, fields]) => {
    const fault = (faults as Record<string, Record<string, unknown> | undefined>)[name];
    if (fault === undefined) return [];
    return [{ name, fault, times: fields.filter((f) => typeof fault[f] === 'number'), start: fields[0]! }];
  });
}

function trafficSec(scenario: Scenario): number {
  return scenario.traffic.phases.reduce((sum, p) => sum + p.durationSec, 0);
}

function round(sec: number): string {
  return String(Math.round(sec * 100) / 100);
}

/** Rounds the phases start on average: under 1, a run would most likely send nothing and check nothing. */
export function expectedRounds(scenario: Scenario): number {
  return roundsOf(scenario.traffic.phases);
}
