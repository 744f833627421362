/** Narration notes (schema and firing rules) and the fault windows the dashboard shows. */
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { IntervalFigures } from '../src/check/series.js';
import { compileFaults } from '../src/faults/plan.js';
import { loadScenario, parseScenario, SHIPPED_DIR } from '../src/scenario/load.js';
import { activeFaults } from '../src/ui/faults.js';
import { Narrator } from '../src/ui/narration.js';

const quiet: IntervalFigures = { tMs: 0, offered: 100, goodput: 100, attempts: 100, retries: 0, timeouts: 0, duplicates: 0, maxQueueDepth: 0, maxLagMs: 0, ackP50Ms: 1, ackP99Ms: 5 };
const at = (tMs: number, f: Partial<IntervalFigures> = {}): IntervalFigures => ({ ...quiet, tMs, ...f });

const BASE = 'name: t\ntraffic: { phases: [ { kind: steady, durationSec: 10, roundsPerSec: 10 } ] }\n';

describe('narration', () => {
  it('fires a timed note once, when the run reaches its time', () => {
    const n = new Narrator([{ atSec: 5, text: 'five' }]);
    expect(n.reached('request', 4999)).toEqual([]);
    expect(n.reached('request', 5000)).toEqual([{ atMs: 5000, text: 'five' }]);
    // Side by side, the other models reach it too: still shown once.
    expect(n.reached('event', 5000)).toEqual([]);
    expect(n.reached('request', 9000)).toEqual([]);
  });

  it('fires a condition once per model, in the interval where it first holds', () => {
    const n = new Narrator([{ when: 'firstDuplicate', text: 'double charge' }, { when: 'queueAbove:100', model: 'request', text: 'queue' }]);
    expect(n.interval('request', at(1000))).toEqual([]);
    expect(n.interval('request', at(2000, { duplicates: 3, maxQueueDepth: 500 }))).toEqual([
      { atMs: 2000, model: 'request', text: 'double charge' },
      { atMs: 2000, model: 'request', text: 'queue' },
    ]);
    expect(n.interval('request', at(3000, { duplicates: 9, maxQueueDepth: 900 }))).toEqual([]);
    // The queue note is for request only; the duplicate note fires for event on its own first.
    expect(n.interval('event', at(3000, { duplicates: 1, maxQueueDepth: 900 }))).toEqual([{ atMs: 3000, model: 'event', text: 'double charge' }]);
  });

  it('notes a drained lag only after the lag was up', () => {
    const n = new Narrator([{ when: 'lagBelowMs:50', text: 'drained' }, { when: 'lagAboveMs:1000', text: 'lagging' }, { when: 'p99AboveMs:200', text: 'slow' }]);
    expect(n.interval('event', at(1000, { maxLagMs: 2 }))).toEqual([]);
    expect(n.interval('event', at(2000, { maxLagMs: 4000, ackP99Ms: 300 })).map((x) => x.text)).toEqual(['lagging', 'slow']);
    expect(n.interval('event', at(3000, { maxLagMs: 800 }))).toEqual([]);
    expect(n.interval('event', at(4000, { maxLagMs: 10 })).map((x) => x.text)).toEqual(['drained']);
  });

  it('is checked with the scenario: one of atSec or when, a known condition', () => {
    expect(parseScenario(`${BASE}narration: [ { atSec: 3, text: hi }, { when: 'lagAboveMs:500', model: event, text: lag } ]`, 't.yaml').narration).toHaveLength(2);
    expect(() => parseScenario(`${BASE}narration: [ { text: hi } ]`, 't.yaml')).toThrow(/narration\.0: give exactly one of atSec or when/);
    expect(() => parseScenario(`${BASE}narration: [ { atSec: 1, when: firstRetry, text: hi } ]`, 't.yaml')).toThrow(/give exactly one of atSec or when/);
    expect(() => parseScenario(`${BASE}narration: [ { when: firstBlood, text: hi } ]`, 't.yaml')).toThrow(/narration\.0\.when: one of firstRetry, firstTimeout/);
    expect(() => parseScenario(`${BASE}narration: [ { atSec: 1, text: hi, color: red } ]`, 't.yaml')).toThrow(/unknown field "color"/);
    // A scenario without notes stays valid, and has none.
    expect(parseScenario(BASE, 't.yaml').narration).toBeUndefined();
  });

  it('ships notes with every shipped scenario', () => {
    const files = readdirSync(SHIPPED_DIR).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const f of files) {
      const { scenario } = loadScenario(f.replace(/\.yaml$/, ''));
      expect(scenario.narration?.length ?? 0, f).toBeGreaterThanOrEqual(2);
      for (const note of scenario.narration ?? []) expect(note.text.length, `${f}: ${note.text}`).toBeLessThanOrEqual(120);
    }
  });
});

describe('active faults', () => {
  it('shows windows while they are open, repeats as the world schedules them, no log faults for request-driven', () => {
    const { scenario } = loadScenario('consumer-crash', ['faults.consumerCrash.everySec=30', 'faults.walletSlowdown.fromSec=5', 'faults.walletSlowdown.toSec=8', 'faults.walletSlowdown.factor=3']);
    const plan = compileFaults(scenario.faults);
    const trafficMs = 60_000;
    expect(activeFaults(plan, 4_999, 'event', trafficMs)).toEqual([]);
    expect(activeFaults(plan, 5_000, 'event', trafficMs)).toEqual(['walletSlowdown x3']);
    expect(activeFaults(plan, 22_000, 'event', trafficMs)).toEqual(['consumerCrash (all)']);
    expect(activeFaults(plan, 22_000, 'request', trafficMs)).toEqual([]);
    expect(activeFaults(plan, 26_000, 'hybrid', trafficMs)).toEqual([]);
    expect(activeFaults(plan, 51_000, 'hybrid', trafficMs)).toEqual(['consumerCrash (all)']);
    // The world schedules no repeat that would start after the traffic (80 s >= 60 s).
    expect(activeFaults(plan, 81_000, 'hybrid', trafficMs)).toEqual([]);
  });
});
