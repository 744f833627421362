/**
 * End to end: the built CLI (`bin/walletstorm.js` → `dist/`), its output and its exit codes.
 * dist/ is rebuilt first when any source file is newer than its compiled counterpart.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'walletstorm.js');

/** Small traffic so that each simulation takes well under a second. */
const SMALL = ['--set', 'traffic.phases.0.durationSec=2', '--set', 'traffic.phases.0.roundsPerSec=200', '--set', 'players.count=200'];

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function walletstorm(...args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined },
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function sourcesNewerThanBuild(): string[] {
  const stale: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) {
        const built = join(ROOT, 'dist', relative(ROOT, path).replace(/\.ts$/, '.js'));
        if (!existsSync(built) || statSync(built).mtimeMs < statSync(path).mtimeMs) stale.push(relative(ROOT, path));
      }
    }
  };
  walk(join(ROOT, 'src'));
  return stale;
}

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'walletstorm-e2e-'));
  if (sourcesNewerThanBuild().length > 0) {
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
    if (tsc.status !== 0) throw new Error(`build failed:\n${tsc.stdout}${tsc.stderr}`);
  }
}, 120_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function expectNoStack(r: Run) {
  expect(r.stderr).not.toContain('    at ');
  expect(r.stdout).not.toContain('    at ');
  expect(r.stderr).not.toMatch(/internal error/);
}

function simulateJson(name: string, ...args: string[]): { run: Run; report: any; text: string } {
  const file = join(tmp, name);
  const run = walletstorm('simulate', ...args, '--json', file);
  expect(run.stderr).toBe('');
  expect(existsSync(file), `no report written; stdout:\n${run.stdout}`).toBe(true);
  const text = readFileSync(file, 'utf8');
  return { run, report: JSON.parse(text), text };
}

const LATENCY_KEYS = ['count', 'p50', 'p90', 'p99', 'p999', 'max'];

function expectLatency(summary: unknown, label: string) {
  expect(Object.keys(summary as object).sort(), label).toEqual([...LATENCY_KEYS].sort());
  const s = summary as Record<string, number>;
  for (const k of LATENCY_KEYS) expect(Number.isFinite(s[k]) && s[k]! >= 0, `${label}.${k} = ${s[k]}`).toBe(true);
  // p999 <= max is not asserted: HDR percentiles are bucket upper bounds and can exceed the
  // exact max today (see the report)
  expect(s.p50! <= s.p90! && s.p90! <= s.p99! && s.p99! <= s.p999!, `${label} percentiles in order`).toBe(true);
  expect(s.count === 0 || s.max! > 0, `${label}: max of a non-empty histogram`).toBe(true);
}

describe('walletstorm scenarios', () => {
  it('lists every shipped scenario with its summary', () => {
    const r = walletstorm('scenarios');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const names = readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, ''));
    expect(names).toEqual(expect.arrayContaining(['steady', 'peak-traffic']));
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(names.length);
    for (const n of names) expect(lines.some((l) => new RegExp(`^${n}\\s+\\S`).test(l)), `${n} listed with a summary`).toBe(true);
  });
});

describe('walletstorm --version and --help', () => {
  it('prints the package version', () => {
    const r = walletstorm('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version);
  });

  it('prints usage and exits 0', () => {
    const r = walletstorm('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/simulate/);
    expect(r.stdout).toMatch(/scenarios/);
  });
});

describe('walletstorm simulate', () => {
  it('writes a JSON report that follows the contract, and exits 0', () => {
    const { run, report, text } = simulateJson('steady.json', 'scenarios/steady.yaml', '--model', 'request', ...SMALL);
    expect(run.status).toBe(0);
    expect(text.endsWith('\n')).toBe(true);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    expect(report.tool).toMatchObject({ name: 'walletstorm' });
    expect(report.scenario).toMatchObject({ name: 'steady', seed: 1, overrides: SMALL.filter((a) => a !== '--set') });
    expect(report.runs).toHaveLength(1);
    const r = report.runs[0];
    expect(r.model).toBe('request');
    expect(r.world).toBe('virtual');
    expect(Object.keys(r.operations)).toEqual(expect.arrayContaining(['logical', 'attempts', 'acknowledged', 'failed', 'indeterminate']));
    for (const k of ['logical', 'attempts', 'acknowledged', 'failed', 'indeterminate']) expect(Number.isInteger(r.operations[k]), k).toBe(true);
    expect(r.operations.logical).toBeGreaterThan(0);
    expect(r.operations.attempts).toBeGreaterThanOrEqual(r.operations.logical);
    expect(r.operations.acknowledged).toBeLessThanOrEqual(r.operations.attempts);
    for (const kind of ['bet', 'win', 'rollback']) expectLatency(r.latency.ack[kind], `latency.ack.${kind}`);
    expectLatency(r.latency.settlement, 'latency.settlement');
    expect(r.latency.ack.bet.count).toBeGreaterThan(0);
    for (const k of ['retries', 'timeouts', 'duplicates', 'lost', 'unexpected', 'mismatches', 'negativeBalances', 'lateRejections', 'maxQueueDepth', 'maxLagMs']) {
      expect(typeof r[k], k).toBe('number');
      expect(r[k], k).toBeGreaterThanOrEqual(0);
    }
    expect(r.convergenceMs === null || typeof r.convergenceMs === 'number').toBe(true);
    expect(r.consistency).toMatchObject({ ok: true, balanceMismatches: 0, conservation: { ok: true } });
    expect(r.consistency.conservation.initialMinorUnits).toBe(r.consistency.conservation.finalMinorUnits);
    expect(r.consistency.conservation.initialMinorUnits).toBe(200 * 1_000_000);
    // a calm baseline: nothing duplicated, lost or unexpected
    expect([r.duplicates, r.lost, r.unexpected, r.negativeBalances]).toEqual([0, 0, 0, 0]);

    // the terminal summary and the exact command to replay the run
    expect(run.stdout).toMatch(/scenario steady · seed 1/);
    expect(run.stdout).toContain('replay: walletstorm simulate scenarios/steady.yaml --model request --seed 1 --set traffic.phases.0.durationSec=2');
    expect(run.stdout).not.toMatch(/\x1b\[/);
  });

  it('the replay line quotes a path with a space; default report names keep the milliseconds', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ws replay '));
    try {
      const file = join(dir, 'my scen.yaml');
      writeFileSync(file, readFileSync(join(ROOT, 'scenarios', 'steady.yaml')));
      const r = walletstorm('simulate', file, '--model', 'request', ...SMALL, '--report', 'summary,json', '--out-dir', dir);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain(`replay: walletstorm simulate '${file}' --model request --seed 1`);
      expect(readdirSync(dir).filter((f) => f.endsWith('.json'))).toEqual([expect.stringMatching(/^steady-request-\d{8}T\d{6}\.\d{3}Z\.json$/)]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('the same seed gives byte-identical runs; another seed gives other figures', () => {
    const a = simulateJson('a.json', 'scenarios/steady.yaml', '--model', 'request', ...SMALL);
    const b = simulateJson('b.json', 'scenarios/steady.yaml', '--model', 'request', ...SMALL);
    const c = simulateJson('c.json', 'scenarios/steady.yaml', '--model', 'request', '--seed', '2', ...SMALL);
    for (const x of [a, b, c]) expect(x.run.status).toBe(0);

    expect(JSON.stringify(b.report.runs, null, 2)).toBe(JSON.stringify(a.report.runs, null, 2));
    expect(b.run.stdout).toBe(a.run.stdout);

    expect(c.report.scenario.seed).toBe(2);
    expect(c.run.stdout).toContain('--seed 2');
    expect(JSON.stringify(c.report.runs)).not.toBe(JSON.stringify(a.report.runs));
    const figures = (x: typeof a) => [x.report.runs[0].operations.logical, x.report.runs[0].latency.ack.bet.p50, x.report.runs[0].latency.ack.bet.max];
    expect(figures(c)).not.toEqual(figures(a));
  });

  it('runs several models in the order given, on the same traffic', () => {
    const { run, report } = simulateJson('both.json', 'steady', '--model', 'request,event', ...SMALL);
    expect(run.status).toBe(0);
    expect(report.runs.map((r: { model: string }) => r.model)).toEqual(['request', 'event']);
    for (const r of report.runs) {
      expect(r.world).toBe('virtual');
      expect(r.consistency.ok).toBe(true);
      expect(r.operations.logical).toBeGreaterThan(0);
    }
    // the provider's schedule does not depend on the wallet: the same bets are offered
    expect(report.runs[0].operations.byKind.bet).toBe(report.runs[1].operations.byKind.bet);
  });
});

describe('invalid input exits 2 with a message and no stack trace', () => {
  it('an invalid scenario file names the field and the line', () => {
    const file = join(tmp, 'bad.yaml');
    writeFileSync(file, ['name: bad', 'traffic:', '  phases:', '    - kind: steady', '      durationSec: 5', '      roundsPerSec: fast', 'wallet:', '  idempotncy: off', ''].join('\n'));
    const r = walletstorm('simulate', file);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('E_SCENARIO_INVALID');
    expect(r.stderr).toMatch(/bad\.yaml:6(:\d+)?\s+traffic\.phases\.0\.roundsPerSec:/);
    expect(r.stderr).toMatch(/bad\.yaml:8(:\d+)?\s+wallet: unknown field "idempotncy"/);
    expectNoStack(r);
  });

  it('a YAML syntax error', () => {
    const file = join(tmp, 'broken.yaml');
    writeFileSync(file, 'name: broken\ntraffic:\n  phases: [\n    - a\n');
    const r = walletstorm('simulate', file);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/YAML/);
    expectNoStack(r);
  });

  it('a bad --set override', () => {
    const r = walletstorm('simulate', 'steady', '--set', 'wallet.idempotency=maybe');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--set wallet.idempotency=maybe');
    expectNoStack(r);
  });

  it('a missing scenario', () => {
    const r = walletstorm('simulate', join(tmp, 'nowhere.yaml'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/scenario not found/);
    expect(r.stderr).toContain('E_SCENARIO_NOT_FOUND');
    expectNoStack(r);
  });

  it('an unknown option', () => {
    const r = walletstorm('simulate', 'steady', '--frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option/);
    expectNoStack(r);
  });

  it('an unknown command', () => {
    const r = walletstorm('simulat', 'steady');
    expect(r.status).toBe(2);
    expectNoStack(r);
  });

  it('a missing scenario argument', () => {
    const r = walletstorm('simulate');
    expect(r.status).toBe(2);
    expectNoStack(r);
  });

  it.each([['abc'], ['1.5'], ['4294967296'], ['']])('--seed %j', (seed) => {
    const r = walletstorm('simulate', 'steady', '--seed', seed);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('E_BAD_SEED');
    expectNoStack(r);
  });

  // Flags are checked before anything is sent: port 9 (discard) is never dialled when they fail.
  it.each([
    ['--seed', '', 'E_BAD_SEED'],
    ['--seed', '0x10', 'E_BAD_SEED'],
    ['--seed', '1e3', 'E_BAD_SEED'],
    ['--seed', ' 5', 'E_BAD_SEED'],
    ['--seed', '4294967296', 'E_BAD_SEED'],
    ['--duration', '0x10', 'E_BAD_FLAG'],
    ['--duration', '1e-9', 'E_BAD_FLAG'],
    ['--duration', '', 'E_BAD_FLAG'],
    ['--duration', '0', 'E_BAD_FLAG'],
    ['--rate-scale', '1e-300', 'E_BAD_FLAG'],
    ['--rate-scale', '-1', 'E_BAD_FLAG'],
    ['--connections', '1e3', 'E_BAD_FLAG'],
  ])('load %s %j', (flag, value, code) => {
    const r = walletstorm('load', 'steady', '--target', 'http://127.0.0.1:9', `${flag}=${value}`);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(code);
    expect(r.stderr).toContain(`${flag} must be`);
    expect(r.stderr).toContain(`"${value}"`);
    expect(r.stderr).not.toContain('cannot reach');
    expectNoStack(r);
  });

  // Served by a wallet at a URL, a model is whatever that wallet runs: --model there used to be
  // ignored without a word, and a job that meant to gate the event-driven wallet passed on another.
  it('load --model with a wallet at a URL is refused before anything is sent, naming the flag that does take it', () => {
    const r = walletstorm('load', 'steady', '--target', 'http://127.0.0.1:9', '--model', 'event');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('E_BAD_FLAG');
    expect(r.stderr).toContain('--model goes with --target local');
    expect(r.stderr).toContain('serve --model event');
    expect(r.stderr).not.toContain('cannot reach');
    expectNoStack(r);
  });

  it('load with traffic scaled down to nothing is refused before it starts, not passed as consistent', () => {
    const r = walletstorm('load', 'steady', '--target', 'http://127.0.0.1:9', '--duration', '0.5', '--rate-scale', '0.001');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('E_NO_TRAFFIC');
    expect(r.stderr).toContain('--rate-scale');
    expect(r.stdout).not.toContain('consistent');
    expectNoStack(r);
  });

  it.each([
    ['steady', ['--rate-scale', '1000'], '30,000,000 rounds in all', 'hint: lower --rate-scale or --duration\n'],
    ['retry-storm', ['--rate-scale', '1000', '--duration', '1'], 'asks for 1,500,000 rounds/s', 'hint: lower --rate-scale\n'],
  ])('load %s with traffic scaled beyond what one run holds (%j) is refused before it starts', (scenario, flags, problem, hint) => {
    const r = walletstorm('load', scenario, '--target', 'http://127.0.0.1:9', ...flags);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('E_TOO_MUCH_TRAFFIC');
    expect(r.stderr).toContain(problem);
    expect(r.stderr).toContain(hint);
    expect(r.stderr).not.toContain('cannot reach');
    expectNoStack(r);
  });

  it.each([
    ['--seed', '99999999999', 'E_BAD_SEED'],
    ['--seed', '', 'E_BAD_SEED'],
    ['--seed', '1e3', 'E_BAD_SEED'],
    ['--port', '0x10', 'E_BAD_PORT'],
    ['--port', '', 'E_BAD_PORT'],
    ['--host', '', 'E_BAD_HOST'],
    ['--host', '999.1.1.1', 'E_BAD_HOST'],
    ['--host', 'wallet.example', 'E_BAD_HOST'],
  ])('serve %s %j', (flag, value, code) => {
    const r = walletstorm('serve', '--port', '0', `${flag}=${value}`);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(code);
    expect(r.stderr).toContain(`"${value}"`);
    expect(r.stdout).not.toContain('listening');
    if (flag === '--host') expect(r.stderr).toMatch(/hint: .*127\.0\.0\.1.*0\.0\.0\.0/);
    expectNoStack(r);
  });

  it('--model nope', () => {
    const r = walletstorm('simulate', 'steady', '--model', 'nope');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown model "nope"/);
    expectNoStack(r);
  });
});

describe('several bad flags in one command line: every problem listed at once, exit 2', () => {
  /** The problem lines: each starts with its code, two spaces in. */
  const problemLines = (stderr: string) => stderr.split('\n').filter((line) => /^ {2}E_[A-Z_]+ {2}/.test(line));

  it('simulate: --model, --set, --threshold and --seed, each with its flag, value and code; the process reports the first code', () => {
    const r = walletstorm('simulate', 'scenarios/steady.yaml', '--seed', 'abc', '--model', 'nope', '--set', 'wallet.workers=x', '--threshold', 'p99(');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^walletstorm: 4 problems in this command line:\n/);
    expect(problemLines(r.stderr)).toEqual([
      '  E_UNKNOWN_MODEL  unknown model "nope"',
      expect.stringMatching(/^ {2}E_SCENARIO_INVALID {2}invalid scenario .*steady\.yaml \(1 problem\):$/),
      '  E_THRESHOLD_INVALID  invalid threshold "p99(": expected a latency (ack.bet, ack.win, ack.rollback, settlement, attempt)',
      '  E_BAD_SEED  --seed must be a whole number from 0 to 4294967295, got "abc"',
    ]);
    expect(r.stderr).toContain('wallet: unknown field "workers" (from --set wallet.workers=x)');
    // The caret under the offending character, as for one bad threshold alone.
    expect(r.stderr).toContain('\n      p99(\n          ^\n');
    expect(r.stderr).toContain('    hint: use one of request, event, hybrid or all\n');
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('(E_UNKNOWN_MODEL, exit 2)');
    expectNoStack(r);
  });

  it('two bad thresholds are both listed, their shared hint once', () => {
    const r = walletstorm('simulate', 'steady', '--threshold', 'p99(ack.bet)<', '--threshold', 'dupes==0');
    expect(r.status).toBe(2);
    expect(problemLines(r.stderr)).toEqual([
      '  E_THRESHOLD_INVALID  invalid threshold "p99(ack.bet)<": expected a number, true or false',
      '  E_THRESHOLD_INVALID  invalid threshold "dupes==0": unknown field "dupes"',
    ]);
    expect(r.stderr.match(/hint: a threshold compares/g)).toHaveLength(1);
    expectNoStack(r);
  });

  it('load: number flags, target, model, seed and output flags together, and nothing is dialled or created', () => {
    const outDir = join(tmp, 'never-created');
    const r = walletstorm(
      'load', 'steady', '--target', 'http://10.0.0.1:9', '--model', 'nope', '--connections', 'x', '--duration', '0', '--seed', '1.5',
      '--report', 'html,termnal', '--out-dir', outDir, '--name', '', '--max-regression', 'ten percent',
    );
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(problemLines(r.stderr)).toEqual([
      '  E_BAD_FLAG  --connections must be a whole number from 1 to 10000, got "x"',
      '  E_BAD_FLAG  --duration must be a decimal number from 0.1 to 86400 (such as 2 or 0.5), got "0"',
      "  E_TARGET_NOT_LOOPBACK  refusing to send load to 10.0.0.1 (--target): only this machine's loopback addresses are allowed",
      '  E_UNKNOWN_MODEL  unknown model "nope"',
      '  E_BAD_SEED  --seed must be a whole number from 0 to 4294967295, got "1.5"',
      '  E_BAD_FLAG  --name is empty',
      '  E_UNKNOWN_REPORTER  unknown reporter "termnal"',
      '  E_BAD_MAX_REGRESSION  --max-regression: cannot read "ten percent"',
    ]);
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe('(E_BAD_FLAG, exit 2)');
    expect(existsSync(outDir)).toBe(false);
    expectNoStack(r);
  });

  it('serve: --model, --host, --port, --brokers and --seed together, and it does not listen', () => {
    const r = walletstorm('serve', '--model', 'nope', '--host', 'wallet.example', '--port', '0x10', '--brokers', 'kafka.example:9092', '--seed', '-1');
    expect(r.status).toBe(2);
    expect(r.stdout).not.toContain('listening');
    expect(problemLines(r.stderr).map((line) => line.trim().split('  ')[0])).toEqual(['E_UNKNOWN_MODEL', 'E_BAD_HOST', 'E_BAD_PORT', 'E_BAD_BROKERS', 'E_BAD_SEED']);
    expect(r.stderr).toContain('got "wallet.example"');
    expect(r.stderr).toContain('got "0x10"');
    expect(r.stderr).toContain('got "kafka.example:9092"');
    expect(r.stderr).toContain('got "-1"');
    expectNoStack(r);
  });

  it('swarm: --model, --seeds and --from together', () => {
    const r = walletstorm('swarm', '--model', 'request,request', '--seeds', '0', '--from', 'x');
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(problemLines(r.stderr)).toEqual([
      '  E_MODEL_TWICE  model "request" is named twice in --model request,request',
      '  E_BAD_NUMBER  --seeds must be a whole number from 1 to 4294967295, got "0"',
      '  E_BAD_NUMBER  --from must be a whole number from 0 to 4294967295, got "x"',
    ]);
    expectNoStack(r);
  });

  it('diff: a bad --max-regression and both reports missing', () => {
    const r = walletstorm('diff', join(tmp, 'old-missing.json'), join(tmp, 'new-missing.json'), '--max-regression', 'p98(ack.bet)=5%');
    expect(r.status).toBe(2);
    expect(problemLines(r.stderr).map((line) => line.trim().split('  ')[0])).toEqual(['E_BAD_MAX_REGRESSION', 'E_REPORT_UNREADABLE', 'E_REPORT_UNREADABLE']);
    expect(r.stderr).toContain('old-missing.json');
    expect(r.stderr).toContain('new-missing.json');
    expectNoStack(r);
  });

  it('an unknown option is still commander’s, alone: it stops the parse before any flag is read', () => {
    const r = walletstorm('simulate', 'steady', '--seed', 'abc', '--frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--frobnicate'/);
    expect(r.stderr).not.toContain('E_BAD_SEED');
    expectNoStack(r);
  });
});

describe('output paths are checked before the run: exit 2 naming the flag and the path', () => {
  /** A run that fails its output check prints nothing on stdout: it never started. */
  function expectRefused(r: Run, code: string, flagAndPath: string) {
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`walletstorm: ${flagAndPath}: `);
    expect(r.stderr).toContain(`(${code}, exit 2)`);
    expect(r.stderr).toMatch(/^hint: /m);
    expectNoStack(r);
  }

  it('an existing directory as --json, and no temporary file left beside it', () => {
    const dir = join(tmp, 'a-directory');
    mkdirSync(dir);
    const r = walletstorm('simulate', 'steady', '--model', 'request', ...SMALL, '--json', dir);
    expectRefused(r, 'E_OUTPUT_IS_DIRECTORY', `--json ${dir}`);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it.each([
    ['simulate --json', (file: string) => ['simulate', 'steady', '--json', join(file, 'x.json')], '--json', 'x.json'],
    ['compare --report json,html --out-dir', (file: string) => ['compare', 'steady', '--report', 'json,html', '--out-dir', file], '--out-dir', ''],
    ['simulate --hgrm', (file: string) => ['simulate', 'steady', '--hgrm', file], '--hgrm', ''],
    ['simulate --report json --out-dir below a file', (file: string) => ['simulate', 'steady', '--report', 'json', '--out-dir', join(file, 'sub')], '--out-dir', 'sub'],
    ['load --json (before the wallet is started)', (file: string) => ['load', 'steady', '--json', join(file, 'x.json')], '--json', 'x.json'],
  ])('a regular file where a directory must be: %s', (_label, args, flag, below) => {
    const file = join(tmp, 'a-regular-file');
    writeFileSync(file, 'not a directory\n');
    const r = walletstorm(...args(file));
    expectRefused(r, 'E_OUTPUT_NOT_A_DIRECTORY', `${flag} ${below === '' ? file : join(file, below)}`);
    expect(readFileSync(file, 'utf8')).toBe('not a directory\n');
  });

  it('the scenario file being run, named directly or through a symbolic link, is never overwritten', () => {
    const scenario = join(tmp, 'my-scenario.yaml');
    const text = readFileSync(join(ROOT, 'scenarios', 'steady.yaml'), 'utf8');
    writeFileSync(scenario, text);
    symlinkSync(scenario, join(tmp, 'link.yaml'));
    for (const out of [scenario, join(tmp, 'link.yaml')]) {
      const r = walletstorm('simulate', scenario, '--model', 'request', ...SMALL, '--json', out);
      expectRefused(r, 'E_OUTPUT_IS_INPUT', `--json ${out}`);
    }
    expect(readFileSync(scenario, 'utf8')).toBe(text);
  });

  it.skipIf(process.platform !== 'linux')('a path under /proc is refused at once (node’s recursive mkdir loops forever there)', () => {
    const r = walletstorm('simulate', 'steady', '--json', '/proc/walletstorm-nowhere/report.json');
    expectRefused(r, 'E_OUTPUT_NOT_WRITABLE', '--json /proc/walletstorm-nowhere/report.json');
  });
});
