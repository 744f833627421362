/**
 * Scenario files: the shipped ones parse, and every invalid input becomes one ScenarioError
 * (E_SCENARIO_INVALID, exit 2) whose message names the field path and the line, all problems
 * at once. `--set` overrides go through the same schema.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { WalletstormError } from '../src/errors.js';
import type { Random } from '../src/ports/random.js';
import { loadScenario, parseScenario, ScenarioError, SHIPPED_DIR } from '../src/scenario/load.js';
import { maxOf, sampler, type DistributionSpec } from '../src/sim/distributions.js';
import { SeededRandom } from '../src/sim/prng.js';

const FILE = 'test.yaml';

/** A minimal valid scenario, one field per line so line numbers are easy to read off. */
const MINIMAL = [
  'name: mini', //                  1
  'traffic:', //                    2
  '  phases:', //                   3
  '    - kind: steady', //          4
  '      durationSec: 5', //        5
  '      roundsPerSec: 10', //      6
  'wallet:', //                     7
  '  idempotency: on', //           8
  '',
].join('\n');

/** MINIMAL with line `n` (1-based) replaced. */
const withLine = (n: number, text: string) => MINIMAL.split('\n').map((l, i) => (i === n - 1 ? text : l)).join('\n');

function invalid(text: string, overrides: readonly string[] = [], file = FILE): ScenarioError {
  let caught: unknown;
  try {
    parseScenario(text, file, overrides);
  } catch (error) {
    caught = error;
  }
  expect(caught, 'parseScenario should have thrown').toBeInstanceOf(ScenarioError);
  const e = caught as ScenarioError;
  expect(e).toBeInstanceOf(WalletstormError);
  expect(e.code).toBe('E_SCENARIO_INVALID');
  expect(e.exitCode).toBe(2);
  expect(e.problems.length).toBeGreaterThan(0);
  expect(e.message).toContain(`${e.problems.length} problem`);
  return e;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The problem for `path` exists, sits on `line`, and the message shows both as `file:line … path`. */
function expectProblem(e: ScenarioError, path: string, line: number | readonly number[], messagePart?: RegExp) {
  const problem = e.problems.find((p) => p.path === path);
  expect(problem, `no problem for ${path} in ${JSON.stringify(e.problems)}`).toBeDefined();
  const lines = typeof line === 'number' ? [line] : line;
  expect(problem!.line).toBeOneOf([...lines]);
  const shown = path === '' ? '(top level)' : path;
  expect(e.message).toMatch(new RegExp(`${escape(FILE)}:${problem!.line}(:\\d+)?\\s+${escape(shown)}:`));
  if (messagePart) expect(problem!.message).toMatch(messagePart);
}

describe('shipped scenarios', () => {
  const files = readdirSync(SHIPPED_DIR).filter((f) => f.endsWith('.yaml')).sort();

  it('include the documented ones', () => {
    expect(files).toEqual(expect.arrayContaining(['steady.yaml', 'peak-traffic.yaml']));
  });

  it.each(files)('%s parses, and loads by its name', (file) => {
    const text = readFileSync(join(SHIPPED_DIR, file), 'utf8');
    const scenario = parseScenario(text, file);
    expect(scenario.name.length).toBeGreaterThan(0);
    expect(scenario.traffic.phases.length).toBeGreaterThan(0);
    const byName = loadScenario(file.replace(/\.yaml$/, ''));
    expect(byName.scenario).toEqual(scenario);
  });
});

describe('a minimal scenario', () => {
  it('parses and gets the documented defaults', () => {
    const s = parseScenario(MINIMAL, FILE);
    expect(s.name).toBe('mini');
    expect(s.seed).toBe(1);
    expect(s.traffic.arrivals).toBe('poisson');
    expect(s.traffic.phases).toEqual([{ kind: 'steady', durationSec: 5, roundsPerSec: 10 }]);
    expect(s.wallet.idempotency).toBe('on');
    expect(s.provider.retry.txId).toBe('reuse');
  });
});

describe('invalid scenarios name the field and the line', () => {
  it('a wrong type: roundsPerSec: fast', () => {
    const e = invalid(withLine(6, '      roundsPerSec: fast'));
    expectProblem(e, 'traffic.phases.0.roundsPerSec', 6);
    expect(e.problems).toHaveLength(1);
  });

  it('a retry backoff above its cap (it would be capped to maxBackoffMs, silently)', () => {
    const text = `${MINIMAL}provider:\n  retry:\n    backoffMs: 1000\n    maxBackoffMs: 0\n`;
    expectProblem(invalid(text), 'provider.retry', [10, 11], /backoffMs \(1000\) is above maxBackoffMs \(0\)/);
    const e = invalid(MINIMAL, ['provider.settlementRetry.backoffMs=90000']);
    expect(e.problems.map((p) => [p.path, p.line])).toEqual([['provider.settlementRetry', undefined]]);
    expect(e.message).toContain('from --set provider.settlementRetry.backoffMs=90000');
    // The cap lowered by a --set: that --set is named, not a line of the file.
    const capped = invalid(`${MINIMAL}provider:\n  retry:\n    backoffMs: 1000\n    maxBackoffMs: 5000\n`, ['provider.retry.maxBackoffMs=500']);
    expect(capped.problems.map((p) => [p.path, p.line])).toEqual([['provider.retry', undefined]]);
    expect(capped.message).toContain('(from --set provider.retry.maxBackoffMs=500)');
  });

  it('a problem in a value a --set wrote names the --set, not a line of the file', () => {
    const e = invalid(MINIMAL, ['thresholds=["p99(ack.bett)<1"]', 'wallet.idempotency=maybe']);
    expect(e.problems.map((p) => [p.path, p.line])).toEqual([
      ['wallet.idempotency', undefined],
      ['thresholds.0', undefined],
    ]);
    expect(e.problems[1]!.message.split('\n')[0]).toMatch(/unknown latency "ack\.bett".* \(from --set thresholds=\["p99\(ack\.bett\)<1"\]\)$/);
    expect(e.problems[0]!.message).toContain('(from --set wallet.idempotency=maybe)');
  });

  it('an unknown field (typo wallet.idempotncy)', () => {
    const e = invalid(withLine(8, '  idempotncy: on'));
    expectProblem(e, 'wallet', 8, /unknown field "idempotncy"/);
    expect(e.message).toContain('idempotncy');
  });

  it('an unknown field names the known ones a typo away, read from the schema, at any depth and in a union', () => {
    expectProblem(invalid(withLine(8, '  idempotncy: on')), 'wallet', 8, /^unknown field "idempotncy" \(did you mean "idempotency"\?\)$/);
    // A phase is a union (steady, spike, ramp): every option's fields count; a name cut short counts too.
    expectProblem(invalid(withLine(6, '      roundsPerSecond: 10')), 'traffic.phases.0', 6, /unknown field "roundsPerSecond" \(did you mean "roundsPerSec"\?\)/);
    expect(invalid(MINIMAL, ['wallet.request.queueTimeout=5']).message).toContain('wallet.request: unknown field "queueTimeout" (did you mean "queueTimeoutMs"?)');
    expect(invalid(MINIMAL, ['players.cuont=5']).message).toContain('players: unknown field "cuont" (did you mean "count"?)');
    // Nothing near: no guess.
    expect(invalid(MINIMAL, ['wallet.workers=5']).message).toContain('wallet: unknown field "workers" (from --set wallet.workers=5)');
  });

  it('a --set path that runs into a value or names a list item by a name says so in the file\'s terms', () => {
    // The yaml library's words were "Expected YAML collection at name. Remaining path: foo", "Expected a valid index, not -1.".
    expect(invalid(MINIMAL, ['name.foo=1']).message).toContain('name.foo: name is a value ("mini"), with no field foo below it (from --set name.foo=1)');
    expect(invalid(MINIMAL, ['traffic.phases.-1.roundsPerSec=1']).message).toContain(
      'traffic.phases is a list: the part after it is an index from 0 (traffic.phases.0 to traffic.phases.0), not "-1" (from --set traffic.phases.-1.roundsPerSec=1)',
    );
    expect(invalid(MINIMAL, ['traffic.phases.first.roundsPerSec=1']).message).toContain('not "first"');
    // A value that is not YAML: the library's message without its " at line 1, column 2:" tail.
    expect(invalid(MINIMAL, ['players.count={']).message).toContain('the value is not valid YAML: Flow map must end with a } (from --set players.count={)');
  });

  it('a number past its bound is one problem, the field\'s own bound, not also the safe-integer one', () => {
    const e = invalid(MINIMAL, ['players.count=1e20']);
    expect(e.problems.map((p) => p.message)).toEqual(['Too big: expected number to be <=1000000 (from --set players.count=1e20)']);
    expect(invalid(MINIMAL, ['seed=-1e20']).problems.map((p) => p.message)).toEqual(['Too small: expected number to be >=0 (from --set seed=-1e20)']);
    // Two fields out of bounds stay two problems.
    expect(invalid(MINIMAL, ['players.count=1e20', 'seed=1e20']).problems).toHaveLength(2);
  });

  it('an unknown top-level field', () => {
    const e = invalid(`${MINIMAL}colour: red\n`);
    expectProblem(e, '', 9, /unknown field "colour"/);
  });

  it('a negative rate', () => {
    expectProblem(invalid(withLine(6, '      roundsPerSec: -3')), 'traffic.phases.0.roundsPerSec', 6);
  });

  it('a negative rate in a ramp', () => {
    const text = ['name: mini', 'traffic:', '  phases:', '    - kind: ramp', '      durationSec: 5', '      fromPerSec: -1', '      toPerSec: 10', ''].join('\n');
    expectProblem(invalid(text), 'traffic.phases.0.fromPerSec', 6);
  });

  it('a zero duration', () => {
    expectProblem(invalid(withLine(5, '      durationSec: 0')), 'traffic.phases.0.durationSec', 5);
  });

  it('missing phases', () => {
    const text = ['name: mini', 'traffic:', '  arrivals: poisson', ''].join('\n');
    // a missing field points at its parent
    expectProblem(invalid(text), 'traffic.phases', [2, 3], /missing/);
  });

  it('an empty phases list', () => {
    const text = ['name: mini', 'traffic:', '  phases: []', ''].join('\n');
    expectProblem(invalid(text), 'traffic.phases', 3, /at least one phase/);
  });

  it('a phase of an unknown kind', () => {
    expectProblem(invalid(withLine(4, '    - kind: steddy')), 'traffic.phases.0.kind', 4);
  });

  it('a bad enum: idempotency: maybe', () => {
    const e = invalid(withLine(8, '  idempotency: maybe'));
    expectProblem(e, 'wallet.idempotency', 8);
    expect(e.message).toMatch(/on.*off/);
  });

  it('a missing name', () => {
    expectProblem(invalid(withLine(1, '# no name')), 'name', [1, 2], /missing/);
  });

  it('a fractional player count', () => {
    expectProblem(invalid(`${MINIMAL}players:\n  count: 1.5\n`), 'players.count', 10);
  });

  it('a distribution whose min exceeds its max', () => {
    expectProblem(invalid(`${MINIMAL}round:\n  betAmount: { dist: uniform, min: 10, max: 5 }\n`), 'round.betAmount.max', 10, /min must not exceed max/);
  });

  it("a phase without a kind, or with one that is not a phase's, says which and lists the kinds", () => {
    // zod says "Invalid discriminator value" for both, with no value: the message reads it from the file.
    expectProblem(invalid(withLine(4, '    - name: warm')), 'traffic.phases.0.kind', 4, /^required field is missing \(one of steady, spike, ramp\)$/);
    expectProblem(invalid(withLine(4, '    - kind: stedy')), 'traffic.phases.0.kind', 4, /^unknown kind 'stedy' \(one of steady, spike, ramp\)$/);
    const set = invalid(MINIMAL, ['traffic.phases.0.kind=7']);
    expect(set.problems.map((p) => p.message)).toEqual(['unknown kind 7 (one of steady, spike, ramp) (from --set traffic.phases.0.kind=7)']);
  });

  it('a distribution that is neither a number nor {dist: ...} says what is expected', () => {
    const shape = 'a number >= 0 or {dist: constant|uniform|exponential|lognormal, ...}';
    const text = `${MINIMAL}  event:\n    applyMs: "3"\nround:\n  playTimeMs: -5\n  betAmount: {dist: uniform, min: 1}\n  winMultiplier: {value: 2}\nnetwork:\n  latencyMs: {dist: foo, value: 1}\n`;
    const e = invalid(text);
    expect(e.problems).toHaveLength(5);
    expectProblem(e, 'round.playTimeMs', 12, new RegExp(`^expected ${escape(shape)}, got -5$`));
    expectProblem(e, 'round.betAmount', 13, /^max: required field is missing \(a uniform distribution is \{dist: uniform, min, max\}, numbers >= 0\)$/);
    expectProblem(e, 'round.winMultiplier', 14, /^missing dist \(one of constant, uniform, exponential, lognormal\)/);
    expectProblem(e, 'network.latencyMs', 16, /^unknown dist 'foo' \(one of constant, uniform, exponential, lognormal\)$/);
    expectProblem(e, 'wallet.event.applyMs', 10, new RegExp(`^expected ${escape(shape)}, got the string "3" \\(a number is written without quotes\\)$`));
    // Through --set, too; and consumerCrash.consumers, the other union.
    const set = invalid(MINIMAL, ['network.latencyMs=[1]', 'faults.consumerCrash={atSec: 1, consumers: some}']);
    expect(set.problems.map((p) => p.message)).toEqual([
      `expected ${shape}, got a list (from --set network.latencyMs=[1])`,
      'expected all or a list of consumer numbers (from 0), got the string "some" (from --set faults.consumerCrash={atSec: 1, consumers: some})',
    ]);
  });

  it('a merge key (<<) is said to be unsupported, at its line', () => {
    const text = ['name: mini', 'traffic:', '  phases:', '    - &a { kind: steady, durationSec: 5, roundsPerSec: 10 }', '    - <<: *a', '      durationSec: 3', ''].join('\n');
    const e = invalid(text);
    expect(e.problems).toHaveLength(1);
    expectProblem(e, 'traffic.phases.1', 5, /^merge keys \(<<\) are not supported/);
  });

  it('a list or a mapping as a key is a problem at its line, with no warning from the yaml library', () => {
    const warn = vi.spyOn(process, 'emitWarning');
    try {
      const e = invalid(`${MINIMAL}? [a, b]\n: 1\n`);
      expect(e.problems).toHaveLength(1);
      expectProblem(e, '', 9, /^a key must be a field name, not a list or a mapping$/);
      // A --set value with one is an unknown field, quietly too.
      expect(invalid(MINIMAL, ['wallet={? [a]: 1}']).message).toContain('unknown field "[ a ]"');
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it('a null key (null:, ~: or empty) is named null, at its line', () => {
    const e = invalid(`${MINIMAL}  ~: 1\n  3: 2\nnull: 3\n`);
    expectProblem(e, 'wallet', [9, 10], /^unknown fields "3", null \(a key written null:, ~: or left empty is null; fields have names\)$/);
    expectProblem(e, '', 11, /^unknown field null /);
    // A key that is an empty string is one.
    expectProblem(invalid(`${MINIMAL}"": 3\n`), '', 9, /^unknown field ""$/);
  });

  it('several problems are listed together', () => {
    const text = MINIMAL.replace('roundsPerSec: 10', 'roundsPerSec: fast').replace('idempotency: on', 'idempotency: maybe') + 'players:\n  cuont: 5\n';
    const e = invalid(text);
    expect(e.problems).toHaveLength(3);
    expect(e.message).toContain('(3 problems)');
    expectProblem(e, 'traffic.phases.0.roundsPerSec', 6);
    expectProblem(e, 'wallet.idempotency', 8);
    expectProblem(e, 'players', 10, /unknown field "cuont"/);
  });

  it('a YAML syntax error', () => {
    // the line is not asserted here: see the report (YAML errors come without a line today)
    const e = invalid(['name: mini', 'traffic:', '  phases:', '    - { kind: steady', ''].join('\n'));
    expect(e.message).toMatch(/YAML/);
  });

  it('a duplicated key', () => {
    expect(invalid(`name: a\n${MINIMAL}`).message).toMatch(/field "name" is given twice/);
  });

  it('a duplicated key is placed: its mapping, the field, and the line of each', () => {
    // The library's "Map keys must be unique" named neither the field nor the mapping ("(top level)").
    expectProblem(invalid(withLine(8, '  idempotency: on\n  idempotency: off')), 'wallet', 9, /^field "idempotency" is given twice \(first on line 8\); keep one$/);
    expectProblem(invalid(`name: a\n${MINIMAL}`), '', 2, /^field "name" is given twice \(first on line 1\)/);
    const e = invalid(withLine(6, '      roundsPerSec: 10\n      kind: ramp'));
    expectProblem(e, 'traffic.phases.0', 7, /^field "kind" is given twice \(first on line 4\)/);
    expect(e.problems).toHaveLength(1);
  });

  it('lists nested hundreds deep are refused at once, where they pass the bound: 1 MB of [ took 36 s to say "Maximum call stack size exceeded"', () => {
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    expectProblem(invalid(`${MINIMAL}description: ${deep(150)}\n`), '', 9, /^lists and mappings \(\[ and \{\) nested more than 100 deep/);
    expect(invalid(`${MINIMAL}description: ${deep(150)}\n`).problems[0]!.column).toBe(114);
    // A hundred is read (and refused by the schema, as a list where a text goes).
    expectProblem(invalid(`${MINIMAL}description: ${deep(100)}\n`), 'description', 9, /expected string, received array/);
    // Indentation hundreds of levels deep overflows the library's stack: said in words.
    const indented = Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i)}a:`).join('\n');
    expect(invalid(indented).problems[0]!.message).toBe('YAML: nested too deeply to be read (lists or mappings hundreds of levels inside each other); a scenario nests a few levels');
  });

  it('an alias with no anchor, and an alias bomb, are input errors, not crashes', () => {
    expect(invalid(`${MINIMAL}round:\n  betAmount: *nowhere\n`).message).toMatch(/YAML: Unresolved alias/);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]'];
    expect(invalid(`${bomb.join('\n')}\n${MINIMAL}`).message).toMatch(/YAML: Excessive alias count/);
  });

  it('an alias with no anchor, and the alias where a bomb passes the bound, are placed: line and field', () => {
    expectProblem(invalid(`${MINIMAL}round:\n  betAmount: *nowhere\n`), 'round.betAmount', 10, /^YAML: Unresolved alias \*nowhere: an alias \*name needs an anchor &name before it$/);
    expectProblem(invalid(`${MINIMAL}thresholds:\n  - &t duplicates==0\n  - *nope\n`), 'thresholds.1', 11, /Unresolved alias \*nope/);
    // Each use of the anchor counts once, the anchor itself too: the 1000th alias passes 1000.
    const uses = Array.from({ length: 1000 }, () => '  - *a').join('\n');
    expectProblem(invalid(`x: &a 1\nl:\n${uses}\n${MINIMAL}`), 'l.999', 1002, /^YAML: Excessive alias count/);
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]'];
    const e = invalid(`${bomb.join('\n')}\n${MINIMAL}`);
    expect(e.problems).toHaveLength(1);
    expect(e.problems[0]).toMatchObject({ line: 4, path: expect.stringMatching(/^d\.\d$/) });
  });

  it('several documents in one file are explained in words', () => {
    const e = invalid(`${MINIMAL}---\nname: other\n`);
    expect(e.message).toContain('a scenario is one YAML document');
    expect(e.message).not.toContain('parseAllDocuments');
  });

  it('threshold typos are listed with the schema’s problems, not after them are fixed', () => {
    const e = invalid(`${MINIMAL.replace('roundsPerSec: 10', 'roundsPerSec: -1')}thresholds: ['p99(ack.bet)<<1', 7, 'nope']\n`);
    expect(e.problems.map((p) => p.path).sort()).toEqual(['thresholds.0', 'thresholds.1', 'thresholds.2', 'traffic.phases.0.roundsPerSec']);
  });

  it('traffic beyond what one run can hold is refused at once, with the total', () => {
    expectProblem(invalid(MINIMAL.replace('roundsPerSec: 10', 'roundsPerSec: 1e12')), 'traffic.phases.0.roundsPerSec', 6, /<=1000000/);
    const e = invalid(MINIMAL.replace('roundsPerSec: 10', 'roundsPerSec: 900000'));
    expectProblem(e, 'traffic.phases', 4, /4,500,000 rounds in all: at most 3,000,000/);
  });

  it('a crash or a rebalance repeated more often than a run can hold is refused at once: a crash every microsecond ran for hours, deaf to Ctrl-C', () => {
    const e = invalid(`${MINIMAL}faults:\n  consumerCrash: { atSec: 1, everySec: 0.000001 }\n  rebalance:\n    atSec: 0\n    pauseSec: 0.5\n    everySec: 0.00001\n`);
    expectProblem(e, 'faults.consumerCrash.everySec', 10, /^crashes 4 consumers every 0\.000001 s over 4 s of traffic: 16,000,004 consumer stops, at most 1,000,000 in a run; raise everySec to at least 0\.000016$/);
    expectProblem(e, 'faults.rebalance.everySec', 14, /^pauses 4 consumers every 0\.00001 s over 5 s of traffic: 2,000,004 consumer stops/);
    expect(e.problems).toHaveLength(2);
    // Every millisecond is still a run: 20,004 stops.
    expect(parseScenario(`${MINIMAL}faults:\n  consumerCrash: { atSec: 1, everySec: 0.001, consumers: [0] }\n`, FILE).faults.consumerCrash?.everySec).toBe(0.001);
  });

  it('a stake or a win a wallet cannot take (above Number.MAX_SAFE_INTEGER minor units) is refused: walletstorm sent them and called the run consistent', () => {
    const bound = /: at most 9,007,199,254,740,991 \(Number\.MAX_SAFE_INTEGER\)/;
    const win = invalid(`${MINIMAL}round:\n  betAmount: { dist: uniform, min: 100, max: 2000 }\n  winMultiplier: 1e308\n`);
    expectProblem(win, 'round.winMultiplier', 11, /^a win can reach more than 1e308 minor units \(a stake of up to 2,000 × a multiplier of up to 1\.00e\+308\)/);
    expect(win.problems[0]!.message).toMatch(bound);
    expect(win.problems).toHaveLength(1);
    expectProblem(invalid(`${MINIMAL}round:\n  betAmount: 1e17\n`), 'round.betAmount', 10, /^a stake can reach 100,000,000,000,000,000 minor units: at most/);
    // A lognormal's tail is unbounded on paper: the bound is the most its draws reach, median × (p99/median)^2.86.
    const tail = invalid(`${MINIMAL}round:\n  betAmount: { dist: lognormal, median: 1000, p99: 10000000 }\n  winMultiplier: { dist: lognormal, median: 1.5, p99: 10 }\n`);
    expectProblem(tail, 'round.winMultiplier', 11, /^a win can reach 97,085,732,400,\d{3},\d{3} minor units \(a stake of up to 283,254,601,786,270 × a multiplier of up to 343, the most a lognormal draw reaches\)/);
    // A million times a default multiplier's most, a stake with no win, a win exactly at the bound: all fine.
    expect(parseScenario(`${MINIMAL}round:\n  betAmount: { dist: exponential, mean: 1000000 }\n`, FILE).round.betAmount).toEqual({ dist: 'exponential', mean: 1_000_000 });
    expect(parseScenario(`${MINIMAL}round:\n  winProbability: 0\n  winMultiplier: 1e308\n`, FILE).round.winProbability).toBe(0);
    expect(parseScenario(`${MINIMAL}round:\n  betAmount: 1\n  winMultiplier: ${Number.MAX_SAFE_INTEGER}\n`, FILE).round.betAmount).toEqual({ dist: 'constant', value: 1 });
    expectProblem(invalid(`${MINIMAL}round:\n  betAmount: 2\n  winMultiplier: ${Number.MAX_SAFE_INTEGER}\n`), 'round.winMultiplier', 11);
    // Through --set too, as the reviewer ran it.
    const set = invalid(MINIMAL, ['round.winMultiplier=1e308']);
    expect(set.problems.map((p) => p.path)).toEqual(['round.winMultiplier']);
    expect(set.message).toMatch(/round\.winMultiplier: a win can reach .*\(from --set round\.winMultiplier=1e308\)/);
  });

  it('maxOf is the most a distribution draws: no draw above it, and the extreme uniforms reach it', () => {
    const specs: DistributionSpec[] = [
      { dist: 'uniform', min: 100, max: 2000 },
      { dist: 'exponential', mean: 1000 },
      { dist: 'lognormal', median: 1.5, p99: 10 },
    ];
    const rng = new SeededRandom(1);
    for (const spec of specs) {
      const draw = sampler(spec);
      for (let i = 0; i < 100_000; i++) expect(draw(rng)).toBeLessThanOrEqual(maxOf(spec));
    }
    // The last uniform below 1, then 0 (Box-Muller's cosine at 1): the largest draw there is.
    const extreme = (values: number[]): Random => ({ next: () => values.shift()!, derive: () => extreme([]) });
    const last = 1 - SeededRandom.STEP;
    expect(sampler(specs[1]!)(extreme([last]))).toBe(maxOf(specs[1]!));
    expect(sampler(specs[2]!)(extreme([last, 0]))).toBe(maxOf(specs[2]!));
  });

  it('faults that could never fire: an empty window, a player or a consumer that does not exist', () => {
    const e = invalid(
      `${MINIMAL}players:\n  count: 10\nfaults:\n  responseLoss: { fromSec: 5, toSec: 1, rate: 0.5 }\n  hotPlayer: { share: 0.5, playerId: p10 }\n  consumerCrash: { atSec: 1, consumers: [0, 4] }\n`,
    );
    expectProblem(e, 'faults.responseLoss.toSec', 12, /toSec must be after fromSec/);
    expectProblem(e, 'faults.hotPlayer.playerId', 13, /players are p0 to p9/);
    expectProblem(e, 'faults.consumerCrash.consumers', 14, /from 0 to 3/);
    expect(e.problems).toHaveLength(3);
  });

  it.each([
    ['a list', '- a\n- b\n'],
    ['a scalar', 'just text\n'],
    ['an empty file', ''],
  ])('a document that is %s', (_what, text) => {
    expect(invalid(text).message).toMatch(/a scenario is a mapping/);
  });
});

describe('--set overrides', () => {
  it('wallet.idempotency=off', () => {
    expect(parseScenario(MINIMAL, FILE, ['wallet.idempotency=off']).wallet.idempotency).toBe('off');
  });

  it('traffic.phases.0.roundsPerSec=10 on a shipped scenario', () => {
    const text = readFileSync(join(SHIPPED_DIR, 'steady.yaml'), 'utf8');
    const before = parseScenario(text, 'steady.yaml');
    const after = parseScenario(text, 'steady.yaml', ['traffic.phases.0.roundsPerSec=10']);
    expect(before.traffic.phases[0]).toMatchObject({ roundsPerSec: 500 });
    expect(after.traffic.phases[0]).toEqual({ ...before.traffic.phases[0], roundsPerSec: 10 });
    expect({ ...after, traffic: before.traffic }).toEqual(before);
  });

  it('can add a field the file leaves to its default', () => {
    const s = parseScenario(MINIMAL, FILE, ['players.count=7', 'provider.retry.txId=new']);
    expect(s.players.count).toBe(7);
    expect(s.provider.retry.txId).toBe('new');
  });

  it('an override can reach into an object an earlier override wrote, also into a map that already exists', () => {
    // The second object went into the faults map the first one made: load --duration adds such overrides.
    const s = parseScenario(MINIMAL, FILE, ['faults.responseLoss={rate: 0.1}', 'faults.walletSlowdown={factor: 2}', 'faults.walletSlowdown.fromSec=3', 'faults.responseLoss.toSec=4']);
    expect(s.faults.walletSlowdown).toMatchObject({ factor: 2, fromSec: 3 });
    expect(s.faults.responseLoss).toMatchObject({ rate: 0.1, fromSec: 0, toSec: 4 });
  });

  it('a problem is blamed on the --set that wrote the field, also inside an object an earlier --set created', () => {
    const text = `${MINIMAL}players:\n  count: 10\n`;
    const later = invalid(text, ['faults.hotPlayer.share=0.5', 'faults.hotPlayer.playerId=p100']);
    expect(later.problems.map((p) => p.message)).toEqual(['no such player: players are p0 to p9 (from --set faults.hotPlayer.playerId=p100)']);
    // A field written by the first and left alone by the second stays the first's.
    const first = invalid(text, ['faults.hotPlayer.share=2', 'faults.hotPlayer.playerId=p1']);
    expect(first.problems.map((p) => p.message)).toEqual(['Too big: expected number to be <=1 (from --set faults.hotPlayer.share=2)']);
    // An object written over an earlier field takes it over.
    const over = invalid(text, ['faults.hotPlayer.playerId=p100', 'faults.hotPlayer={share: 0.5, playerId: p200}']);
    expect(over.problems.map((p) => p.message)).toEqual(['no such player: players are p0 to p9 (from --set faults.hotPlayer={share: 0.5, playerId: p200})']);
  });

  it('the last of two overrides of one field wins', () => {
    expect(parseScenario(MINIMAL, FILE, ['wallet.idempotency=off', 'wallet.idempotency=on']).wallet.idempotency).toBe('on');
  });

  it('an override can repair an invalid file', () => {
    expect(parseScenario(withLine(6, '      roundsPerSec: fast'), FILE, ['traffic.phases.0.roundsPerSec=3']).traffic.phases[0]).toMatchObject({ roundsPerSec: 3 });
  });

  it.each([
    ['an invalid enum value', 'wallet.idempotency=maybe', 'wallet.idempotency'],
    ['a wrong type', 'traffic.phases.0.roundsPerSec=abc', 'traffic.phases.0.roundsPerSec'],
    ['a negative rate', 'traffic.phases.0.roundsPerSec=-1', 'traffic.phases.0.roundsPerSec'],
    ['an unknown nested field', 'wallet.idempotncy=off', 'wallet'],
  ])('%s is an error that mentions --set', (_what, override, path) => {
    const e = invalid(MINIMAL, [override]);
    const problem = e.problems.find((p) => p.path === path);
    expect(problem, JSON.stringify(e.problems)).toBeDefined();
    expect(problem!.message).toContain(`--set ${override}`);
    expect(e.message).toContain(`--set ${override}`);
  });

  it.each([
    ['without "="', 'wallet.idempotency'],
    ['with an empty path', '=off'],
    ['whose value is not YAML', 'players.count=[1'],
    ['through a scalar', 'name.first=x'],
  ])('an override %s is an error that mentions --set', (_what, override) => {
    const e = invalid(MINIMAL, [override]);
    expect(e.message).toContain('--set');
  });

  it('an index past the end of a list says how long the list is', () => {
    const e = invalid(MINIMAL, ['traffic.phases.5.durationSec=3']);
    expect(e.problems).toEqual([{ path: 'traffic.phases.5.durationSec', message: 'traffic.phases has 1 item (traffic.phases.0 to traffic.phases.0); traffic.phases.1 adds one (from --set traffic.phases.5.durationSec=3)' }]);
  });

  it('an index past the end of a list that is absent or empty says so, once', () => {
    const absent = invalid(MINIMAL, ['thresholds.5=duplicates==0']);
    expect(absent.problems).toEqual([{ path: 'thresholds.5', message: 'thresholds has no items (it is not in the file); thresholds.0 adds the first (from --set thresholds.5=duplicates==0)' }]);
    const empty = invalid(`${MINIMAL}thresholds: []\n`, ['thresholds.1=duplicates==0']);
    expect(empty.problems).toEqual([{ path: 'thresholds.1', message: 'thresholds has no items; thresholds.0 adds the first (from --set thresholds.1=duplicates==0)' }]);
    expect(invalid(MINIMAL, ['narration.2.text=hi']).problems.map((p) => p.message)).toEqual(['narration has no items (it is not in the file); narration.0 adds the first (from --set narration.2.text=hi)']);
    // Index 0 adds the first item; then 1 adds the next.
    expect(parseScenario(MINIMAL, FILE, ['thresholds.0=duplicates==0', 'thresholds.1=lost==0']).thresholds).toEqual(['duplicates==0', 'lost==0']);
  });

  it('problems from several overrides are listed together', () => {
    const e = invalid(MINIMAL, ['oops', 'name.first=x']);
    expect(e.problems).toHaveLength(2);
  });

  it('an override that cannot be applied is listed with the problems of the file and of the other overrides', () => {
    const e = invalid(withLine(6, '      roundsPerSec: fast'), ['oops', 'wallet.idempotency=maybe', 'players.count=[1']);
    expect(e.problems.map((p) => [p.path, p.line])).toEqual([
      ['oops', undefined],
      ['players.count', undefined],
      ['traffic.phases.0.roundsPerSec', 6],
      ['wallet.idempotency', undefined],
    ]);
    expect(e.problems[0]!.message).toBe('an override is path=value, e.g. wallet.idempotency=off (from --set oops)');
    expect(e.problems[1]!.message).toMatch(/^the value is not valid YAML: .* \(from --set players\.count=\[1\)$/);
    expect(e.problems[3]!.message).toContain('(from --set wallet.idempotency=maybe)');
    // The file is named as for every other problem: a --set's own are marked "(from --set ...)".
    expect(e.message).toMatch(/^invalid scenario test\.yaml \(4 problems\):/);
  });
});

describe('loading by reference', () => {
  it('a missing scenario is E_SCENARIO_NOT_FOUND, exit 2', () => {
    expect(() => loadScenario('no-such-scenario')).toThrow(expect.objectContaining({ code: 'E_SCENARIO_NOT_FOUND', exitCode: 2 }));
    // Not the folder of shipped scenarios.
    expect(() => loadScenario('')).toThrow(expect.objectContaining({ code: 'E_SCENARIO_NOT_FOUND', exitCode: 2 }));
  });

  it('a path that cannot be read (a directory) is E_SCENARIO_UNREADABLE, exit 2, with a hint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'walletstorm-scenario-'));
    try {
      mkdirSync(join(dir, 'steady.yaml'));
      expect(() => loadScenario(join(dir, 'steady.yaml'))).toThrow(
        expect.objectContaining({ code: 'E_SCENARIO_UNREADABLE', exitCode: 2, hint: expect.stringMatching(/readable YAML file/) }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a reference with a / or ending in .yaml/.yml is a path only: a missing one is not the shipped scenario', () => {
    for (const ref of ['./steady', 'steady.yaml', 'steady.yml', 'no-such-dir/steady']) {
      expect(() => loadScenario(ref), ref).toThrow(expect.objectContaining({ code: 'E_SCENARIO_NOT_FOUND', exitCode: 2, message: `scenario not found: ${ref} (no such file)` }));
    }
    expect(loadScenario('steady').file).toBe(join(SHIPPED_DIR, 'steady.yaml'));
  });

  it('a bare name that is a directory here falls through to the shipped scenario; a file of that name is read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'walletstorm-scenario-'));
    try {
      mkdirSync(join(dir, 'steady'));
      mkdirSync(join(dir, 'nosuch'));
      writeFileSync(join(dir, 'mine'), MINIMAL);
      const quick = ['--model', 'request', '--no-ui', '--set', 'traffic.phases.0.durationSec=1'];
      const shipped = walletstorm(['simulate', 'steady', ...quick], '', dir);
      expect(shipped.status, shipped.stderr).toBe(0);
      expect(shipped.stdout).toContain('scenario steady');
      const missing = walletstorm(['simulate', 'nosuch', ...quick], '', dir);
      expect(missing.status).toBe(2);
      expect(missing.stderr).toContain('scenario not found: nosuch (./nosuch is a directory, and no shipped scenario has that name)');
      const file = walletstorm(['simulate', 'mine', ...quick], '', dir);
      expect(file.status, file.stderr).toBe(0);
      expect(file.stdout).toContain('scenario mini');
      const dotted = walletstorm(['simulate', './steady', ...quick], '', dir);
      expect(dotted.status).toBe(2);
      expect(dotted.stderr).toContain('E_SCENARIO_UNREADABLE');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a file over 1 MiB is refused before it is parsed; bytes that are not UTF-8 are named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'walletstorm-scenario-'));
    try {
      const big = join(dir, 'big.yaml');
      writeFileSync(big, `${MINIMAL}# ${'x'.repeat(1024 * 1024)}\n`);
      expect(() => loadScenario(big)).toThrow(expect.objectContaining({ code: 'E_SCENARIO_TOO_LARGE', exitCode: 2 }));
      const latin1 = join(dir, 'latin1.yaml');
      writeFileSync(latin1, Buffer.concat([Buffer.from(MINIMAL.replace('name: mini', 'name: caf')), Buffer.from([0xe9, 0x0a])]));
      expect(() => loadScenario(latin1)).toThrow(expect.objectContaining({ code: 'E_SCENARIO_INVALID', message: expect.stringContaining('not valid UTF-8') }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a byte that is not UTF-8 is placed: line, column and byte offset', () => {
    const dir = mkdtempSync(join(tmpdir(), 'walletstorm-scenario-'));
    try {
      const latin1 = join(dir, 'latin1.yaml');
      // Line 9; "description: ü caf" is 18 characters (19 bytes) before it.
      const before = Buffer.from(`${MINIMAL}description: ü caf`);
      writeFileSync(latin1, Buffer.concat([before, Buffer.from([0xe9, 0x0a])]));
      let caught: unknown;
      try {
        loadScenario(latin1);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ScenarioError);
      const e = caught as ScenarioError;
      expect(e.problems).toEqual([{ path: '', line: 9, column: 19, message: `the file is not valid UTF-8: byte 0xE9 at byte offset ${before.length} (save the file as UTF-8)` }]);
      expect(e.message).toContain(`${latin1}:9:19  (top level): the file is not valid UTF-8`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the 1 MiB limit holds for a pipe and a device, whose size is 0 (/dev/stdin, /dev/zero)', () => {
    // Through the CLI, from a real pipe (cat | walletstorm): a file that is not regular is read up to the limit, then refused.
    const dir = mkdtempSync(join(tmpdir(), 'walletstorm-scenario-'));
    try {
      const big = join(dir, 'big.yaml');
      writeFileSync(big, `${MINIMAL}# ${'x'.repeat(3 * 1024 * 1024)}\n`);
      const fromPipe = spawnSync('sh', ['-c', 'cat "$1" | "$2" "$3" simulate /dev/stdin --model request --no-ui --no-color', 'sh', big, process.execPath, BIN], { encoding: 'utf8', timeout: 20_000 });
      expect(fromPipe.status, fromPipe.stdout + fromPipe.stderr).toBe(2);
      expect(fromPipe.stderr).toContain('E_SCENARIO_TOO_LARGE');
      // A small scenario through a pipe still runs.
      writeFileSync(big, MINIMAL);
      const small = spawnSync('sh', ['-c', 'cat "$1" | "$2" "$3" simulate /dev/stdin --model request --no-ui --no-color --set traffic.phases.0.durationSec=1', 'sh', big, process.execPath, BIN], { encoding: 'utf8', timeout: 20_000 });
      expect(small.status, small.stdout + small.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const zero = walletstorm(['simulate', '/dev/zero', '--no-ui']);
    expect(zero.status, zero.stdout + zero.stderr).toBe(2);
    expect(zero.stderr).toContain('E_SCENARIO_TOO_LARGE');
  });
});

const BIN = fileURLToPath(new URL('../bin/walletstorm.js', import.meta.url));

/** The built CLI, killed after 20 s (an unbounded read would otherwise run on). */
function walletstorm(args: readonly string[], input = '', cwd?: string) {
  return spawnSync(process.execPath, [BIN, ...args, '--no-color'], { input, cwd, encoding: 'utf8', timeout: 20_000, maxBuffer: 16 * 1024 * 1024 });
}
