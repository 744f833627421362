import type { Scenario } from '../scenario/schema.js';

type Faults = Scenario['faults'];

/**
 * The fields of each fault that are times on the run's timeline (a start, an end, a period, or a
 * pause or restart that must still fall inside the squeezed traffic): `--duration` stretches them
 * as it stretches the phases, so a crash at a third of the scenario stays at a third of the run.
 * The first field is the fault's start.
 */
const FAULT_TIMES: { readonly [K in keyof Faults]-?: readonly string[] } = {
  responseLoss: ['fromSec', 'toSec'],
  walletSlowdown: ['fromSec', 'toSec'],
  consumerCrash: ['atSec', 'restartAfterSec', 'everySec'],
  duplicateDelivery: ['fromSec', 'toSec'],
  rebalance: ['atSec', 'pauseSec', 'everySec'],
  reorder: ['fromSec', 'toSec'],
  hotPlayer: ['fromSec', 'toSec'],
  roundCancel: ['fromSec', 'toSec'],
};

/** Every fault a scenario can name. */
export const FAULT_NAMES: readonly string[] = Object.keys(FAULT_TIMES);

/** The faults the scenario sets, each with its time fields that are set (FAULT_TIMES) and its start field. */
export function timedFaults(faults: Faults): { name: string; fault: Record<string, unknown>; times: string[]; start: string }[] {
  return Object.entries(FAULT_TIMES).flatMap(([name, fields]) => {
    const fault = (faults as Record<string, Record<string, unknown> | undefined>)[name];
    if (fault === undefined) return [];
    return [{ name, fault, times: fields.filter((f) => typeof fault[f] === 'number'), start: fields[0]! }];
  });
}

/**
 * Whether a fault first due at `start` never acts in a run whose traffic ends at `trafficEnd` and
 * which lasts until `last` (any one unit): the hot player picks the player of new rounds, and none
 * starts once the traffic has ended; the others act on what is in flight until the run's end.
 */
export function neverActs(name: string, start: number, trafficEnd: number, last: number): boolean {
  return start >= (name === 'hotPlayer' ? trafficEnd : last);
}

export function trafficSec(scenario: Scenario): number {
  return scenario.traffic.phases.reduce((sum, p) => sum + p.durationSec, 0);
}

/**
 * Faults that start at or after the end of the traffic, one line each for a note: the run would
 * pass without having tested them. One that starts in the drain acts only on what is still in
 * flight then (retries, wins, the log's backlog); one past the drain timeout never acts at all.
 * drainSec: the drain the run will really have (a real run caps the scenario's).
 */
export function faultsAfterTraffic(scenario: Scenario, drainSec = scenario.run.drainTimeoutSec): string[] {
  const endSec = trafficSec(scenario);
  const lastSec = endSec + drainSec;
  const out: string[] = [];
  for (const { name, fault, start } of timedFaults(scenario.faults)) {
    if (fault.afterRecords !== undefined) continue;
    const startSec = fault[start] as number;
    const where = `faults.${name}.${start} is ${round(startSec)} s`;
    if (startSec >= lastSec) out.push(`${where}, after the run's end (${round(endSec)} s of traffic and ${round(drainSec)} s to drain): it never acts`);
    else if (neverActs(name, startSec, endSec, lastSec)) out.push(`${where}, at or after the end of the traffic (${round(endSec)} s): it never acts, as it picks the player of new rounds`);
    else if (startSec >= endSec) out.push(`${where}, at or after the end of the traffic (${round(endSec)} s): it acts only on the drain, not on the traffic`);
  }
  return out;
}

function round(sec: number): string {
  return String(Math.round(sec * 100) / 100);
}
