/**
 * README output blocks against fresh runs of the built CLI. Simulated output is deterministic, so
 * a block pasted from a simulation must be what the same command prints today, byte for byte,
 * except where the README cuts it (a line of its own that is `...` or `…`, or `… (N more rows:
 * …)`, stands for any number of lines). The blocks of the long runs (compare peak-traffic,
 * metastable) are left to a hand check: each takes tens of seconds.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, type CliRun } from './support/cli.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const tmp = mkdtempSync(join(tmpdir(), 'walletstorm-readme-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The CLI in `cwd` (relative paths as the README writes them), without colour. */
function cli(args: readonly string[], cwd = ROOT): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Shell words of a README command line: single quotes kept together, `\` line ends joined. */
function words(command: string): string[] {
  const out: string[] = [];
  for (const [, quoted, bare] of command.replace(/\\\n\s*/g, ' ').matchAll(/'([^']*)'|(\S+)/g)) out.push(quoted ?? bare!);
  return out;
}

/** The fenced blocks of the README, in order: their info string and their text. */
const BLOCKS = [...README.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map(([, info, text]) => ({ info: info!, text: text! }));

/** The output block that follows the ```sh block holding `command` (the command's arguments after `walletstorm`). */
function outputAfter(command: string): { args: string[]; expected: string } {
  const i = BLOCKS.findIndex((b) => b.info === 'sh' && b.text.replace(/\\\n\s*/g, ' ').includes(command));
  expect(i, `a sh block with ${command}`).toBeGreaterThanOrEqual(0);
  const line = BLOCKS[i]!.text.replace(/\\\n\s*/g, ' ').split('\n').find((l) => l.includes(command))!;
  return { args: words(line.trim()).slice(1), expected: BLOCKS[i + 1]!.text };
}

/** The block whose first line is `first`. */
function blockStartingWith(first: string): string {
  const block = BLOCKS.find((b) => b.text.startsWith(first));
  expect(block, first).toBeDefined();
  return block!.text;
}

const isCut = (line: string) => /^\s*(\.\.\.|…)\s*$/.test(line) || /^…\s+\(\d+ more rows?: .*\)$/.test(line);

/**
 * Whether `actual` is `expected` with the cuts filled in: the lines between two cuts come in
 * order and next to each other; a block without a cut at an end matches that end exactly. A cut
 * that says what it left out (`… (8 more rows: ack.win, settlement)`) left out that many lines,
 * each about one of the names it gives.
 */
function expectShown(actual: string, expected: string): void {
  const want = expected.replace(/\n$/, '').split('\n');
  const have = actual.replace(/\n$/, '').split('\n');
  if (!want.some(isCut)) {
    expect(have.join('\n')).toBe(want.join('\n'));
    return;
  }
  const pieces: { cut?: string; lines: string[] }[] = [{ lines: [] }];
  for (const line of want) (isCut(line) ? pieces.push({ cut: line, lines: [] }) : pieces.at(-1)!.lines.push(line));
  let at = 0;
  pieces.forEach(({ cut, lines }, n) => {
    if (lines.length === 0) return;
    const found = have.findIndex((_, i) => i >= at && (n > 0 || i === 0) && lines.every((line, k) => have[i + k] === line));
    expect(found, `README lines not in the output, in this order:\n${lines.join('\n')}\n--- output:\n${actual}`).toBeGreaterThanOrEqual(0);
    const said = cut === undefined ? null : /\((\d+) more rows?: (.*)\)$/.exec(cut);
    if (said !== null) {
      const left = have.slice(at, found);
      expect(left, cut).toHaveLength(Number(said[1]));
      const names = said[2]!.split(', ');
      expect(left.filter((line) => !names.some((name) => line.includes(name))), `${cut} leaves out rows it does not name`).toEqual([]);
    }
    at = found + lines.length;
  });
  if (pieces.at(-1)!.lines.length > 0) expect(at, 'the README block ends where the output ends').toBe(have.length);
}

/** stdout from the line that starts `trace PLAYER` on. */
const traceOf = (stdout: string, player: string) => stdout.slice(stdout.indexOf(`\ntrace ${player} · `) + 1);

describe('README simulated output blocks are what the commands print today', () => {
  it('the double charge on demand (retry-storm, idempotency off): the table, its problem lines, replay and trace it; exit 1', () => {
    const { args, expected } = outputAfter('simulate retry-storm --model request --set wallet.idempotency=off');
    expect(args).toEqual(['simulate', 'retry-storm', '--model', 'request', '--set', 'wallet.idempotency=off']);
    // On a terminal the table is the default; piped, --report terminal asks for it. The block starts at its first row.
    const r = cli([...args, '--report', 'terminal']);
    expect(r.status).toBe(1);
    expectShown(r.stdout, `...\n${expected}`);
  });

  it('the story of p909 (--trace-limit 30)', () => {
    const { args, expected } = outputAfter('--trace p909 --trace-limit 30');
    const r = cli(args);
    expect(r.status).toBe(1);
    expectShown(traceOf(r.stdout, 'p909'), expected);
  });

  it('the answer lost on its way back (steady with responseLoss, p452)', () => {
    const { args, expected } = outputAfter('--trace p452 --trace-limit 10');
    const r = cli(args);
    expect(r.status).toBe(1);
    expectShown(traceOf(r.stdout, 'p452'), expected);
  });

  it('a late rejection deep in a story (low-balance, p100)', () => {
    const { args, expected } = outputAfter('simulate low-balance --model event --trace p100 --trace-limit 8');
    const r = cli(args);
    expect(r.status).toBe(0);
    expectShown(traceOf(r.stdout, 'p100'), expected);
  });

  it('the swarm replay names the faults seed 1 drew, and when', () => {
    const line = /`(fault windows {11}[^`]+)`\s+for seed 1/.exec(README)![1]!;
    const r = cli(['swarm', '--replay', '1', '--no-color']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toContain(line);
  });
});

describe('README error blocks', () => {
  it('an invalid scenario file: every problem with its line and column', () => {
    writeFileSync(join(tmp, 'bad.yaml'), /For this file\n\n```yaml\n([\s\S]*?)```/.exec(README)![1]!);
    expect(README).toContain('`walletstorm simulate bad.yaml` prints');
    const r = cli(['simulate', 'bad.yaml'], tmp);
    expect(r.status).toBe(2);
    expectShown(r.stderr, blockStartingWith('walletstorm: invalid scenario bad.yaml'));
  });

  it('an invalid threshold: the caret under the offending character', () => {
    const expected = blockStartingWith('walletstorm: invalid threshold "p99(ack.bett)<10"');
    const r = cli(['simulate', 'steady', '--threshold', 'p99(ack.bett)<10']);
    expect(r.status).toBe(2);
    expectShown(r.stderr, expected);
  });

  it('a command line with four problems lists them all', () => {
    const command = /^`walletstorm (simulate scenarios\/steady\.yaml [^`]+)`\nprints/m.exec(README)![1]!;
    const r = cli(words(command));
    expect(r.status).toBe(2);
    expectShown(r.stderr, blockStartingWith('walletstorm: 4 problems in this command line:'));
  });
});

describe('README CI gate: a baseline, the same run, a slower database, diff', () => {
  const dir = join(tmp, 'ci');
  mkdirSync(dir, { recursive: true });
  const at = BLOCKS.findIndex((b) => b.info === 'sh' && b.text.includes('--baseline baseline.json'));
  const [baselineArgs, gateArgs] = BLOCKS[at]!.text
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .filter((l) => l.startsWith('walletstorm '))
    .map((l) => words(l).slice(1));
  const slower = ['--set', 'wallet.request.serviceTimeMs.median=8', '--set', 'wallet.request.serviceTimeMs.p99=40'];

  beforeAll(() => {
    expect(baselineArgs!.slice(0, 2)).toEqual(['compare', 'steady']);
    expect(cli(baselineArgs!, dir).status).toBe(0);
  }, 120_000);

  it('the same run passes the gate (exit 0), a slower database fails it (exit 1), as the README prints them', () => {
    expect(gateArgs).toContain('--baseline');
    const pass = cli(gateArgs!, dir);
    expect(pass.status).toBe(0);
    expectShown(pass.stdout, BLOCKS[at + 1]!.text);

    for (const setting of slower.filter((a) => a !== '--set')) expect(README).toContain(`--set ${setting}`);
    const fail = cli([...gateArgs!, ...slower], dir);
    expect(fail.status).toBe(1);
    expectShown(fail.stdout, BLOCKS[at + 2]!.text);
    expectShown(readFileSync(join(dir, 'reports', 'pr.md'), 'utf8'), blockStartingWith('### walletstorm · steady · seed 1'));
    const junit = readFileSync(join(dir, 'reports', 'pr.junit.xml'), 'utf8');
    expect(junit).toContain(/\(`(tests="\d+" failures="\d+")`\)/.exec(README)![1]);
    for (const line of blockStartingWith('<testcase classname="walletstorm.steady.request.baseline"').trimEnd().split('\n')) expect(junit).toContain(line);
  }, 120_000);

  it('diff: no change, a slower wallet, a report with fewer models', () => {
    expect(cli([...baselineArgs!.slice(0, -2), ...slower, '--json', 'slower.json'], dir).status).toBe(0);
    expect(cli(['simulate', 'steady', '--model', 'request', ...baselineArgs!.slice(2, -2), '--json', 'request-only.json'], dir).status).toBe(0);
    const transcript = blockStartingWith('$ walletstorm diff baseline.json baseline.json');
    const commands = [...transcript.matchAll(/^\$ walletstorm (.*)\n([\s\S]*?)\(exit (\d)\)$/gm)];
    expect(commands).toHaveLength(3);
    for (const [, command, expected, exit] of commands) {
      const r = cli([...words(command!), '--no-color'], dir);
      expect(r.status, command).toBe(Number(exit));
      expectShown(r.stdout, expected!);
    }
  }, 120_000);
});
