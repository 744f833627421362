/**
 * End to end: reports for people and CI through the built CLI. The README's CI example (a
 * baseline, a slower wallet, exit 1 naming the figure everywhere), diff, merge, .hgrm export,
 * and writes that survive being killed halfway.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHdr, decodeHdr, summarize } from '../src/report/histogram.js';
import { BIN, ROOT, walletstorm } from './report.helpers.js';

/** A short steady run: each CLI call takes about a second. */
const SMALL = ['--set', 'traffic.phases.0.durationSec=3', '--set', 'players.count=500'];
/** The knob of the README example: the request-driven wallet's database gets twice as slow. */
const SLOWER = ['--set', 'wallet.request.serviceTimeMs.median=8', '--set', 'wallet.request.serviceTimeMs.p99=40'];

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'walletstorm-report-'));
}, 120_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const read = (name: string) => readFileSync(join(tmp, name), 'utf8');

/** The CLI run from `dir`: a file or directory named "-" that a dash made would show there, not in the repository. */
function inDirectory(dir: string, args: readonly string[]) {
  return spawnSync(process.execPath, [BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined } });
}

describe('the CI example: a baseline, then a slower wallet', () => {
  it('keeps the JSON as a baseline; the same run passes, a slower wallet exits 1 naming the figure in every output', () => {
    const base = walletstorm(['compare', 'steady', ...SMALL, '--json', join(tmp, 'baseline.json')]);
    expect(base.status, base.stdout + base.stderr).toBe(0);

    const same = walletstorm(['compare', 'steady', ...SMALL, '--baseline', join(tmp, 'baseline.json'), '--report', 'junit,markdown', '--out-dir', tmp, '--name', 'same']);
    expect(same.status, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).toMatch(/✔ baseline .*baseline\.json \(seed 1\): \d+ figures compared, 0 regressed, 0 improved/);
    expect(read('same.md')).toMatch(/\*\*✅ passed\*\*: 3 models consistent, no regression against the baseline/);
    expect(read('same.junit.xml')).toMatch(/<testsuites name="walletstorm.steady" tests="\d+" failures="0" errors="0"/);

    const slow = walletstorm(['compare', 'steady', ...SMALL, ...SLOWER, '--baseline', join(tmp, 'baseline.json'), '--report', 'junit,markdown,html', '--out-dir', tmp, '--name', 'slow']);
    expect(slow.status, slow.stdout + slow.stderr).toBe(1);
    // stdout is not a terminal here: the compact summary, which names every regression
    expect(slow.stdout).toMatch(/✘ baseline .*: \d+ figures compared, \d+ regressed/);
    expect(slow.stdout).toMatch(/ {2}regression request: p99\(ack\.bet\) [\d.,]+ ms → [\d.,]+ ms \(\+[\d.,]+ ms, \+\d[\d.,]*%, allowed 10%\)/);
    // the other models did not change: nothing of theirs regressed
    expect(slow.stdout).not.toMatch(/regression (event|hybrid):/);
    expect(slow.stdout).toContain(`reports: ${join(tmp, 'slow.junit.xml')} ${join(tmp, 'slow.md')} ${join(tmp, 'slow.html')}`);

    const md = read('slow.md');
    expect(md).toContain('**❌ failed**');
    expect(md).toMatch(/- regression: \*\*request p99\(ack\.bet\)\*\* [\d.,]+ ms → [\d.,]+ ms/);
    expect(md).toMatch(/\| request \| p99\(ack\.bet\) \| [\d.,]+ ms \| [\d.,]+ ms \| \+[\d.,]+ ms \(\+[\d.,]+%\) \| ❌ regression \(allowed 10%\) \|/);
    expect(md).toContain('[JUnit XML](slow.junit.xml) · [HTML report](slow.html)');

    const xml = read('slow.junit.xml');
    expect(xml).toMatch(/<testcase classname="walletstorm\.steady\.request\.baseline" name="p99\(ack\.bet\)" time="0">\n\s+<failure message="regression: request: p99\(ack\.bet\) [^"]+" type="baseline">/);
    expect(xml).toMatch(/<testcase classname="walletstorm\.steady\.event\.baseline" name="p99\(ack\.bet\)" time="0"\/>/);
    const failures = Number(/<testsuites [^>]*failures="(\d+)"/.exec(xml)![1]);
    expect(failures).toBeGreaterThan(0);
    expect(failures).toBe((slow.stdout.match(/^ {2}regression /gm) ?? []).length);

    expect(read('slow.html')).toContain('regression: request: p99(ack.bet)');

    // The full table (what a terminal shows) names it too.
    const table = walletstorm(['compare', 'steady', ...SMALL, ...SLOWER, '--baseline', join(tmp, 'baseline.json'), '--report', 'terminal']);
    expect(table.status).toBe(1);
    expect(table.stdout).toMatch(/^p99 ack bet {2,}/m);
    expect(table.stdout).toMatch(/ {2}regression request: p99\(ack\.bet\) /);
  });

  it('a run of fewer models than the baseline fails the gate (exit 1), naming the models left out in every output', () => {
    const r = walletstorm(['simulate', 'steady', '--model', 'event', ...SMALL, '--baseline', join(tmp, 'baseline.json'), '--max-regression', '5%', '--report', 'summary,junit,markdown,html', '--out-dir', tmp, '--name', 'fewer']);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/✘ baseline .*baseline\.json \(seed 1\): \d+ figures compared, 0 regressed, \d+ improved, 2 missing/);
    expect(r.stdout).toContain('  missing in the new report: request\n  missing in the new report: hybrid\n');
    expect(read('fewer.md')).toMatch(/\*\*❌ failed\*\*\n- missing in the new report: request\n- missing in the new report: hybrid/);
    expect(read('fewer.junit.xml')).toMatch(/<testcase classname="walletstorm\.steady\.request\.baseline" name="model" time="0">\n\s+<failure message="missing in the new report: request"/);
    expect(read('fewer.html')).toMatch(/<p class="banner fail">FAIL: 0 of 1 model failed a check · missing in the new report: request · missing in the new report: hybrid<\/p>/);
  });

  it('refuses a baseline with no figures before running (exit 2, E_BASELINE_UNUSABLE)', () => {
    writeFileSync(join(tmp, 'min.json'), JSON.stringify({ tool: { name: 'walletstorm' }, scenario: { name: 'steady', seed: 1 }, runs: [{ model: 'request' }] }));
    const r = walletstorm(['simulate', 'steady', '--model', 'request', ...SMALL, '--baseline', join(tmp, 'min.json')]);
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/baseline .*min\.json: runs\[0\] \(request\) has none of the figures the gate compares/);
    expect(r.stderr).toContain('E_BASELINE_UNUSABLE');
  });

  it('rejects a bad --report or baseline before running (exit 2)', () => {
    const bad = walletstorm(['compare', 'steady', ...SMALL, '--report', 'json,pdf']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('unknown reporter "pdf"');
    expect(bad.stderr).toContain('E_UNKNOWN_REPORTER');
    expect(bad.stdout).toBe('');
    for (const [list, problem] of [
      ['', '--report names no reporter ("")'],
      [' , ', '--report names no reporter (" , ")'],
      ['terminal,summary', 'both write to standard output'],
    ]) {
      const r = walletstorm(['simulate', 'steady', '--model', 'request', ...SMALL, `--report=${list}`]);
      expect(r.status, list).toBe(2);
      expect(r.stderr).toContain(problem);
      expect(r.stderr).toContain('E_UNKNOWN_REPORTER');
      expect(r.stdout).toBe('');
    }
    const missing = walletstorm(['compare', 'steady', ...SMALL, '--baseline', join(tmp, 'nope.json')]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/cannot read report .*nope\.json: ENOENT/);
    expect(missing.stdout).toBe('');
    writeFileSync(join(tmp, 'not-a-report.json'), '{"hello": 1}');
    const wrong = walletstorm(['diff', join(tmp, 'not-a-report.json'), join(tmp, 'baseline.json')]);
    expect(wrong.status).toBe(2);
    expect(wrong.stderr).toContain('E_REPORT_INVALID');
  });
});

describe('walletstorm load writes the same reports', () => {
  it('--report and --baseline against a local wallet over HTTP', () => {
    const args = ['load', 'steady', '--duration', '2', '--rate-scale', '0.5', '--connections', '16'];
    const first = walletstorm([...args, '--json', join(tmp, 'load-base.json')]);
    expect(first.status, first.stdout + first.stderr).toBe(0);
    // Real figures wobble from run to run, more so on a busy machine: this checks the wiring,
    // not the wallet, so either verdict is fine as long as it is the gate's.
    const again = walletstorm([...args, '--baseline', join(tmp, 'load-base.json'), '--max-regression', '300%', '--max-regression', '+50', '--report', 'junit,markdown,html', '--out-dir', tmp, '--name', 'load']);
    expect([0, 1], again.stdout + again.stderr).toContain(again.status);
    expect(again.stdout).toMatch(/[✔✘] baseline .*load-base\.json \(seed 1\): \d+ figures compared, \d+ regressed/);
    if (again.status === 1) expect(again.stdout).toMatch(/^ {2}regression request: /m);
    const xml = read('load.junit.xml');
    expect(xml).toMatch(/<testsuite name="walletstorm\.steady\.request" /);
    expect(xml).toMatch(/classname="walletstorm\.steady\.request\.baseline" name="p99\(ack\.bet\)"/);
    // A real target's own check: it knows the scenario's players (the reference wallet does).
    expect(xml).toContain('classname="walletstorm.steady.request.consistency" name="the wallet knows every player" time="0"/>');
    expect(read('load.md')).toMatch(/\*\*(✅ passed|❌ failed)\*\*/);
    expect(read('load.html')).toContain('request (real)');
  }, 60_000);
});

describe('walletstorm diff', () => {
  beforeAll(() => {
    if (!existsSync(join(tmp, 'baseline.json'))) expect(walletstorm(['compare', 'steady', ...SMALL, '--json', join(tmp, 'baseline.json')]).status).toBe(0);
    const slower = walletstorm(['compare', 'steady', ...SMALL, ...SLOWER, '--json', join(tmp, 'slower.json')]);
    expect(slower.status, slower.stderr).toBe(0);
  }, 60_000);

  it('Markdown shows a scenario name as text: no tag, code span or cell break from it', () => {
    const r = walletstorm(['simulate', 'steady', '--model', 'request', ...SMALL, '--set', 'name=a<b>&c|d`e*_', '--report', 'summary,markdown', '--out-dir', tmp, '--name', 'weird']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(read('weird.md').split('\n')[0]).toBe('### walletstorm · a&lt;b&gt;&amp;c\\|d\\`e\\*\\_ · seed 1');
  });

  it('a report against itself: no change, exit 0', () => {
    const r = walletstorm(['diff', join(tmp, 'baseline.json'), join(tmp, 'baseline.json')]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/✔ no change: \d+ figures of 3 models compared, all the same\n$/);
  });

  it('a slower wallet: exit 1, the regressed figures listed', () => {
    const r = walletstorm(['diff', join(tmp, 'baseline.json'), join(tmp, 'slower.json')]);
    expect(r.status, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/^model +figure +baseline +current +change +verdict$/m);
    expect(r.stdout).toMatch(/^request +p99\(ack\.bet\) +[\d.,]+ ms +[\d.,]+ ms +\+[\d.,]+ ms \(\+[\d.,]+%\) +REGRESSION \(allowed 10%\)$/m);
    expect(r.stdout).toMatch(/✘ \d+ regressed, \d+ improved(, \d+ changed within the allowance)?(, \d+ changed and not judged \(offered load\))?, \d+ the same/);
    // the other way round, the same figures improved
    const back = walletstorm(['diff', join(tmp, 'slower.json'), join(tmp, 'baseline.json')]);
    expect(back.status, back.stdout + back.stderr).toBe(0);
    expect(back.stdout).toMatch(/^request +p99\(ack\.bet\) .* improvement$/m);
  });

  it('figures that moved within the allowance pass, and are not called unchanged', () => {
    const r = walletstorm(['diff', join(tmp, 'baseline.json'), join(tmp, 'slower.json'), '--max-regression', '100000%', '--max-regression', '+100000']);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toContain('no change');
    expect(r.stdout).toMatch(/✔ 0 regressed, \d+ improved, [1-9]\d* changed within the allowance(, \d+ changed and not judged \(offered load\))?, \d+ the same/);
  });

  /** baseline.json edited: `change` gets its parsed JSON and returns what to write. */
  const edited = (name: string, change: (r: { runs: Record<string, unknown>[] }) => unknown) => {
    writeFileSync(join(tmp, name), JSON.stringify(change(JSON.parse(read('baseline.json')))));
    return join(tmp, name);
  };

  it('a changed offered load is not judged, and not called within the allowance either', () => {
    const busier = edited('busier.json', (r) => {
      const throughput = r.runs[0]!.throughput as { offeredPerSec: number };
      throughput.offeredPerSec += 50;
      return r;
    });
    const r = walletstorm(['diff', join(tmp, 'baseline.json'), busier]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/✔ 0 regressed, 0 improved, 1 changed and not judged \(offered load\), \d+ the same \(/);
  });

  it('a new report missing runs or figures of the baseline: exit 1, each listed by name', () => {
    const noRuns = walletstorm(['diff', join(tmp, 'baseline.json'), edited('no-runs.json', (r) => ({ ...r, runs: [] }))]);
    expect(noRuns.status, noRuns.stdout + noRuns.stderr).toBe(1);
    expect(noRuns.stdout).toMatch(/✘ 0 regressed, 0 improved, 0 the same, 3 missing \(0 figures of 0 models\)\n {2}missing in the new report: request\n {2}missing in the new report: event\n {2}missing in the new report: hybrid\n$/);
    const noConsistency = walletstorm(['diff', join(tmp, 'baseline.json'), edited('no-consistency.json', (r) => {
      delete r.runs[0]!.consistency;
      return r;
    })]);
    expect(noConsistency.status, noConsistency.stdout + noConsistency.stderr).toBe(1);
    expect(noConsistency.stdout).toMatch(/^request +consistency\.ok +ok +- +MISSING$/m);
    expect(noConsistency.stdout).toContain('  missing in the new report: request consistency.ok\n');
    const oneModel = walletstorm(['diff', join(tmp, 'baseline.json'), edited('request-only.json', (r) => ({ ...r, runs: r.runs.filter((run) => run.model === 'request') }))]);
    expect(oneModel.status, oneModel.stdout + oneModel.stderr).toBe(1);
    expect(oneModel.stdout).toContain('  missing in the new report: event\n  missing in the new report: hybrid\n');
    // The other way round the extra models are new, not a failure.
    const more = walletstorm(['diff', join(tmp, 'request-only.json'), join(tmp, 'baseline.json')]);
    expect(more.status, more.stdout + more.stderr).toBe(0);
    expect(more.stdout).toContain('note: event: not in the baseline, nothing to compare');
  });

  it('a baseline with nothing to compare is refused (exit 2), naming the file', () => {
    const r = walletstorm(['diff', join(tmp, 'no-runs.json'), join(tmp, 'baseline.json')]);
    expect(r.status, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/baseline .*no-runs\.json has no runs: there is nothing to compare with/);
    expect(r.stderr).toContain('E_BASELINE_UNUSABLE');
  });
  it('a report from a device or a pipe is read up to the limit: /dev/zero is refused (exit 2) instead of read forever', () => {
    // statSync().size is 0 for both: only reading tells how long they are.
    const zero = walletstorm(['diff', join(tmp, 'baseline.json'), '/dev/zero'], 20_000);
    expect(zero.status, zero.stdout + zero.stderr).toBe(2);
    expect(zero.stderr).toContain('/dev/zero is over 256 MiB: not a report walletstorm writes\n');
    expect(zero.stderr).toContain('(E_REPORT_INVALID, exit 2)');
    // A shell pipe: the input spawnSync gives a child is a socket, which /dev/stdin cannot open.
    const piped = spawnSync('sh', ['-c', 'cat "$1" | "$2" "$3" diff "$1" /dev/stdin', 'sh', join(tmp, 'baseline.json'), process.execPath, BIN], { cwd: ROOT, encoding: 'utf8', timeout: 30_000, env: { ...process.env, NO_COLOR: '1' } });
    expect(piped.status, piped.stdout + piped.stderr).toBe(0);
    expect(piped.stdout).toMatch(/✔ no change: \d+ figures of 3 models compared, all the same\n$/);
  }, 60_000);

  it('a report with an impossible figure or two runs of one model is refused (exit 2), not read as an improvement or half compared', () => {
    const faster = edited('negative-p99.json', (r) => {
      ((r.runs[0]!.latency as { ack: { bet: { p99: number } } }).ack.bet.p99 = -3);
      return r;
    });
    const negative = walletstorm(['diff', join(tmp, 'baseline.json'), faster]);
    expect(negative.status, negative.stdout + negative.stderr).toBe(2);
    expect(negative.stdout).toBe('');
    expect(negative.stderr).toContain(`${faster}: runs[0] (request): latency.ack.bet.p99 is -3: expected a number, 0 or more\n`);
    expect(negative.stderr).toContain('(E_REPORT_INVALID, exit 2)');
    const twice = edited('request-twice.json', (r) => ({ ...r, runs: [...r.runs, r.runs[0]] }));
    const dup = walletstorm(['diff', twice, join(tmp, 'baseline.json')]);
    expect(dup.status, dup.stdout + dup.stderr).toBe(2);
    expect(dup.stderr).toContain(`${twice}: runs[3] is a second run of model request (runs[0] is the first)\n`);
    const gate = walletstorm(['simulate', 'steady', '--model', 'request', ...SMALL, '--baseline', faster]);
    expect(gate.status, gate.stdout + gate.stderr).toBe(2);
    expect(gate.stdout).toBe('');
    expect(gate.stderr).toContain('latency.ack.bet.p99 is -3');
  });
});

describe('walletstorm merge and --hgrm', () => {
  it('adds two processes’ reports exactly; .hgrm files for HdrHistogram’s plotter', () => {
    const a = walletstorm(['simulate', 'steady', '--model', 'request', ...SMALL, '--seed', '11', '--json', join(tmp, 'part-a.json')]);
    const b = walletstorm(['simulate', 'steady', '--model', 'request', ...SMALL, '--seed', '12', '--json', join(tmp, 'part-b.json')]);
    expect([a.status, b.status]).toEqual([0, 0]);
    const m = walletstorm(['merge', join(tmp, 'part-a.json'), join(tmp, 'part-b.json'), '--json', join(tmp, 'merged.json'), '--hgrm', join(tmp, 'hgrm'), '--name', 'merged']);
    expect(m.status, m.stdout + m.stderr).toBe(0);
    expect(m.stdout).toMatch(/^request +✔ consistent/m);

    const [pa, pb, merged] = ['part-a.json', 'part-b.json', 'merged.json'].map((f) => JSON.parse(read(f)));
    const [ra, rb, rm] = [pa.runs[0], pb.runs[0], merged.runs[0]];
    expect(rm.operations.logical).toBe(ra.operations.logical + rb.operations.logical);
    expect(rm.timeouts).toBe(ra.timeouts + rb.timeouts);
    expect(merged.merged.from.map((p: { seed: number }) => p.seed)).toEqual([11, 12]);
    // Checked independently of the merge code: decode both encodings and add them here.
    const sum = buildHdr();
    for (const r of [ra, rb]) sum.add(decodeHdr(r.histograms.ack.bet));
    expect(rm.latency.ack.bet).toEqual(summarize(sum, Math.round(Math.max(ra.latency.ack.bet.max, rb.latency.ack.bet.max) * 1000)));

    const files = readdirSync(join(tmp, 'hgrm')).sort();
    expect(files).toEqual(['merged.request.ack-bet.hgrm', 'merged.request.ack-rollback.hgrm', 'merged.request.ack-win.hgrm', 'merged.request.attempt.hgrm', 'merged.request.settlement.hgrm'].filter((f) => files.includes(f)));
    expect(files).toContain('merged.request.ack-bet.hgrm');
    const hgrm = readFileSync(join(tmp, 'hgrm', 'merged.request.ack-bet.hgrm'), 'utf8');
    expect(hgrm).toMatch(/^ +Value +Percentile +TotalCount 1\/\(1-Percentile\)\n\n/);
    expect(hgrm).toContain(`Total count    = ${String(rm.latency.ack.bet.count).padStart(12)}]`);
  });

  it('refuses to add reports of different scenarios (exit 2)', () => {
    const other = walletstorm(['simulate', 'peak-traffic', '--model', 'request', '--set', 'traffic.phases.0.durationSec=1', '--set', 'traffic.phases.1.durationSec=1', '--set', 'traffic.phases.2.durationSec=1', '--json', join(tmp, 'other.json')]);
    expect(other.status).toBe(0);
    const m = walletstorm(['merge', join(tmp, 'part-a.json'), join(tmp, 'other.json'), '--json', join(tmp, 'bad-merge.json')]);
    expect(m.status).toBe(2);
    expect(m.stderr).toContain('E_MERGE_MISMATCH');
    expect(existsSync(join(tmp, 'bad-merge.json'))).toBe(false);
  });

  it('refuses a run with a section cut out (exit 2, E_REPORT_INVALID naming file, run and field), not a crash', () => {
    for (const section of ['series', 'phases', 'latency', 'consistency', 'operations']) {
      const part = JSON.parse(read('part-b.json'));
      delete part.runs[0][section];
      writeFileSync(join(tmp, `cut-${section}.json`), JSON.stringify(part));
      const m = walletstorm(['merge', join(tmp, 'part-a.json'), join(tmp, `cut-${section}.json`), '--json', join(tmp, 'bad-merge.json')]);
      expect(m.status, m.stderr).toBe(2);
      expect(m.stderr).toMatch(new RegExp(`cut-${section}\\.json: runs\\[0\\] \\(request\\) has no ${section}\n`));
      expect(m.stderr).toContain('(E_REPORT_INVALID, exit 2)');
      expect(m.stderr).not.toMatch(/TypeError|internal error/);
    }
    expect(existsSync(join(tmp, 'bad-merge.json'))).toBe(false);
  });

  it('refuses a run or scenario with a field of the wrong kind (exit 2, E_REPORT_INVALID naming file, run and field), not a TypeError', () => {
    const cases: [string, (r: { scenario: Record<string, unknown>; runs: Record<string, unknown>[] }) => void, string][] = [
      ['histograms', (r) => (r.runs[0]!.histograms = {}), 'runs[0] (request) has no histograms.ack'],
      ['histograms-ack', (r) => ((r.runs[0]!.histograms as Record<string, unknown>).ack = null), 'runs[0] (request): histograms.ack is null: expected an object'],
      ['overrides', (r) => (r.scenario.overrides = 5), 'scenario: overrides is 5: expected a list of --set overrides'],
      // Summed as text before: the merged report said "OK": "190x", exit 0.
      ['results', (r) => (r.runs[0]!.results = { OK: 'x' }), 'runs[0] (request): results.OK is "x": expected a whole number, 0 or more'],
    ];
    for (const [name, edit, message] of cases) {
      const part = JSON.parse(read('part-b.json'));
      edit(part);
      writeFileSync(join(tmp, `wrong-${name}.json`), JSON.stringify(part));
      const m = walletstorm(['merge', join(tmp, 'part-a.json'), join(tmp, `wrong-${name}.json`), '--json', join(tmp, 'bad-merge.json')]);
      expect(m.status, m.stderr).toBe(2);
      expect(m.stderr).toContain(`wrong-${name}.json: ${message}\n`);
      expect(m.stderr).toContain('(E_REPORT_INVALID, exit 2)');
      expect(m.stderr).not.toMatch(/TypeError|internal error/);
    }
    expect(existsSync(join(tmp, 'bad-merge.json'))).toBe(false);
  });

  it('refuses reports without runs and the same run twice (exit 2)', () => {
    writeFileSync(join(tmp, 'zero-runs.json'), JSON.stringify({ ...JSON.parse(read('part-a.json')), runs: [] }));
    const empty = walletstorm(['merge', join(tmp, 'zero-runs.json'), join(tmp, 'zero-runs.json')]);
    expect(empty.status, empty.stdout + empty.stderr).toBe(2);
    expect(empty.stdout).toBe('');
    expect(empty.stderr).toMatch(/zero-runs\.json has no runs: nothing to merge\n[^]*\(E_MERGE_EMPTY, exit 2\)/);
    const twice = walletstorm(['merge', join(tmp, 'part-a.json'), join(tmp, 'part-a.json')]);
    expect(twice.status, twice.stdout + twice.stderr).toBe(2);
    expect(twice.stdout).toBe('');
    expect(twice.stderr).toMatch(/part-a\.json and .*part-a\.json hold the same run: scenario steady seed 11 model request\n[^]*\(E_MERGE_SAME_RUN, exit 2\)/);
  });

  it('refuses a merged report as an input (exit 2, E_MERGE_NESTED): its runs could count twice', () => {
    const again = walletstorm(['merge', join(tmp, 'merged.json'), join(tmp, 'part-b.json'), '--json', join(tmp, 'merged-again.json')]);
    expect(again.status, again.stdout + again.stderr).toBe(2);
    expect(again.stderr).toContain(`${join(tmp, 'merged.json')} is itself a merged report (of ${join(tmp, 'part-a.json')}, ${join(tmp, 'part-b.json')}): merged again, a run it holds could count twice`);
    expect(again.stderr).toContain('(E_MERGE_NESTED, exit 2)');
    expect(existsSync(join(tmp, 'merged-again.json'))).toBe(false);
  });
});

describe('report paths: checked before the run, and a write that still fails after it', () => {
  it('merge refuses to write over one of the reports it adds (exit 2)', () => {
    const before = read('part-a.json');
    const m = walletstorm(['merge', join(tmp, 'part-a.json'), join(tmp, 'part-b.json'), '--json', join(tmp, 'part-a.json')]);
    expect(m.status, m.stderr).toBe(2);
    expect(m.stderr).toContain(`--json ${join(tmp, 'part-a.json')}: is an input of this run`);
    expect(m.stderr).toContain('E_OUTPUT_IS_INPUT');
    expect(read('part-a.json')).toBe(before);
  });

  it('refuses an empty --json, --out-dir, --hgrm or --name before the run (E_BAD_FLAG, exit 2)', () => {
    for (const flag of ['--json=', '--out-dir=', '--hgrm=', '--name=']) {
      const r = walletstorm(['simulate', 'steady', '--model', 'request', ...SMALL, '--report', 'summary,json', flag]);
      expect(r.status, flag).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`${flag.slice(0, -1)} is empty`);
      expect(r.stderr).toContain('(E_BAD_FLAG, exit 2)');
    }
  });

  it('--json - writes the JSON report to standard output and the summary and trace to standard error, for a pipe into jq; no file named "-"', () => {
    const dir = join(tmp, 'dash');
    mkdirSync(dir);
    const run = (args: string[]) => inDirectory(dir, args);
    const r = run(['simulate', 'steady', '--model', 'request', ...SMALL, '--json', '-', '--trace', 'p1', '--report', 'summary,junit', '--out-dir', dir, '--name', 'dash']);
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.runs[0]).toMatchObject({ model: 'request', duplicates: 0 });
    expect(r.stderr).toMatch(/^walletstorm \S+ · scenario steady · seed 1\nrequest  ✔ consistent/);
    expect(r.stderr).toContain('reports: ');
    expect(r.stderr).toContain('p1 · request');
    expect(readdirSync(dir).sort()).toEqual(['dash.junit.xml']);
    // The same report as --json FILE writes (wall time apart).
    const file = join(dir, 'file.json');
    expect(walletstorm(['simulate', 'steady', '--model', 'request', ...SMALL, '--json', file]).status).toBe(0);
    expect(JSON.parse(read('dash/file.json')).runs).toEqual(report.runs);
    // merge takes it too.
    const other = join(dir, 'other.json');
    expect(walletstorm(['simulate', 'steady', '--model', 'request', ...SMALL, '--seed', '2', '--json', other]).status).toBe(0);
    const m = run(['merge', file, other, '--json', '-']);
    expect(m.status, m.stderr).toBe(0);
    expect(JSON.parse(m.stdout).merged.from).toHaveLength(2);
    expect(m.stderr).toContain('request  ✔ consistent');
  });

  it('refuses a dash for --out-dir and --hgrm, which name directories, with every other problem (E_BAD_FLAG, exit 2)', () => {
    const dir = join(tmp, 'dash-dirs');
    mkdirSync(dir);
    const r = inDirectory(dir, ['simulate', 'steady', '--model', 'request', ...SMALL, '--report', 'junit', '--out-dir', '-', '--hgrm', '-', '--json', '-']);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('E_BAD_FLAG  --out-dir -: --out-dir names a directory, which standard output is not');
    expect(r.stderr).toContain('E_BAD_FLAG  --hgrm -: --hgrm names a directory, which standard output is not');
    expect(r.stderr).toContain('hint: only the JSON report goes to standard output (--json -)');
    expect(readdirSync(dir)).toEqual([]);
  });

  it('cuts a long scenario name in the default file names, which stay within 255 bytes', () => {
    const dir = join(tmp, 'long-name');
    const r = walletstorm(['simulate', 'steady', '--model', 'request', ...SMALL, '--set', `name=${'n'.repeat(300)}`, '--report', 'summary,json,junit', '--out-dir', dir]);
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(dir);
    expect(files).toHaveLength(2);
    for (const f of files) expect(f).toMatch(new RegExp(`^n{120}-request-\\d{8}T\\d{6}\\.\\d{3}Z\\.(json|junit\\.xml)$`));
  });

  it('refuses --json over the --baseline it compares with (exit 2): a regression would become the next baseline', () => {
    const before = read('baseline.json');
    const r = walletstorm(['simulate', 'steady', '--model', 'request', ...SMALL, '--baseline', join(tmp, 'baseline.json'), '--json', join(tmp, 'baseline.json')]);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`--json ${join(tmp, 'baseline.json')}: is an input of this run`);
    expect(r.stderr).toContain('E_OUTPUT_IS_INPUT');
    expect(read('baseline.json')).toBe(before);
  });

  it('the directory replaced by a file during the run: the summary is printed, a typed error, exit 3, no temporary file', async () => {
    const dir = join(tmp, 'swapped');
    mkdirSync(dir);
    const args = ['simulate', 'steady', '--model', 'request', ...SMALL, '--pace', '1x', '--no-ui', '--report', 'json,html', '--out-dir', dir, '--name', 'r', '--json', join(dir, 'x.json')];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    // The first progress line comes after the checks, with the run still going (paced at 1x).
    await new Promise((resolve) => child.stderr.once('data', resolve));
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'in the way\n');
    const status = await new Promise<number | null>((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', resolve)));
    expect(status, stdout + stderr).toBe(3);
    expect(stdout).toMatch(/^request +✔ consistent/m);
    expect(stdout).toContain('replay: walletstorm simulate steady');
    expect(stdout).not.toContain('reports:');
    expect(stderr).toContain('3 reports could not be written');
    expect(stderr).toContain(`could not write the report ${join(dir, 'x.json')}: ENOTDIR`);
    expect(stderr).toContain('(E_REPORT_WRITE, exit 3)');
    expect(stderr).not.toMatch(/internal error|    at /);
    expect(readdirSync(tmp).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);
});

describe('a run killed while it writes reports leaves the old file or the complete new one', () => {
  it('writeFileAtomic, killed with SIGKILL at random moments of a write loop', async () => {
    const dir = join(tmp, 'atomic');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'report.json');
    writeFileSync(file, JSON.stringify({ version: 0, pad: 'x'.repeat(8_000_000), end: 0 }));
    const json = pathToFileURL(join(ROOT, 'dist', 'src', 'report', 'reporters', 'json.js')).href;
    // Says after each complete write, so the kill below comes after some progress, at any moment of a later write.
    const writer = `const { writeFileAtomic } = await import(${JSON.stringify(json)});
      const pad = 'x'.repeat(8_000_000);
      for (let n = 1; ; n++) { writeFileAtomic(${JSON.stringify(file)}, JSON.stringify({ version: n, pad, end: n })); process.stdout.write(n + '\\n'); }`;
    const leftovers = () => readdirSync(dir).filter((f) => f.endsWith('.tmp')).length;
    let kills = 0;
    // Until some kill has landed mid-write (its temporary file is left behind), at least 8 kills.
    while (kills < 8 || (leftovers() === 0 && kills < 30)) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', writer], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise((resolve) => child.stdout!.once('data', resolve));
      await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 150)));
      child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      kills++;
      const report = JSON.parse(readFileSync(file, 'utf8'));
      expect(report.end).toBe(report.version);
      expect(report.version).toBeGreaterThan(0);
      expect(report.pad.length).toBe(8_000_000);
    }
    // Kills landed mid-write: their temporary files are left (harmless litter); the report never is half written.
    expect(leftovers()).toBeGreaterThan(0);
  }, 180_000);

  it('the CLI killed at random moments of a run never leaves a partial report', async () => {
    const dir = join(tmp, 'killed');
    const args = ['compare', 'steady', ...SMALL, '--report', 'json,junit,html,markdown', '--out-dir', dir, '--name', 'run'];
    const first = walletstorm(args);
    expect(first.status).toBe(0);
    const complete = () => {
      expect(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')).runs).toHaveLength(3);
      expect(readFileSync(join(dir, 'run.html'), 'utf8')).toMatch(/<\/html>\n$/);
      expect(readFileSync(join(dir, 'run.junit.xml'), 'utf8')).toMatch(/<\/testsuites>\n$/);
      expect(readFileSync(join(dir, 'run.md'), 'utf8')).toMatch(/replay: .*\n$/);
    };
    complete();
    for (let i = 0; i < 6; i++) {
      const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: 'ignore' });
      await new Promise((resolve) => setTimeout(resolve, 300 + Math.floor(Math.random() * 1500)));
      child.kill('SIGKILL');
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
      complete();
    }
  }, 90_000);
});

describe('the summary table', () => {
  it('names the fault windows, which "faults fired" cannot count (a slow database is a window, not an event)', () => {
    const r = walletstorm(['simulate', 'metastable', '--model', 'request', '--report', 'terminal', '--no-ui', '--set', 'traffic.phases.0.durationSec=5']);
    expect(r.stdout).toMatch(/faults fired +-\n/);
    expect(r.stdout).toMatch(/fault windows +walletSlowdown \d+(\.\d)?–\d+(\.\d)? s\n/);
    const open = walletstorm(['simulate', 'steady', '--model', 'request', '--report', 'terminal', '--no-ui', '--set', 'traffic.phases.0.durationSec=3', '--set', 'faults.walletSlowdown={fromSec: 1, factor: 2}']);
    expect(open.stdout).toMatch(/fault windows +walletSlowdown from 1 s\n/);
  });
});
