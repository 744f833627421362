/**
 * The dashboard rendered by ink-testing-library from a recorded stream of interval figures:
 * test/fixtures/ui-retry-storm.intervals.json holds what VirtualWorld emitted for retry-storm
 * with --set wallet.idempotency=off, seed 7, request and event models, first 45 s (recorded
 * with onInterval; re-record if the simulator's figures change on purpose).
 */
import { readFileSync } from 'node:fs';
import chalk from 'chalk';
import { render } from 'ink-testing-library';
import { createElement as h } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { IntervalFigures } from '../src/check/series.js';
import type { RunReport } from '../src/report/model.js';
import { loadScenario } from '../src/scenario/load.js';
import type { Scenario } from '../src/scenario/schema.js';
import { Dashboard, type DashboardKeys } from '../src/ui/dashboard.js';
import { LiveState } from '../src/ui/live-state.js';
import { progressLine } from '../src/ui/progress-reporter.js';

const recorded = JSON.parse(readFileSync(new URL('./fixtures/ui-retry-storm.intervals.json', import.meta.url), 'utf8')) as {
  intervals: (IntervalFigures & { model: string })[];
};

const NOTES: Scenario['narration'] = [
  { atSec: 20, text: 'the storm starts: watch the request-driven queue' },
  { when: 'firstTimeout', text: 'first timeout: the provider gives up and retries' },
  { when: 'firstDuplicate', text: 'first double charge: a retry applied again' },
];

function liveState(columnsModels = ['request', 'event']): LiveState {
  const { scenario } = loadScenario('retry-storm', ['wallet.idempotency=off']);
  return new LiveState({
    command: 'simulate',
    world: 'virtual',
    scenario: { ...scenario, narration: NOTES },
    seed: 7,
    models: columnsModels,
    pace: 10,
    trafficMs: 80_000,
    canPause: true,
  });
}

/** Plays the recording up to (not including) untilMs of run time, as the driver would. */
function play(state: LiveState, untilMs: number, fromMs = 0): void {
  for (const f of recorded.intervals) {
    if (f.tMs < fromMs || f.tMs >= untilMs) continue;
    const { model, ...figures } = f;
    state.interval(model, figures);
    state.progress({ runMs: { request: f.tMs + 1000, event: f.tMs + 1000 }, wallMs: (f.tMs + 1000) / 10, paused: false, behindPace: false });
  }
}

function frame(state: LiveState, props: Partial<DashboardKeys> & { columns?: number; color?: boolean } = {}) {
  const app = render(h(Dashboard, { view: state.view(), columns: props.columns ?? 100, color: props.color ?? false, ...props }));
  return app;
}

const instances: { unmount(): void }[] = [];
afterEach(() => {
  for (const i of instances.splice(0)) i.unmount();
  chalk.level = 0;
});

describe('dashboard frames from a recorded stream', () => {
  it('shows the live figures, counters at zero before the storm, and the timed note', () => {
    const state = liveState();
    play(state, 25_000);
    const app = frame(state);
    instances.push(app);
    const text = app.lastFrame()!;
    expect(text).toContain('walletstorm simulate · retry-storm · seed 7 · pace 10x');
    expect(text).toMatch(/run 25\.0 s \/ 1:20 · storm/);
    // The model table: both models, request selected.
    expect(text).toMatch(/▸ request\s+6,745\s+6,203\s+314 ms\s+2,036\s+—/);
    expect(text).toMatch(/ {2}event /);
    expect(text).toMatch(/retries 0 {3}timeouts 0 {3}duplicates 0 {3}lost …/);
    expect(text).not.toContain('!');
    expect(text).toContain('20.0 s  the storm starts: watch the request-driven queue');
    expect(text).not.toContain('double charge');
  });

  it('turns the counters red on the first timeout and the first duplicate, and narrates them', () => {
    const state = liveState();
    play(state, 33_000);
    let app = frame(state);
    instances.push(app);
    expect(app.lastFrame()).toMatch(/retries 0 {3}timeouts 1! {3}duplicates 0 /);
    expect(app.lastFrame()).toContain('request: first timeout: the provider gives up and retries');
    expect(app.lastFrame()).not.toContain('double charge');

    play(state, 35_000, 33_000);
    app = frame(state);
    instances.push(app);
    const text = app.lastFrame()!;
    // 1,196 operations applied a second time in second 34: the moment duplicates leave zero.
    expect(text).toMatch(/retries 15,205! {3}timeouts 15,104! {3}duplicates 1,196! {3}lost …/);
    expect(text).toContain('34.0 s  request: first double charge: a retry applied again');
    // Event-driven answers from the log: no timeouts, no double charge; its note did not fire.
    expect(text).not.toContain('event: first');
  });

  it('paints the counters red with color on (and green while they are zero)', () => {
    chalk.level = 1;
    const state = liveState();
    const counter = (text: string, name: string) => new RegExp(`${name} ((?:\u001b\\[\\d+m)+)([\\d,]+)`).exec(text)!;
    play(state, 33_000);
    let app = frame(state, { color: true });
    instances.push(app);
    expect(counter(app.lastFrame()!, 'duplicates').slice(1)).toEqual(['\u001b[32m', '0']);
    expect(counter(app.lastFrame()!, 'timeouts')[1]).toContain('\u001b[31m');
    expect(counter(app.lastFrame()!, 'timeouts')[2]).toBe('1');
    play(state, 35_000, 33_000);
    app = frame(state, { color: true });
    instances.push(app);
    expect(counter(app.lastFrame()!, 'duplicates')[1]).toContain('\u001b[31m');
    expect(counter(app.lastFrame()!, 'duplicates')[2]).toBe('1,196');
  });

  it('uses no escape codes at all without color (NO_COLOR)', () => {
    chalk.level = 3;
    const state = liveState();
    play(state, 40_000);
    const app = frame(state, { color: false });
    instances.push(app);
    expect(app.lastFrame()).not.toContain('\u001b');
  });

  it('lays out a narrow terminal compactly, without a line wider than the terminal', () => {
    const state = liveState();
    play(state, 36_000);
    for (const columns of [40, 60, 79, 80, 100, 160]) {
      const app = frame(state, { columns });
      instances.push(app);
      const lines = app.lastFrame()!.split('\n');
      for (const line of lines) expect([...line].length, `${columns} columns: "${line}"`).toBeLessThanOrEqual(columns);
      if (columns < 80) {
        expect(lines.length).toBeLessThanOrEqual(14);
        expect(app.lastFrame()).toMatch(/dup 3,346! lost …/);
        expect(app.lastFrame()).toContain('request (1/2)');
      } else {
        expect(app.lastFrame()).toContain('offered/s');
      }
    }
  });

  it('shows lost and the run percentiles once a model’s run is over', () => {
    const state = liveState(['request']);
    play(state, 10_000);
    const final = {
      model: 'request',
      endMs: 10_000,
      lost: 0,
      duplicates: 0,
      stopReason: 'stopped',
      consistency: { ok: true, problems: [] },
      latency: { ack: { bet: { count: 10, p50: 5.2, p90: 9, p99: 20.8, p999: 30, max: 40 } } },
    } as unknown as RunReport;
    state.runEnd(final);
    state.setFinished();
    const app = frame(state);
    instances.push(app);
    expect(app.lastFrame()).toContain('run p50 5.2 ms p99 21 ms (bets)');
    expect(app.lastFrame()).toMatch(/lost 0/);
    expect(app.lastFrame()).toContain('✔ done');
    expect(app.lastFrame()).not.toContain('q stop');
  });

  it('ends with ✘ interrupted, not ✔ done, when Ctrl-C ended the run (its last frame stays above the report)', () => {
    const end = (stopReason: string) => {
      const state = liveState(['request']);
      play(state, 10_000);
      state.runEnd({ model: 'request', endMs: 10_000, lost: 0, duplicates: 0, stopReason, consistency: { ok: true, problems: [] }, latency: { ack: { bet: { count: 0 } } } } as unknown as RunReport);
      state.setFinished();
      const app = frame(state);
      instances.push(app);
      return app.lastFrame()!.split('\n')[0]!;
    };
    expect(end('interrupted')).toContain('✘ interrupted');
    expect(end('interrupted')).not.toContain('done');
    expect(end('stopped')).toContain('✔ done');
    expect(end('drained')).toContain('✔ done');
  });

  it('estimates the wall time at the pace the machine keeps when it falls behind, and not past the traffic', () => {
    const state = liveState();
    play(state, 30_000);
    const top = () => {
      const app = frame(state);
      instances.push(app);
      return app.lastFrame()!.split('\n')[1]!;
    };
    // On pace: 80 s of traffic at 10x.
    expect(top()).toContain('run 30.0 s / 1:20 · storm · wall 3.0 s / ~8.0 s');
    // Behind: 30 s of run time took 6 s of wall time, so 80 s will take about 16 s, not 8.
    state.progress({ runMs: { request: 30_000, event: 30_000 }, wallMs: 6000, paused: false, behindPace: true });
    expect(top()).toContain('wall 6.0 s / ~16.0 s');
    // Draining: the estimate was of the traffic; no "wall 12.8 s / ~8.0 s".
    state.progress({ runMs: { request: 81_000, event: 81_000 }, wallMs: 12_800, paused: false, behindPace: true });
    expect(top()).toMatch(/draining · wall 12\.8 s$/);
  });

  it('reads q, p and space', async () => {
    const state = liveState();
    play(state, 5000);
    const keys = { onStop: vi.fn(), onPause: vi.fn(), onNextModel: vi.fn(), onInterrupt: vi.fn() };
    const app = frame(state, keys);
    instances.push(app);
    expect(app.lastFrame()).toContain('q stop and write reports · p pause · space next model');
    for (const k of ['p', ' ', 'q', '\u0003']) {
      app.stdin.write(k);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(keys.onPause).toHaveBeenCalledTimes(1);
    expect(keys.onNextModel).toHaveBeenCalledTimes(1);
    expect(keys.onStop).toHaveBeenCalledTimes(1);
    expect(keys.onInterrupt).toHaveBeenCalledTimes(1);
    state.selectNext();
    app.rerender(h(Dashboard, { view: state.view(), columns: 100, color: false, ...keys }));
    expect(app.lastFrame()).toMatch(/▸ event/);
    expect(app.lastFrame()).toContain('── event-driven');
  });

  it('shows the phase of the model running, not of one that finished before it (models one after another)', () => {
    const state = liveState();
    // retry-storm: warm-up 0-20 s, storm 20-35 s, calm 35-80 s; request ran to the end first.
    state.progress({ runMs: { request: 95_000 }, wallMs: 9000, paused: false, behindPace: false });
    state.runEnd({ model: 'request', endMs: 95_000, lost: 0, duplicates: 0, stopReason: 'drained', consistency: { ok: true, problems: [] }, latency: { ack: { bet: { count: 0 } } } } as unknown as RunReport);
    state.progress({ runMs: { event: 25_000 }, wallMs: 12_000, paused: false, behindPace: false });
    expect(state.view().phase).toBe('storm');
    expect(progressLine(state.view())).toContain(' · run 25.0 s / 1:20 (storm) · ');
  });
});
