/**
 * End to end: `simulate --trace` through the built CLI (README, "The story of one player").
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { walletstorm } from './support/cli.js';

/** The classic double charge, small: answers lost on their way back, retried into a naive wallet. */
const LOSSY = [
  'simulate', 'steady', '--model', 'request', '--seed', '1', '--report', 'summary', '--no-ui',
  '--set', 'traffic.phases.0.durationSec=5', '--set', 'players.count=200',
  '--set', 'wallet.idempotency=off', '--set', 'faults.responseLoss={rate: 0.05}',
];

const tmp = mkdtempSync(join(tmpdir(), 'walletstorm-trace-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The report without what the wall clock decides. */
function figures(file: string): unknown {
  const { timing: _timing, ...report } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  return report;
}

describe('simulate --trace', () => {
  const untraced = walletstorm([...LOSSY, '--json', join(tmp, 'plain.json')]);
  const hint = untraced.stdout.trimEnd().split('\n').at(-1)!;
  const player = /--trace (p\d+)$/.exec(hint)?.[1];

  it('a failing run ends with the command that traces the player of its first problem', () => {
    expect(untraced.status).toBe(1);
    expect(untraced.stdout).toMatch(/^ {4}bet b\d+ of (p\d+) applied 2 times$/m);
    const firstProblem = /^ {4}\w+ \w+ of (p\d+) /m.exec(untraced.stdout)![1];
    expect(hint).toBe(`trace it: walletstorm simulate steady --model request --seed 1 ${LOSSY.slice(9).map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')} --trace ${firstProblem}`);
    expect(player).toBe(firstProblem);
  });

  it("prints that player's story after the report: the lost answer, the retry, the duplicate; the report unchanged", () => {
    const traced = walletstorm([...LOSSY, '--trace', player!, '--json', join(tmp, 'traced.json')]);
    expect(traced.status).toBe(1);
    expect(figures(join(tmp, 'traced.json'))).toEqual(figures(join(tmp, 'plain.json')));
    // The report's lines come first, as without --trace, and no hint: the trace is there.
    expect(traced.stdout.startsWith(untraced.stdout.slice(0, untraced.stdout.lastIndexOf('trace it:')))).toBe(true);
    expect(traced.stdout).not.toContain('trace it:');
    expect(traced.stdout).toMatch(new RegExp(`^trace ${player} · request · \\d+ operations?, \\d+ ledger entries, 1 applied more than once, balance 1,000,000 → [\\d,]+ · times in run ms$`, 'm'));
    expect(traced.stdout).toMatch(/ network {3}b\d+ answer to attempt 1 lost on its way back: OK, balance [\d,]+$/m);
    expect(traced.stdout).toMatch(/ wallet {4}b\d+ bet -[\d,]+ applied again, balance [\d,]+ {2}◀ DUPLICATE: bet b\d+ applied a 2nd time$/m);
    // Same scenario and seed, same story, byte for byte.
    expect(walletstorm([...LOSSY, '--trace', player!]).stdout).toBe(traced.stdout);
  });

  it('--trace-limit cuts each story around its first problem and says how much it left out', () => {
    const cut = walletstorm([...LOSSY, '--trace', player!, '--trace-limit', '4']).stdout;
    const story = cut.slice(cut.indexOf(`trace ${player}`)).trimEnd().split('\n');
    const shown = story.filter((l) => /^ {2}[ \d,]+\.\d /.test(l));
    expect(shown).toHaveLength(4);
    expect(story.some((l) => /^ {2}… [\d,]+ more lines? \(--trace-limit 0 shows every line\)$/.test(l))).toBe(true);
    expect(shown.join('\n')).toMatch(/opened/);
  });

  it('the window reaches a first problem that is no duplicate, marked with the checker\'s verdict: a late rejection past the 100th line', () => {
    const r = walletstorm(['simulate', 'low-balance', '--model', 'event', '--report', 'summary', '--no-ui', '--trace', 'p100']);
    expect(r.status, r.stderr).toBe(0);
    const story = r.stdout.slice(r.stdout.indexOf('trace p100'));
    expect(story).toMatch(/^trace p100 · event · 100 operations, 40 ledger entries, 30 rejected late, 30 failed events, balance 3,000 → 33 · times in run ms$/m);
    const earlier = Number(/^ {2}… ([\d,]+) earlier lines/m.exec(story)?.[1]?.replace(',', ''));
    expect(earlier).toBeGreaterThan(100);
    const late = / provider {2}(b\d+) bet ended ok after 1 attempt {2}◀ LATE REJECTION: accepted, then refused INSUFFICIENT_FUNDS when applied$/m.exec(story);
    expect(late, story).not.toBeNull();
    // The wallet's own line for the refusal, as for an entry: no entry, the balance as it was.
    expect(story).toMatch(new RegExp(` wallet {4}${late![1]} bet -[\\d,]+ refused INSUFFICIENT_FUNDS, balance [\\d,]+$`, 'm'));
  });

  it('compare traces the player in every model', () => {
    const r = walletstorm(['compare', 'steady', '--seed', '1', '--report', 'summary', '--no-ui', '--set', 'traffic.phases.0.durationSec=1', '--trace', 'p0', '--trace', 'p1', '--trace-limit', '3']);
    expect(r.status).toBe(0);
    expect(r.stdout.match(/^trace p\d · \w+ · .*$/gm)!.map((l) => l.split(' · ').slice(0, 2).join(' · '))).toEqual(
      ['request', 'event', 'hybrid'].flatMap((m) => [`trace p0 · ${m}`, `trace p1 · ${m}`]),
    );
  });
});

describe('load --trace: the same story against a real wallet, its ledger read from the audit endpoint', () => {
  it('shows answers the client-side responseLoss ignored, and the entries the retries added', () => {
    const r = walletstorm([
      'load', 'steady', '--target', 'local', '--duration', '3', '--report', 'summary',
      '--set', 'players.count=20', '--set', 'wallet.idempotency=off', '--set', 'faults.responseLoss={rate: 0.1}',
      '--set', 'provider.timeoutMs=300', '--set', 'provider.retry.backoffMs=50', '--trace', 'p0', '--trace-limit', '0',
    ]);
    expect(r.status, r.stderr).toBe(1);
    const story = r.stdout.slice(r.stdout.indexOf('trace p0 · request · '));
    // Then, it may be, the other problems the checker found for p0 (a real run's timing decides them).
    expect(story).toMatch(/^trace p0 · request · \d+ operations, \d+ ledger entries, \d+ applied more than once(, [^·]+)?, balance 1,000,000 → [\d,]+ · times in run ms$/m);
    expect(story).toMatch(/ network {3}b\d+ answer to attempt 1 lost on its way back: OK, balance [\d,]+$/m);
    const dup = / wallet {4}(b\d+) bet -[\d,]+ applied again, balance [\d,]+ {2}◀ DUPLICATE/m.exec(story)!;
    expect(dup, story).not.toBeNull();
    expect(story).toMatch(new RegExp(`^ .* provider  ${dup[1]} attempt 2 sent again, same txId$`, 'm'));
    expect(r.stdout).not.toContain('trace it:');
  }, 60_000);

  it("shows the settlements an event-driven wallet refused when applied, read from its refusals (GET /wallet/refusals)", () => {
    const r = walletstorm([
      'load', 'low-balance', '--target', 'local', '--model', 'event', '--duration', '3', '--report', 'summary',
      '--set', 'players.count=5', '--trace', 'p0', '--trace-limit', '0',
    ]);
    expect(r.status, r.stderr).toBe(0);
    const story = r.stdout.slice(r.stdout.indexOf('trace p0 · event · '));
    expect(story).toMatch(/^trace p0 · event · [\d,]+ operations, [\d,]+ ledger entries, [\d,]+ rejected late/m);
    const late = / provider {2}(b\d+) bet ended ok after 1 attempt {2}◀ LATE REJECTION: accepted, then refused INSUFFICIENT_FUNDS when applied$/m.exec(story);
    expect(late, story).not.toBeNull();
    expect(story).toMatch(new RegExp(` wallet {4}${late![1]} bet -[\\d,]+ refused INSUFFICIENT_FUNDS, balance [\\d,]+$`, 'm'));
  }, 60_000);

  it('an unknown player is refused before a wallet is started', () => {
    const r = walletstorm(['load', 'steady', '--target', 'local', '--trace', 'p20000']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('(E_UNKNOWN_PLAYER, exit 2)');
    expect(r.stderr).not.toContain('walletstorm load: steady against');
  });
});

describe('--trace usage errors (exit 2)', () => {
  it('a player not in the population is E_UNKNOWN_PLAYER, with the players there are', () => {
    const r = walletstorm(['simulate', 'steady', '--trace', 'p20000']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("--trace p20000: no such player (the scenario's players are p0 to p19999)");
    expect(r.stderr).toContain('hint: trace a player a problem line names');
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('(E_UNKNOWN_PLAYER, exit 2)');
  });

  it('is listed with the command line\'s other problems, as --set players.count decides who exists', () => {
    const r = walletstorm(['simulate', 'steady', '--seed', 'abc', '--set', 'players.count=10', '--trace', 'p10', '--trace', 'bob', '--trace', 'p9']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('3 problems in this command line');
    expect(r.stderr).toContain('E_UNKNOWN_PLAYER  --trace p10: no such player (the scenario\'s players are p0 to p9)');
    expect(r.stderr).toContain('E_UNKNOWN_PLAYER  --trace bob: no such player');
    expect(r.stderr).toContain('E_BAD_SEED');
  });

  it('more than five players, and --trace-limit without --trace or not a number, are E_BAD_FLAG', () => {
    const six = ['p0', 'p1', 'p2', 'p3', 'p4', 'p5'].flatMap((p) => ['--trace', p]);
    const cases: [string[], string][] = [
      [six, '--trace names 6 players; at most 5 at a time'],
      [['--trace-limit', '10'], '--trace-limit without --trace: there is no trace to limit'],
      [['--trace', 'p1', '--trace-limit', 'ten'], '--trace-limit must be a whole number from 0 to 1000000, got "ten"'],
    ];
    for (const [flags, message] of cases) {
      const r = walletstorm(['simulate', 'steady', ...flags]);
      expect(r.status, flags.join(' ')).toBe(2);
      expect(r.stderr).toContain(message);
      expect(r.stderr).toContain('(E_BAD_FLAG, exit 2)');
    }
  });
});
