/**
 * The real world's runner in process: the simulator's provider and checker over HTTP against
 * the reference server on loopback. Short, scaled-down traffic, so each run takes seconds.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loopbackOrigin } from '../src/cli/load-command.js';
import { startWalletServer, type WalletServer } from '../src/drivers/http/server.js';
import { WalletstormError } from '../src/errors.js';
import { Population } from '../src/provider/players.js';
import { runReal } from '../src/real/run-real.js';
import { reshapeTraffic } from '../src/real/traffic.js';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';

let server: WalletServer | undefined;
afterEach(async () => {
  await server?.close(1000);
  server = undefined;
});

/** retry-storm in 3 s at a tenth of its rates, with the shorter provider timeouts it ships with. */
function retryStorm(sets: string[]) {
  const loaded = loadScenario('retry-storm', ['players.count=500', ...sets]);
  return compileScenario(reshapeTraffic(loaded.scenario, 3, 0.1));
}

async function serveAndLoad(sets: string[], model = 'request', audit = true) {
  const scenario = retryStorm(sets);
  server = await startWalletServer({ model, scenario, players: new Population(scenario.population).accounts, seed: 7, host: '127.0.0.1', port: 0, audit });
  return runReal({ scenario, origin: server.url, connections: 16, seed: 7, drainTimeoutMs: 20_000 });
}

describe('load over HTTP', () => {
  it('idempotency off with lost responses: the retries double-charge, and the audit shows it', async () => {
    const { report, ended } = await serveAndLoad(['wallet.idempotency=off', 'faults.responseLoss.rate=0.05']);
    expect(ended).toBe('completed');
    expect(report.world).toBe('real');
    expect(report.transport).toBe('http');
    expect(report.sends.responsesLost).toBeGreaterThan(0);
    expect(report.duplicates).toBeGreaterThan(0);
    expect(report.consistency.checkedBy).toBe('ledger-audit');
    expect(report.consistency.ok).toBe(false);
  }, 40_000);

  it('idempotency on with the same lost responses: replays, no duplicates, nothing lost, consistent', async () => {
    const { report, ended } = await serveAndLoad(['faults.responseLoss.rate=0.05']);
    expect(ended).toBe('completed');
    expect(report.sends.responsesLost).toBeGreaterThan(0);
    expect(report.replays).toBeGreaterThan(0);
    expect(report.duplicates).toBe(0);
    expect(report.lost).toBe(0);
    expect(report.unexpected).toBe(0);
    expect(report.consistency).toMatchObject({ ok: true, checkedBy: 'ledger-audit', problems: [] });
    expect(report.completed).toBe(true);
    expect(report.latency.ack.bet.count).toBeGreaterThan(50);
    expect(report.sends.latency.count).toBeGreaterThan(50);
  }, 40_000);

  it('event-driven: settlements come back through the audit', async () => {
    const { report } = await serveAndLoad([], 'event');
    expect(report.model).toBe('event');
    expect(report.consistency.ok).toBe(true);
    expect(report.unsettled).toBe(0);
    expect(report.latency.settlement.count).toBeGreaterThan(0);
  }, 40_000);

  it('a target without an audit endpoint is checked by balances, and the report says so', async () => {
    const { report } = await serveAndLoad(['faults.responseLoss.rate=0.05'], 'request', false);
    expect(report.consistency.checkedBy).toBe('balances');
    expect(report.consistency.ok).toBe(true);
  }, 40_000);

  it('a wallet that served an earlier run is checked from where it stands, with this run’s own txIds', async () => {
    const first = await serveAndLoad(['faults.responseLoss.rate=0.05']);
    expect(first.report.consistency.ok).toBe(true);
    const scenario = retryStorm(['faults.responseLoss.rate=0.05']);
    const second = await runReal({ scenario, origin: server!.url, connections: 16, seed: 7, drainTimeoutMs: 20_000 });
    expect(second.report.operations.logical).toBe(first.report.operations.logical);
    expect(second.report.consistency).toMatchObject({ ok: true, problems: [] });
    expect([second.report.duplicates, second.report.lost, second.report.unexpected]).toEqual([0, 0, 0]);
  }, 60_000);

  it('an unreachable target fails within seconds with exit code 3', async () => {
    const scenario = retryStorm([]);
    const started = Date.now();
    const error = await runReal({ scenario, origin: 'http://127.0.0.1:9', connections: 4, seed: 1, drainTimeoutMs: 1000 }).catch((e) => e);
    expect(error).toBeInstanceOf(WalletstormError);
    expect((error as WalletstormError).exitCode).toBe(3);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('targets and traffic shaping', () => {
  it('accepts only loopback targets', () => {
    expect(loopbackOrigin('http://127.0.0.1:8080')).toBe('http://127.0.0.1:8080');
    expect(loopbackOrigin('http://127.1.2.3:80/')).toBe('http://127.1.2.3');
    expect(loopbackOrigin('http://localhost:9000')).toBe('http://localhost:9000');
    expect(loopbackOrigin('http://[::1]:9000')).toBe('http://[::1]:9000');
    for (const bad of ['http://10.0.0.1:80', 'http://192.168.1.1', 'http://example.com', 'https://127.0.0.1', 'http://127.0.0.1.example.com', 'nonsense', 'http://127.0.0.1:80/x']) {
      expect(() => loopbackOrigin(bad), bad).toThrow(expect.objectContaining({ exitCode: 2 }));
    }
  });

  it('squeezes the traffic to a duration and scales its rates, keeping its shape', () => {
    const s = loadScenario('retry-storm').scenario;
    const r = reshapeTraffic(s, 8, 0.5);
    expect(r.traffic.phases.map((p) => p.durationSec)).toEqual([2, 1.5, 4.5]);
    expect(r.traffic.phases.map((p) => (p.kind === 'ramp' ? p.fromPerSec : p.roundsPerSec))).toEqual([750, 1800, 250]);
    expect(reshapeTraffic(s, undefined, undefined)).toBe(s);
  });
});
