import type { RunReport } from '../report/model.js';

/** A player id inside a problem line of the checker: "bet b72666 of p909 applied 2 times". */
const PLAYER_IN_PROBLEM = /\bp(0|[1-9]\d*)\b/;

/**
 * The player the first problem line names, of the first run that failed: the one a reader looks
 * at first. Only an id of the scenario's population counts (the lines name players as p0…pN);
 * undefined when no problem names one (money not conserved, or every run consistent).
 */
export function firstProblemPlayer(runs: readonly RunReport[], playerCount: number): string | undefined {
  for (const run of runs) {
    for (const problem of run.consistency.problems) {
      const m = PLAYER_IN_PROBLEM.exec(problem);
      if (m !== null && Number(m[1]) < playerCount) return m[0];
    }
  }
  return undefined;
}
