/**
 * End to end, the built CLI: the live dashboard inside a real terminal (tmux), the plain
 * progress lines when piped, and pace never changing results. dist/ is built by the global
 * setup (test/support/build.ts).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'walletstorm.js');

/**
 * retry-storm at a tenth of its rates, so that any machine keeps up with 10x: 80 s of run time
 * take about 8 s of wall time, long enough to watch and to press q.
 */
const LIGHT = ['--set', 'traffic.phases.0.roundsPerSec=150', '--set', 'traffic.phases.1.roundsPerSec=360', '--set', 'traffic.phases.2.roundsPerSec=50', '--set', 'players.count=2000'];
/** The same, squeezed to 40 s of traffic (4 s at 10x). */
const SHORT = [...LIGHT, '--set', 'traffic.phases.0.durationSec=10', '--set', 'traffic.phases.1.durationSec=10', '--set', 'traffic.phases.2.durationSec=20'];

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'walletstorm-ui-'));
});
afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** No NO_COLOR and no FORCE_COLOR: output that is not a terminal must be plain by itself. */
function plainEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NO_COLOR;
  delete env.FORCE_COLOR;
  return env;
}

/** The CLI with stdout and stderr piped. */
function piped(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: plainEnv() });
  if (r.error) throw r.error;
  return r;
}

/** The CLI with stdout and stderr redirected to files, as `walletstorm … > out.txt 2> err.txt`. */
function toFiles(args: string[], name: string) {
  const out = join(tmp, `${name}.stdout.txt`);
  const err = join(tmp, `${name}.stderr.txt`);
  const [o, e] = [openSync(out, 'w'), openSync(err, 'w')];
  try {
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, timeout: 60_000, env: plainEnv(), stdio: ['ignore', o, e] });
    if (r.error) throw r.error;
    return { status: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  } finally {
    closeSync(o);
    closeSync(e);
  }
}

describe('without a terminal', () => {
  it('written to files: plain progress lines on stderr, the summary on stdout, no escape codes; pace changes nothing', () => {
    const paced = toFiles(['simulate', 'scenarios/retry-storm.yaml', '--pace', '10x', ...SHORT, '--json', join(tmp, 'paced.json')], 'paced');
    expect(paced.status, paced.stderr).toBe(0);
    expect(paced.stdout).not.toContain('\u001b');
    expect(paced.stderr).not.toContain('\u001b');
    // At 10x, 40 s of traffic take 4 s: at least one progress line (every 3 s), then the summary.
    expect(paced.stderr).toMatch(/^walletstorm: retry-storm · run \d+\.\d s \/ 40\.0 s \((warm-up|storm|calm|draining)\) · wall \d+\.\d s · request: /m);
    expect(paced.stdout).toMatch(/request.*consistent/);
    expect(paced.stdout).toContain('replay: walletstorm simulate scenarios/retry-storm.yaml');

    const max = piped(['simulate', 'scenarios/retry-storm.yaml', '--pace', 'max', ...SHORT, '--json', join(tmp, 'max.json')]);
    expect(max.status, max.stderr).toBe(0);
    const runs = (file: string) => JSON.stringify(JSON.parse(readFileSync(join(tmp, file), 'utf8')).runs);
    expect(runs('paced.json')).toBe(runs('max.json'));
    const report = JSON.parse(readFileSync(join(tmp, 'paced.json'), 'utf8'));
    expect(report.runs.map((r: { model: string }) => r.model)).toEqual(['request', 'event', 'hybrid']);
    // The paced run took its time (4 s of wall at 10x); timing is the only part that differs.
    expect(report.timing.wallMs).toBeGreaterThanOrEqual(4000);
  });

  it('rejects a bad --pace with exit 2', () => {
    const r = piped(['simulate', 'steady', '--pace', 'fast']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--pace must be 1x, 10x');
  });
});

const hasTmux = spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;
if (!hasTmux) console.warn('ui.e2e: tmux is not installed, the dashboard test is SKIPPED (apt-get install tmux; .ci/run installs it)');

describe.skipIf(!hasTmux)(`in a terminal (tmux)${hasTmux ? '' : ' — SKIPPED: tmux is not installed'}`, () => {
  // A server of our own (-L), so that no one else's tmux session is touched; a new one for each
  // test, the previous one killed. (One server for all, with the session killed and made again:
  // killing its last session makes the server exit, and a new-session that reached it while it
  // was exiting failed with "server exited unexpectedly".)
  let servers = 0;
  let socket = '';
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  const pane = () => tmux('capture-pane', '-p', '-t', 'ws');
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the pane shows:\n${pane()}`);
      await sleep(100);
    }
  }
  afterAll(() => {
    if (socket !== '') spawnSync('tmux', ['-L', socket, 'kill-server']);
  });

  function start(args: string, env = '') {
    // CI is unset as a person's terminal has it: where CI is set, ink draws only the last frame.
    const command = `cd ${ROOT} && env -u CI -u CONTINUOUS_INTEGRATION -u NO_COLOR -u FORCE_COLOR TERM=xterm-256color ${env} ${process.execPath} ${BIN} ${args}; echo $? > ${tmp}/exit-code; sleep 600`;
    if (socket !== '') spawnSync('tmux', ['-L', socket, 'kill-server']);
    socket = `walletstorm-ui-${process.pid}-${++servers}`;
    rmSync(join(tmp, 'exit-code'), { force: true });
    tmux('new-session', '-d', '-s', 'ws', '-x', '120', '-y', '45', command);
  }
  /**
   * The shell's `echo $? > exit-code` creates the file before it writes the status: a probe
   * between the two found it empty (CI read '' once). Empty is "not yet".
   */
  const exitCode = () => {
    const file = join(tmp, 'exit-code');
    const text = existsSync(file) ? readFileSync(file, 'utf8').trim() : '';
    return text === '' ? undefined : text;
  };
  const runSeconds = (frame: string) => Number(/run (\d+\.\d) s \//.exec(frame)?.[1]);

  it('shows live figures that change, stops on q, writes the reports and exits 0', async () => {
    const json = join(tmp, 'tmux.json');
    const outDir = join(tmp, 'out');
    start(`simulate scenarios/retry-storm.yaml --pace 10x ${LIGHT.join(' ')} --json ${json} --report junit,markdown,html --out-dir ${outDir} --name tmux`);
    const first = await until('the dashboard', () => {
      const f = pane();
      return f.includes('walletstorm simulate · retry-storm') && runSeconds(f) >= 5 ? f : undefined;
    });
    expect(first).toContain('pace 10x');
    expect(first).toMatch(/▸ request\s+[\d,]+\s+[\d,]+/);
    expect(first).toContain('q stop and write reports · p pause · space next model');
    const second = await until('the figures to move on', () => {
      const f = pane();
      return runSeconds(f) >= runSeconds(first) + 10 ? f : undefined;
    });
    expect(second).not.toBe(first);
    const offered = (f: string) => /^offered\s+(\S+)\s+([\d,]+)\/s/m.exec(f)?.slice(1);
    expect(offered(second)).not.toEqual(offered(first));

    tmux('send-keys', '-t', 'ws', 'q');
    const code = await until('the exit code', exitCode);
    // The summary pushes the last frame up: read the scrollback too.
    const end = tmux('capture-pane', '-p', '-S', '-200', '-t', 'ws');
    expect(code, end).toBe('0');
    expect(end).toMatch(/walletstorm: stopped with q at \d+\.\d s of run time; the reports cover the run until then/);
    expect(end).toContain('✔ done');
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.runs).toHaveLength(3);
    expect(readdirSync(outDir).sort()).toEqual(['tmux.html', 'tmux.junit.xml', 'tmux.md']);
    // Exit 0, and the files agree: a run stopped with q is not a failed one.
    expect(readFileSync(join(outDir, 'tmux.junit.xml'), 'utf8')).toMatch(/<testsuites [^>]*failures="0"/);
    const md = readFileSync(join(outDir, 'tmux.md'), 'utf8');
    expect(md).not.toContain('failed');
    expect(md).not.toContain('not converged');
    expect(md).toMatch(/\| verdict \| ■ consistent until stopped \| ■ consistent until stopped \| ■ consistent until stopped \|/);
    expect(end).not.toContain('never converged');
    for (const run of report.runs) {
      expect(run.stopReason).toBe('stopped');
      expect(run.endMs).toBeGreaterThan(15_000);
      expect(run.endMs).toBeLessThan(80_000);
    }
  });

  it('pauses on p, switches models on space, and keeps NO_COLOR plain', async () => {
    start(`compare scenarios/retry-storm.yaml --pace 10x ${LIGHT.join(' ')}`, 'NO_COLOR=1');
    await until('the dashboard', () => (runSeconds(pane()) >= 3 ? true : undefined));
    tmux('send-keys', '-t', 'ws', ' ');
    await until('event-driven selected', () => (/▸ event/.test(pane()) && pane().includes('── event-driven') ? true : undefined));
    tmux('send-keys', '-t', 'ws', 'p');
    await until('the pause', () => (pane().includes('❚❚ paused') ? true : undefined));
    // A pause takes effect when the slice under way ends and its frame is drawn: read the run
    // time once the frames of 300 ms agree (a fixed 300 ms wait, on a loaded machine, could
    // read the frame before that one), then check that it stands still for a second. A run that
    // never stopped would not agree with itself: at 10x its time moves on every frame.
    let seen = { runSeconds: Number.NaN, sinceMs: 0 };
    const paused = await until('the run time to stand still', () => {
      const f = pane();
      if (runSeconds(f) !== seen.runSeconds) {
        seen = { runSeconds: runSeconds(f), sinceMs: Date.now() };
        return undefined;
      }
      return Date.now() - seen.sinceMs >= 300 ? f : undefined;
    });
    await sleep(1000);
    expect(runSeconds(pane())).toBe(runSeconds(paused));
    // With NO_COLOR no colour is drawn (tmux reports attributes with -e).
    expect(tmux('capture-pane', '-p', '-e', '-t', 'ws')).not.toMatch(/\u001b\[[0-9;]*3[0-7]m/);
    tmux('send-keys', '-t', 'ws', 'p');
    await until('the run to go on', () => (runSeconds(pane()) > runSeconds(paused) ? true : undefined));
    tmux('send-keys', '-t', 'ws', 'q');
    const code = await until('the exit code', exitCode);
    expect(code, pane()).toBe('0');
  });
});
