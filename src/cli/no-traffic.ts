import { usageError } from '../errors.js';
import { roundsOf, type Scenario } from '../scenario/schema.js';

/**
 * A run that starts less than one round on average checks nothing, and would still pass
 * ("consistent"): refused before it starts. `flags` names what reshaped the traffic (load's
 * --duration and --rate-scale), `does` what the run would do with it, `hint` how to raise it.
 */
export function refuseNoTraffic(scenario: Scenario, words: { readonly flags?: string; readonly does: string; readonly hint: string }): void {
  const rounds = roundsOf(scenario.traffic.phases);
  if (rounds >= 1) return;
  throw usageError('E_NO_TRAFFIC', `the traffic of ${scenario.name}${words.flags ?? ''} starts ${rounds.toPrecision(2)} rounds on average: the run would ${words.does} nothing to check`, words.hint);
}
