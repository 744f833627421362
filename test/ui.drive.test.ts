/**
 * The pacing driver: slicing run time, following a (fake) wall clock, pausing and stopping never
 * change what a world computes; a paced run and a max run of the same seed give identical runs.
 */
import { describe, expect, it } from 'vitest';
import type { ModelName } from '../src/models/config.js';
import type { Reporter, RunProgress } from '../src/report/reporter.js';
import { endProblem } from '../src/report/run-end.js';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import { simulate } from '../src/sim/simulate.js';
import { parsePace, RunDriver, type WallClock } from '../src/ui/drive.js';

const MODELS: ModelName[] = ['request', 'event', 'hybrid'];
/** retry-storm in miniature: 7 s of traffic with a storm above capacity, so timeouts and retries happen. */
const SMALL = [
  'traffic.phases.0.durationSec=2',
  'traffic.phases.1.durationSec=2',
  'traffic.phases.2.durationSec=3',
  'traffic.phases.0.roundsPerSec=300',
  'traffic.phases.1.roundsPerSec=1200',
  'traffic.phases.2.roundsPerSec=200',
  'players.count=2000',
  'wallet.request.workers=4',
  'wallet.idempotency=off',
];

/** A wall clock that moves only when the driver sleeps or yields: pacing without waiting. */
function fakeWall(): WallClock & { sleeps: number } {
  let t = 0;
  const wall = {
    sleeps: 0,
    now: () => t,
    sleep: async (ms: number) => {
      wall.sleeps++;
      t += ms;
    },
    yield: async () => {
      t += 1;
    },
  };
  return wall;
}

function setup() {
  const loaded = loadScenario('retry-storm', SMALL);
  return { loaded, compiled: compileScenario(loaded.scenario), seed: loaded.scenario.seed };
}

describe('pacing driver', () => {
  it('parses --pace', () => {
    expect(parsePace('max')).toBeNull();
    expect(parsePace('1x')).toBe(1);
    expect(parsePace('10x')).toBe(10);
    expect(parsePace('2.5x')).toBe(2.5);
    for (const bad of ['0x', 'fast', '10', '-1x', '2000x']) expect(() => parsePace(bad), bad).toThrow(/--pace must be/);
  });

  it('gives the same runs paced, side by side, paused, and at max as the one-go simulator', async () => {
    const { loaded, compiled, seed } = setup();
    const reference = JSON.stringify(simulate(loaded, MODELS, seed).runs);
    expect(reference).toContain('"duplicates"');

    const max = await new RunDriver({ scenario: compiled, models: MODELS, seed, pace: null, lockstep: false, listeners: [] }).run();
    expect(JSON.stringify(max.runs)).toBe(reference);

    const wall = fakeWall();
    let pausedOnce = false;
    const progress: RunProgress[] = [];
    const intervals: string[] = [];
    const driver: RunDriver = new RunDriver({
      scenario: compiled,
      models: MODELS,
      seed,
      pace: 1,
      lockstep: true,
      wall,
      listeners: [
        {
          name: 'probe',
          onInterval: (model, f) => intervals.push(`${model}@${f.tMs}`),
          onProgress: (p) => {
            progress.push(p);
            // Pause for a while in the middle of the storm, then resume.
            if (!pausedOnce && (p.runMs.request ?? 0) >= 3000) {
              pausedOnce = true;
              expect(driver.togglePause()).toBe(true);
            } else if (p.paused && wall.now() > 10_000) driver.togglePause();
          },
        } satisfies Reporter,
      ],
    });
    const paced = await driver.run();
    expect(JSON.stringify(paced.runs)).toBe(reference);
    expect(paced.stopped).toBeUndefined();
    // It followed the clock: at 1x, the wall time spent is at least the traffic's 7 s plus the pause.
    expect(paced.wallMs).toBeGreaterThanOrEqual(7000 + 5000);
    expect(progress.some((p) => p.paused)).toBe(true);
    // Side by side: all three models report interval 3000 before any reports interval 5000.
    const firstAt5 = intervals.findIndex((s) => s.endsWith('@5000'));
    expect(intervals.slice(0, firstAt5).filter((s) => s.endsWith('@3000'))).toHaveLength(3);
  });

  it('stops on request with a report of the run until then', async () => {
    const { compiled, seed } = setup();
    const wall = fakeWall();
    const driver: RunDriver = new RunDriver({
      scenario: compiled,
      models: MODELS,
      seed,
      pace: 10,
      lockstep: true,
      wall,
      listeners: [{ name: 'q', onProgress: (p) => void ((p.runMs.event ?? 0) >= 4000 && driver.stop()) }],
    });
    const result = await driver.run();
    expect(result.stopped).toBe('user');
    expect(result.runs.map((r) => r.model)).toEqual(MODELS);
    for (const run of result.runs) {
      expect(run.stopReason).toBe('stopped');
      expect(run.completed).toBe(false);
      // Stopped before the traffic ended: no convergence to measure, idle at that instant or not.
      expect(run.convergenceMs).toBeNull();
      expect(run.endMs).toBeGreaterThan(3000);
      expect(run.endMs).toBeLessThan(5000);
      // Rates over the part of the schedule the run reached, not over all 7 s of it.
      const startedInRun = run.series.intervals.reduce((n, i) => n + i.offered, 0);
      expect(run.throughput.offeredPerSec).toBeCloseTo(startedInRun / (run.endMs / 1000), 0);
    }
  });

  it('a stopped run rates each phase over the part of it reached; a phase never reached has no rates', async () => {
    const { compiled, seed } = setup();
    const driver: RunDriver = new RunDriver({
      scenario: compiled,
      models: ['request'],
      seed,
      pace: 10,
      lockstep: true,
      wall: fakeWall(),
      // In the storm (2-4 s), before the calm (4-7 s).
      listeners: [{ name: 'q', onProgress: (p) => void ((p.runMs.request ?? 0) >= 3000 && driver.stop()) }],
    });
    const run = (await driver.run()).runs[0]!;
    expect(run.stopReason).toBe('stopped');
    expect(run.endMs).toBeGreaterThan(3000);
    expect(run.endMs).toBeLessThan(4000);
    const [warmUp, storm, calm] = run.phases;
    // The storm's offered operations (its phase starts on a whole second) over its 1.x s reached, not over its 2 s.
    const offeredInStorm = run.series.intervals.filter((i) => i.tMs >= 2000).reduce((n, i) => n + i.offered, 0);
    expect(storm!.offeredPerSec).toBeCloseTo(offeredInStorm / ((run.endMs - 2000) / 1000), 0);
    // The warm-up was reached whole: over its 2 s.
    const offeredInWarmUp = run.series.intervals.filter((i) => i.tMs < 2000).reduce((n, i) => n + i.offered, 0);
    expect(warmUp!.offeredPerSec).toBeCloseTo(offeredInWarmUp / 2, 0);
    expect(calm).toMatchObject({ offeredPerSec: 0, goodputPerSec: 0, bets: 0 });
    // The table says so, instead of a goodput of 0% for a phase that never ran.
    const { summaryTable } = await import('../src/report/reporters/terminal.js');
    const row = (label: string) => summaryTable([run]).find((r) => r.label === label)?.values[0]?.text;
    expect(row('  in calm (steady)')).toBe('- · not reached');
    expect(row('  in storm (spike)')).toMatch(/^[\d.,]+ m?s · goodput \d+%$/);
    // A phase the run went through at 0 rounds/s (a quiet warm-up) had no load: it was reached.
    const quiet = { ...run, phases: run.phases.map((p, i) => (i === 0 ? { ...p, offeredPerSec: 0, goodputPerSec: 0 } : p)) };
    const quietRow = summaryTable([quiet]).find((r) => r.label === '  in warm-up (steady)')?.values[0]?.text;
    expect(quietRow).toMatch(/ · no load$/);
  });

  it('Ctrl-C is reported as interrupted, not as a stop with q; only q is a normal end', async () => {
    const { compiled, seed } = setup();
    const drive = async (how: 'stop' | 'interrupt') => {
      const driver: RunDriver = new RunDriver({
        scenario: compiled,
        models: ['event'],
        seed,
        pace: 10,
        lockstep: true,
        wall: fakeWall(),
        listeners: [{ name: how, onProgress: (p) => void ((p.runMs.event ?? 0) >= 4000 && driver[how]()), onRunEnd: (r) => void heard.push(r.stopReason) }],
      });
      return (await driver.run()).runs[0]!;
    };
    const heard: string[] = [];
    const interrupted = await drive('interrupt');
    expect(interrupted.stopReason).toBe('interrupted');
    // The listeners (the dashboard's last frame) hear it as the report says it, not as a stop with q.
    expect(heard).toEqual(['interrupted']);
    expect(interrupted.interrupted).toBe(true);
    // Its end is its problem; its convergence was not measured (convergenceNotMeasured).
    expect(endProblem(interrupted)).toMatch(/^interrupted at \d+(\.\d{1,3})? s, before the run completed$/);
    const stopped = await drive('stop');
    expect(stopped.stopReason).toBe('stopped');
    expect(stopped.interrupted).toBeUndefined();
    expect(endProblem(stopped)).toBeUndefined();
  });

  it('runs models one after another when nobody watches, each reported as it ends', async () => {
    const { compiled, seed } = setup();
    const order: string[] = [];
    await new RunDriver({
      scenario: compiled,
      models: MODELS,
      seed,
      pace: null,
      lockstep: false,
      listeners: [{ name: 'order', onInterval: (m) => void (order.at(-1) !== m && order.push(m)), onRunEnd: (r) => void order.push(`end ${r.model}`) }],
    }).run();
    expect(order).toEqual(['request', 'end request', 'event', 'end event', 'hybrid', 'end hybrid']);
  });
});

describe('choosing the live output', () => {
  const tty = { isTTY: true } as NodeJS.WriteStream;
  const pipe = { isTTY: false } as unknown as NodeJS.WriteStream;
  const base = { ui: true, color: false, stdin: {} as NodeJS.ReadStream, stderr: pipe };
  it('shows the dashboard only on a drawing terminal, outside CI, unless --no-ui', async () => {
    const { wantsDashboard } = await import('../src/ui/choose.js');
    expect(wantsDashboard({ ...base, stdout: tty, env: { TERM: 'xterm' } })).toBe(true);
    expect(wantsDashboard({ ...base, stdout: pipe, env: { TERM: 'xterm' } })).toBe(false);
    expect(wantsDashboard({ ...base, ui: false, stdout: tty, env: { TERM: 'xterm' } })).toBe(false);
    expect(wantsDashboard({ ...base, stdout: tty, env: { TERM: 'dumb' } })).toBe(false);
    expect(wantsDashboard({ ...base, stdout: tty, env: { TERM: 'xterm', CI: 'true' } })).toBe(false);
    expect(wantsDashboard({ ...base, stdout: tty, env: { TERM: 'xterm', CI: 'false' } })).toBe(true);
  });

  it('writes plain progress lines every few seconds of wall time, none once the models are done', async () => {
    const { progressReporter } = await import('../src/ui/progress-reporter.js');
    const { scenario } = loadScenario('retry-storm');
    const lines: string[] = [];
    const r = progressReporter({ write: (t) => lines.push(t), everyMs: 3000 });
    const control = { stop() {}, interrupt() {}, togglePause: () => false, canPause: false };
    r.onRunStart!({ command: 'simulate', world: 'virtual', scenario, seed: 7, models: ['request'], pace: null, trafficMs: 80_000, control });
    const progress = (wallMs: number, runMs: number) => r.onProgress!({ runMs: { request: runMs }, wallMs, paused: false, behindPace: false });
    r.onInterval!('request', { tMs: 21_000, offered: 6593, goodput: 6316, attempts: 6593, retries: 0, timeouts: 0, duplicates: 0, maxQueueDepth: 294, maxLagMs: 0, ackP50Ms: 10.9, ackP99Ms: 51.5 });
    progress(2999, 21_500);
    expect(lines).toEqual([]);
    progress(3000, 22_000);
    progress(5000, 30_000);
    expect(lines).toEqual([
      'walletstorm: retry-storm · run 22.0 s / 1:20 (storm) · wall 3.0 s · request: 6,593/s offered, 6,316/s goodput, p99 52 ms, queue 294, retries 0, timeouts 0, duplicates 0\n',
    ]);
    r.onRunEnd!({ model: 'request', endMs: 82_000, lost: 0, duplicates: 0, stopReason: 'drained', consistency: { ok: true, problems: [] }, latency: { ack: { bet: { count: 0 } } } } as never);
    progress(9000, 82_000);
    expect(lines).toHaveLength(1);
  });
});
