/**
 * The `trace it:` hint after a failed simulate or compare without --trace: it names the player
 * the checker found first (DriveResult.firstProblemPlayer), never one read back out of the
 * report's problem lines, and still points at a trace when no problem is about a player.
 */
import { describe, expect, it } from 'vitest';
import { writeTraceOutput, type TraceOutput } from '../src/cli/trace-output.js';
import type { Report, RunReport } from '../src/report/model.js';

const REPLAY = 'walletstorm simulate steady --seed 1';

function hintOf(runs: readonly Pick<RunReport['consistency'], 'ok' | 'problems'>[], more: Partial<TraceOutput> = {}, conserved = true): string {
  let out = '';
  const report = { runs: runs.map((c) => ({ consistency: { ...c, conservation: { ok: conserved } } })) } as unknown as Report;
  writeTraceOutput({ flags: { players: [], limit: 100 }, traces: [], report, replay: REPLAY, color: false, write: (t) => (out += t), ...more });
  return out;
}

describe('trace it:', () => {
  it("names the checker's player, whatever the problem lines say", () => {
    // The words name p7 first; the checker found p3's problem first: the hint trusts the checker.
    expect(hintOf([{ ok: false, problems: ['bet b1 of p7 applied 2 times'] }], { firstProblemPlayer: 'p3' })).toBe(`trace it: ${REPLAY} --trace p3\n`);
  });

  it('still points at a trace when money is not conserved and no problem is about a player (it printed nothing)', () => {
    const hint = hintOf([{ ok: false, problems: ['money is not conserved: initial 3000, players 2900, house 105'] }], {}, false);
    expect(hint).toBe(`trace it: money is not conserved across players and house, and no problem is about one player; pick one: ${REPLAY} --trace PLAYER\n`);
  });

  it('says nothing for a consistent run, a real run (no command replays it), or with --trace', () => {
    expect(hintOf([{ ok: true, problems: [] }])).toBe('');
    expect(hintOf([{ ok: false, problems: ['x'] }], { replay: undefined, firstProblemPlayer: 'p3' })).toBe('');
    expect(hintOf([{ ok: false, problems: ['x'] }], { flags: { players: ['p1'], limit: 100 }, firstProblemPlayer: 'p3' })).not.toContain('trace it:');
  });
});
