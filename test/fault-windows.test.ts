import { describe, expect, it } from 'vitest';
import { faultWindows, faultWindowsField } from '../src/report/fault-windows.js';
import { renderSummary } from '../src/report/reporters/terminal.js';
import { compileScenario } from '../src/scenario/compile.js';
import { parseScenario } from '../src/scenario/load.js';
import { runVirtual } from '../src/sim/world.js';
import { swarmScenario } from '../src/swarm/generate.js';

/** A time as a person writes it: whole milliseconds, at most three decimals of a second. */
const CLEAN_SEC = /^\d+(\.\d{1,3})?$/;

describe('fault windows are shown as the times they mean, without binary leftovers', () => {
  it('a swarm seed draws its fault times in whole milliseconds, so --emit-scenario prints them so', () => {
    // Seed 1 drew roundCancel 3.828 s + 1.529 s, printed as toSec: 5.356999999999999.
    const leftovers: string[] = [];
    for (let seed = 1; seed <= 300; seed++) {
      for (const [name, fault] of Object.entries(swarmScenario(seed).faults ?? {})) {
        for (const [field, value] of Object.entries(fault ?? {})) {
          if (field.endsWith('Sec') && value !== undefined && !CLEAN_SEC.test(String(value))) leftovers.push(`seed ${seed} ${name}.${field} ${value}`);
        }
      }
    }
    expect(leftovers).toEqual([]);
    expect(swarmScenario(1).faults?.roundCancel).toMatchObject({ fromSec: 3.828, toSec: 5.357 });
  });

  it("the report's windows are whole milliseconds when the scenario's seconds are (2.01 s is not 2009.9999999999998 ms)", () => {
    const compiled = compileScenario(
      parseScenario(
        `
name: windows
traffic:
  phases:
    - { kind: steady, durationSec: 5, roundsPerSec: 10 }
faults:
  responseLoss: { fromSec: 2.01, toSec: 5.356999999999999, rate: 0.1 }
  rebalance: { atSec: 1.005, pauseSec: 0.1, everySec: 1.1 }
`,
        'windows.yaml',
      ),
    );
    const windows = faultWindows(compiled.faults, compiled.phases.at(-1)!.endMs);
    expect(windows).toEqual([
      { fault: 'responseLoss', fromMs: 2010, toMs: 5357 },
      { fault: 'rebalance', fromMs: 1005, toMs: 1105 },
      { fault: 'rebalance', fromMs: 2105, toMs: 2205 },
      { fault: 'rebalance', fromMs: 3205, toMs: 3305 },
      { fault: 'rebalance', fromMs: 4305, toMs: 4405 },
    ]);
    const report = { tool: { name: 'walletstorm' as const, version: '0' }, scenario: { name: 'windows', seed: 1, overrides: [], faultWindows: windows }, runs: [], timing: { wallMs: 0, simulatedOpsPerSec: 0 } };
    expect(renderSummary(report, { color: false })).toContain('fault windows           responseLoss 2–5.4 s, rebalance 1–1.1 s, rebalance 2.1–2.2 s');
  });
});

describe('a fault switched off with --set (rate 0, factor 1, share 0) has no window: it never acted', () => {
  it('is left out of the report, the others kept', () => {
    const text = `
name: off
traffic:
  phases:
    - { kind: steady, durationSec: 5, roundsPerSec: 10 }
faults:
  responseLoss: { rate: 0.1 }
  walletSlowdown: { fromSec: 1, toSec: 2, factor: 3 }
  duplicateDelivery: { rate: 0.2 }
  roundCancel: { rate: 0.1 }
`;
    const windowsOf = (sets: string[]) => {
      const compiled = compileScenario(parseScenario(text, 'off.yaml', sets));
      return faultWindows(compiled.faults, compiled.phases.at(-1)!.endMs).map((w) => w.fault);
    };
    expect(windowsOf([])).toEqual(['responseLoss', 'walletSlowdown', 'duplicateDelivery', 'roundCancel']);
    const off = ['faults.responseLoss.rate=0', 'faults.walletSlowdown.factor=1', 'faults.duplicateDelivery.rate=0', 'faults.roundCancel.rate=0'];
    expect(windowsOf(off)).toEqual([]);
    expect(windowsOf(off.slice(1))).toEqual(['responseLoss']);
  });
});

describe('a fault timed beyond the run has no window: it never acted (the run says so in a note)', () => {
  const text = `
name: late
traffic:
  phases:
    - { kind: steady, durationSec: 5, roundsPerSec: 10 }
run: { drainTimeoutSec: 60 }
faults:
  hotPlayer: { fromSec: 10, share: 0.3 }
  responseLoss: { fromSec: 30, rate: 0.1 }
  walletSlowdown: { fromSec: 70, factor: 2 }
  consumerCrash: { atSec: 70 }
  rebalance: { atSec: 4, pauseSec: 1, everySec: 0.5 }
`;
  const compiled = compileScenario(parseScenario(text, 'late.yaml'));
  it('the hot player after the traffic, the others after the drain deadline; a window in the drain is kept', () => {
    const windows = faultWindowsField(compiled).faultWindows ?? [];
    // responseLoss opens in the drain (retries and wins are still sent then): it may act, so it is shown.
    expect([...new Set(windows.map((w) => w.fault))]).toEqual(['responseLoss', 'rebalance']);
    expect(windows.filter((w) => w.fault === 'rebalance').map((w) => w.fromMs)).toEqual([4000, 4500]);
  });

  it('a real run with its drain capped shorter leaves out a window the capped drain never reaches', () => {
    expect((faultWindowsField(compiled, undefined, 20_000).faultWindows ?? []).map((w) => w.fault)).toEqual(['rebalance', 'rebalance']);
  });

  it('what the simulator did agrees: none of the left-out faults fired', () => {
    const run = runVirtual(compiled, 'event', 1).report;
    expect(run.faults).toMatchObject({ hotPlayerRounds: 0, consumerCrashes: 0 });
  });
});
