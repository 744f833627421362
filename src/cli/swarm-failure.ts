import type { SeedResult } from '../swarm/swarm.js';

/** Problem lines printed under a failing seed: enough to say why, few enough to scan hundreds of seeds. */
const SHOWN_PROBLEMS = 3;

/**
 * A failing seed: the invariants it broke, the first problems that say why, and its replay (by
 * default the seed's; a shrunk case names its own label and replay command).
 */
export function failureText(f: SeedResult, shown: { label?: string; replay?: string } = {}): string {
  const lines = [`✘ ${shown.label ?? `seed ${f.seed} ${f.model}`}: ${f.violations.join('; ')}`];
  const { problems } = f.run.consistency;
  for (const p of problems.slice(0, SHOWN_PROBLEMS)) lines.push(`    ${p}`);
  // A cut is said, not silent: the replay prints every line the check kept.
  if (problems.length > SHOWN_PROBLEMS) lines.push(`    (${problems.length - SHOWN_PROBLEMS} more problem lines: the replay prints them)`);
  lines.push(`    replay: ${shown.replay ?? `walletstorm swarm --replay ${f.seed} --model ${f.model}`}`);
  return `${lines.join('\n')}\n`;
}
