import { checkAll, checkEach, usageError } from '../errors.js';
import { DEFAULT_TRACE_LIMIT } from '../trace/render.js';
import { parseWhole } from './parse-flags.js';
import { playerRank } from '../provider/players.js';

/** Players traced at most in one run: each prints a block per model, and a trace is read, not skimmed. */
export const MAX_TRACED_PLAYERS = 5;

export interface TraceFlags {
  /** The players to trace, each once, in the order given; empty: no trace. */
  readonly players: readonly string[];
  /** Lines per player and model (0: all). */
  readonly limit: number;
}

/**
 * --trace and --trace-limit. `playerCount`: the scenario's players, when the scenario could be
 * read (else only the form of each id is checked, and the scenario's own problem is listed beside).
 */
export function parseTraceFlags(trace: readonly string[], limitText: string | undefined, playerCount: number | undefined): TraceFlags {
  const players = [...new Set(trace)];
  return checkAll({
    players: () => {
      if (players.length > MAX_TRACED_PLAYERS) {
        throw usageError('E_BAD_FLAG', `--trace names ${players.length} players; at most ${MAX_TRACED_PLAYERS} at a time`, 'trace the players of the first problem lines, then the next ones');
      }
      return checkEach(players, (id) => checkPlayer(id, playerCount));
    },
    limit: () => parseLimit(limitText, players.length > 0),
  });
}

function checkPlayer(id: string, playerCount: number | undefined): string {
  const index = playerRank(id) ?? NaN;
  if (index < (playerCount ?? Infinity)) return id;
  const range = playerCount === undefined ? 'players are p0, p1, …' : `the scenario's players are p0 to p${playerCount - 1}`;
  throw usageError('E_UNKNOWN_PLAYER', `--trace ${id}: no such player (${range})`, 'trace a player a problem line names: "bet b72666 of p909 applied 2 times" is --trace p909');
}

function parseLimit(text: string | undefined, tracing: boolean): number {
  if (text === undefined) return DEFAULT_TRACE_LIMIT;
  if (!tracing) throw usageError('E_BAD_FLAG', '--trace-limit without --trace: there is no trace to limit', 'add --trace PLAYER, or leave --trace-limit out');
  return parseWhole('--trace-limit', text, 0, 1_000_000);
}
