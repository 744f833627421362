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
  // The check keeps its first few problems and ends with "… and N more": that line is a count, not a problem.
  const counted = /^… and ([\d,]+) more$/.exec(problems.at(-1) ?? '');
  const listed = counted === null ? problems.length : problems.length - 1;
  const total = listed + (counted === null ? 0 : Number(counted[1]!.replace(/,/g, '')));
  if (counted !== null && total > SHOWN_PROBLEMS) lines.push(`    (${(total - SHOWN_PROBLEMS).toLocaleString('en-US')} more problems: the replay lists the first ${listed} of the ${total.toLocaleString('en-US')})`);
  else if (problems.length > SHOWN_PROBLEMS) {
    const more = problems.length - SHOWN_PROBLEMS;
    lines.push(`    (${more} more problem line${more === 1 ? '' : 's'}: the replay prints ${more === 1 ? 'it' : 'them'})`);
  }
  lines.push(`    replay: ${shown.replay ?? `walletstorm swarm --replay ${f.seed} --model ${f.model}`}`);
  return `${lines.join('\n')}\n`;
}
