/**
 * The real world's runner in process: the simulator's provider and checker over HTTP against
 * the reference server on loopback. Short, scaled-down traffic, so each run takes seconds.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { loopbackOrigin } from '../src/cli/load-command.js';
import { startWalletServer, type WalletServer } from '../src/drivers/http/server.js';
import { WalletstormError } from '../src/errors.js';
import { emptyTransportStats } from '../src/drivers/http/client.js';
import type { KafkaTransport } from '../src/drivers/kafka/transport.js';
import type { ReplyTarget } from '../src/ports/transport.js';
import { Population } from '../src/provider/players.js';
import { runReal } from '../src/real/run-real.js';
import { endProblem } from '../src/report/run-end.js';
import { faultsAfterTraffic } from '../src/faults/timed.js';
import { reshapeTraffic, timelineOverrides } from '../src/real/traffic.js';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';

let server: WalletServer | undefined;
let fake: Server | undefined;
afterEach(async () => {
  await server?.close(1000);
  server = undefined;
  fake?.closeAllConnections();
  await new Promise((resolve) => (fake === undefined ? resolve(undefined) : fake.close(resolve)));
  fake = undefined;
});

/** An HTTP server on loopback that is not (wholly) a wallet: `answer` decides every reply. */
async function fakeTarget(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  fake = createServer((req, res) => req.resume().on('end', () => answer(req, res)));
  await new Promise<void>((resolve) => fake!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
}

/** What a static web server says to the protocol: 501 to a POST, 404 to a GET, in plain text. */
function notAWallet(req: IncomingMessage, res: ServerResponse): void {
  const [status, text] = req.method === 'POST' ? [501, 'Unsupported method (POST)\n'] : [404, 'File not found\n'];
  res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
}

/** Money operations answered in the protocol (always OK), every read 404 in plain text: no balance to reconcile with. */
function moneyOnly(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'POST') res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":"OK","balance":1000000}');
  else res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
}

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

/** low-balance for 2 s at 0.4 of its rate on 200 players: balances run out and the event-driven wallet refuses bets late. */
async function lowBalance(target: (origin: string) => string | Promise<string>) {
  const scenario = compileScenario(reshapeTraffic(loadScenario('low-balance', ['players.count=200']).scenario, 2, 0.4));
  server = await startWalletServer({ model: 'event', scenario, players: new Population(scenario.population).accounts, seed: 7, host: '127.0.0.1', port: 0 });
  return runReal({ scenario, origin: await target(server.url), connections: 16, seed: 7, drainTimeoutMs: 10_000 });
}

/** A proxy to the wallet at `origin` that hides its GET /wallet/refusals (404), as a wallet that keeps no such list. */
function withoutRefusals(origin: string): Promise<string> {
  return hiding(origin, '/wallet/refusals');
}

/** A proxy to the wallet at `origin` that answers 404 under `path`, as a wallet without that endpoint. */
async function hiding(origin: string, path: string): Promise<string> {
  const to = new URL(origin);
  fake = createServer((req, res) => {
    if (req.url?.startsWith(path)) {
      req.resume();
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"INVALID_REQUEST","message":"no route"}');
      return;
    }
    const forward = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => fake!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
}

/** A proxy to the wallet at `origin` that passes JSON answers under `path` through `rewrite`, as a wallet whose list is wrong. */
async function rewriting(origin: string, path: string, rewrite: (body: Record<string, unknown>) => Record<string, unknown>): Promise<string> {
  const to = new URL(origin);
  fake = createServer((req, res) => {
    const forward = httpRequest({ host: to.hostname, port: to.port, method: req.method, path: req.url, headers: req.headers }, (answer) => {
      if (!req.url?.startsWith(path)) {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        return;
      }
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => {
        const body = JSON.stringify(rewrite(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>));
        res.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      });
    });
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => fake!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
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
    // The stop reason first: when the run did not drain, the failure says how it ended instead.
    expect(report.stopReason).toBe('drained');
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

  it('event-driven low-balance: bets refused when applied are read from GET /wallet/refusals: late rejections, nothing left unsettled', async () => {
    const { report, ended } = await lowBalance((origin) => origin);
    expect(ended).toBe('completed');
    expect(report.lateRejections).toBeGreaterThan(0);
    // Each bet refused late leaves its round's win without a bet: refused as well.
    expect(report.failedEvents).toBeGreaterThan(report.lateRejections);
    expect(report.unsettled).toBe(0);
    expect(report.consistency).toMatchObject({ ok: true, checkedBy: 'ledger-audit', refusalsVisible: true, problems: [] });
  }, 30_000);

  it('a target with the audit but without GET /wallet/refusals: late rejections show as unsettled, and the report says they were not visible', async () => {
    const { report, ended } = await lowBalance(withoutRefusals);
    expect(ended).toBe('completed');
    expect(report.consistency).toMatchObject({ ok: true, checkedBy: 'ledger-audit', refusalsVisible: false });
    expect([report.lateRejections, report.failedEvents]).toEqual([0, 0]);
    expect(report.unsettled).toBeGreaterThan(0);
  }, 30_000);

  it('a target without an audit endpoint is checked by balances, and the report says so', async () => {
    const { report } = await serveAndLoad(['faults.responseLoss.rate=0.05'], 'request', false);
    expect(report.consistency.checkedBy).toBe('balances');
    expect(report.consistency.ok).toBe(true);
  }, 40_000);

  it('a wallet that lists its balances but cannot answer GET /wallet/balance/:playerId at the end: unchecked (exit 3), as any final state it cannot read', async () => {
    // Idle at the end, the check compares what each player can spend with the settled balance
    // listed; a read it cannot make is not skipped, so no run passes a check it did not make.
    const scenario = retryStorm([]);
    server = await startWalletServer({ model: 'hybrid', scenario, players: new Population(scenario.population).accounts, seed: 7, host: '127.0.0.1', port: 0 });
    const origin = await hiding(server.url, '/wallet/balance/');
    const run = await runReal({ scenario, origin, connections: 16, seed: 7, drainTimeoutMs: 20_000 });
    expect(run.ended).toBe('unreachable');
    expect(run.reason).toMatch(/could not be read at the end of the run: GET \/wallet\/balance\/\S+ answered 404 without a balance/);
    expect(run.report.consistency).toMatchObject({ ok: false, checkedBy: 'none' });
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

  it('a wallet that served an earlier run and does not list its balances is refused before the run (exit 2), not failed at its end', async () => {
    await serveAndLoad([]);
    const scenario = retryStorm([]);
    const origin = await hiding(server!.url, '/wallet/balances');
    const error = await runReal({ scenario, origin, connections: 16, seed: 7, drainTimeoutMs: 20_000 }).catch((e) => e);
    // Before: the run went ahead and failed with balance mismatches, the first run's money taken for this one's.
    expect(error).toBeInstanceOf(WalletstormError);
    expect([(error as WalletstormError).code, (error as WalletstormError).exitCode]).toEqual(['E_TARGET_NOT_FRESH', 2]);
    expect((error as Error).message).toMatch(/has applied \d+ entries before this run/);
  }, 60_000);

  it('a wallet that lists fewer players than the scenario has is refused before the run (exit 2), naming one', async () => {
    const scenario = retryStorm([]);
    server = await startWalletServer({ model: 'request', scenario, players: new Population({ ...scenario.population, count: 100 }).accounts, seed: 7, host: '127.0.0.1', port: 0 });
    const error = await runReal({ scenario, origin: server.url, connections: 16, seed: 7, drainTimeoutMs: 5000 }).catch((e) => e);
    expect([(error as WalletstormError).code, (error as WalletstormError).exitCode]).toEqual(['E_TARGET_PLAYERS', 2]);
    expect((error as Error).message).toContain('lists 100 players but not 400 of the scenario\'s 500, such as p100');
  }, 30_000);

  it('a wallet that does not know most players and does not list them fails the check, naming PLAYER_NOT_FOUND', async () => {
    const scenario = retryStorm([]);
    server = await startWalletServer({ model: 'request', scenario, players: new Population({ ...scenario.population, count: 100 }).accounts, seed: 7, host: '127.0.0.1', port: 0 });
    const { report } = await runReal({ scenario, origin: await hiding(server.url, '/wallet/balances'), connections: 16, seed: 7, drainTimeoutMs: 20_000 });
    // Before: consistent, exit 0, with the bets of four players in five refused.
    expect(report.results.PLAYER_NOT_FOUND).toBeGreaterThan(100);
    expect(report.consistency.ok).toBe(false);
    expect(report.consistency.problems[0]).toMatch(/^the wallet answered PLAYER_NOT_FOUND \d+ times/);
  }, 60_000);

  it('an audit that leaves out some applied entries: those operations are lost, and the check fails', async () => {
    const scenario = retryStorm([]);
    server = await startWalletServer({ model: 'request', scenario, players: new Population(scenario.population).accounts, seed: 7, host: '127.0.0.1', port: 0 });
    // Every 50th entry of the wallet's audit is missing, as a wallet that forgets to record some writes.
    const origin = await rewriting(server.url, '/wallet/transactions', (page) => ({
      ...page,
      transactions: (page.transactions as { seq: number }[]).filter((e) => e.seq % 50 !== 49),
    }));
    const { report } = await runReal({ scenario, origin, connections: 16, seed: 7, drainTimeoutMs: 20_000 });
    expect(report.consistency.checkedBy).toBe('ledger-audit');
    expect(report.lost).toBeGreaterThan(0);
    expect(report.consistency.balanceMismatches).toBeGreaterThan(0);
    expect(report.consistency.ok).toBe(false);
  }, 60_000);

  it('a wallet still busy at the drain deadline: the run ends at its deadline (not drained), never converged, nothing called lost', async () => {
    // Steady traffic for 2 s: every attempt is answered long before the drain deadline, 6 s after it.
    const scenario = compileScenario(reshapeTraffic(loadScenario('steady', ['players.count=200']).scenario, 2, 0.05));
    server = await startWalletServer({ model: 'event', scenario, players: new Population(scenario.population).accounts, seed: 7, host: '127.0.0.1', port: 0 });
    // A wallet that says it is busy however long it is waited for, as one whose log never catches up.
    const origin = await rewriting(server.url, '/healthz', (health) => ({ ...health, busy: true }));
    const { report, ended } = await runReal({ scenario, origin, connections: 16, seed: 7, drainTimeoutMs: 6000 });
    expect(ended).toBe('completed');
    expect(report).toMatchObject({ stopReason: 'deadline', completed: false, convergenceMs: null, interrupted: false });
    expect(endProblem(report)).toMatch(/^did not converge: deadline at /);
    // What it may still apply is unsettled, not lost.
    expect(report.lost).toBe(0);
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

describe('a target that answers but is not a wallet', () => {
  it('is given up within seconds as not a wallet, with an example of what it answered and a partial report', async () => {
    const origin = await fakeTarget(notAWallet);
    const scenario = compileScenario(reshapeTraffic(loadScenario('steady', ['players.count=500']).scenario, 30, 0.2));
    const started = Date.now();
    const run = await runReal({ scenario, origin, connections: 8, seed: 1, drainTimeoutMs: 120_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(run.ended).toBe('not-a-wallet');
    expect(run.error).toBeInstanceOf(WalletstormError);
    expect(run.error).toMatchObject({ code: 'E_TARGET_NOT_WALLET', exitCode: 3 });
    expect(run.error!.message).toMatch(/does not speak the walletstorm protocol/);
    expect(run.error!.message).toMatch(/POST \/wallet\/(bet|win|rollback) answered 501 "Unsupported method \(POST\) "/);
    expect(run.error!.hint).toContain('docs/protocol.md');
    expect(run.report).toMatchObject({ stopReason: 'not-a-wallet', completed: false, interrupted: false });
    expect(run.report.consistency.checkedBy).toBe('none');
    expect(run.report.sends.unreadable).toBeGreaterThan(0);
    expect(run.report.sends.unreadable).toBe(run.report.sends.sent - run.report.sends.aborted - run.report.sends.socketErrors);
  }, 20_000);

  it('a wallet whose balances cannot be read at the end fails in seconds, not after reading every player', async () => {
    const origin = await fakeTarget(moneyOnly);
    const started = Date.now();
    const run = await runReal({ scenario: retryStorm([]), origin, connections: 8, seed: 1, drainTimeoutMs: 5000 });
    expect(run.ended).toBe('unreachable');
    expect(run.reason).toMatch(/could not be read at the end of the run: GET \/wallet\/balance\/\S+ answered 404/);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(run.report.consistency.checkedBy).toBe('none');
  }, 30_000);

  it('interrupted, it ends as interrupted (130) even when the final state cannot be read', async () => {
    const origin = await fakeTarget(moneyOnly);
    const interrupt = new AbortController();
    setTimeout(() => interrupt.abort(), 1000);
    const scenario = compileScenario(reshapeTraffic(loadScenario('steady', ['players.count=500']).scenario, 30, 0.1));
    const run = await runReal({ scenario, origin, connections: 8, seed: 1, drainTimeoutMs: 5000, interruptDrainMs: 500, signal: interrupt.signal });
    expect(run.ended).toBe('interrupted');
    expect(run.report).toMatchObject({ interrupted: true, stopReason: 'interrupted', completed: false });
    expect(run.report.consistency.problems.join(' ')).toMatch(/could not read the wallet's final state/);
  }, 20_000);
});

describe('an interrupt before the traffic', () => {
  it('(Ctrl-C while the wallet was starting) sends nothing: the run ends as interrupted at once', async () => {
    const scenario = compileScenario(reshapeTraffic(loadScenario('steady', ['players.count=500']).scenario, 10, 1));
    server = await startWalletServer({ model: 'request', scenario, players: new Population(scenario.population).accounts, seed: 1, host: '127.0.0.1', port: 0 });
    const interrupt = new AbortController();
    interrupt.abort();
    const run = await runReal({ scenario, origin: server.url, connections: 8, seed: 1, drainTimeoutMs: 5000, interruptDrainMs: 500, signal: interrupt.signal });
    expect(run.ended).toBe('interrupted');
    expect(run.report.sends.sent).toBe(0);
    expect(run.report.operations.logical).toBe(0);
  }, 20_000);
});

describe('an interrupt while a Kafka run waits for the wallet group to catch up', () => {
  it('ends the wait at once (130), not at the catch-up deadline', async () => {
    const scenario = compileScenario(reshapeTraffic(loadScenario('steady', ['players.count=500']).scenario, 1, 0.05));
    server = await startWalletServer({ model: 'event', scenario, players: new Population(scenario.population).accounts, seed: 1, host: '127.0.0.1', port: 0 });
    const interrupt = new AbortController();
    let abortedAt = 0;
    // The broker acknowledges every command; the wallet's group never catches up (its consumers are down).
    const transport = {
      connections: 0,
      outstanding: 0,
      stats: emptyTransportStats(),
      onSentLatency: () => {},
      warmUp: async () => {},
      send: (_request: unknown, target: ReplyTarget, token: number) => setImmediate(() => target.replied(token, { code: 'OK', accepted: true })),
      stop: () => {},
      close: async () => {},
      catchUp: async (timeoutMs: number, gaveUp: () => boolean) => {
        setTimeout(() => ((abortedAt = Date.now()), interrupt.abort()), 300);
        for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
          if (gaveUp()) return false;
          await new Promise((r) => setTimeout(r, 50));
        }
        return false;
      },
      report: () => ({ producedTwice: 0 }),
    } as unknown as KafkaTransport;
    const run = await runReal({ scenario, origin: server.url, connections: 1, seed: 1, drainTimeoutMs: 30_000, signal: interrupt.signal, kafka: () => transport });
    // Before, it waited out the whole drain (30 s here, up to 120 s in a CLI run) and ended as drained.
    expect(Date.now() - abortedAt).toBeLessThan(5000);
    expect(run.ended).toBe('interrupted');
    expect(run.report).toMatchObject({ interrupted: true, stopReason: 'interrupted', completed: false });
  }, 60_000);
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

  it('names what is wrong with a target URL: a port out of range, port 0, credentials, a fragment', () => {
    const refused = (target: string) => {
      try {
        loopbackOrigin(target);
      } catch (e) {
        expect((e as WalletstormError).code, target).toBe('E_BAD_TARGET');
        return (e as Error).message;
      }
      throw new Error(`${target} was accepted`);
    };
    expect(refused('http://127.0.0.1:99999')).toBe('--target has port 99999, outside 1 to 65535: got "http://127.0.0.1:99999"');
    expect(refused('http://[::1]:70000/')).toBe('--target has port 70000, outside 1 to 65535: got "http://[::1]:70000/"');
    expect(refused('http://127.0.0.1:0')).toBe('--target has port 0, outside 1 to 65535: got "http://127.0.0.1:0"');
    // The password is not repeated into a CI log.
    expect(refused('http://user:s3cret@127.0.0.1:8080')).toBe('--target carries credentials (user:password@), which walletstorm does not send: got "http://user:***@127.0.0.1:8080"');
    expect(refused('http://127.0.0.1:8080#x')).toContain('without a path');
    expect(loopbackOrigin('http://127.0.0.1:65535')).toBe('http://127.0.0.1:65535');
  });

  it('squeezes the traffic to a duration and scales its rates, keeping its shape', () => {
    const s = loadScenario('retry-storm').scenario;
    const r = reshapeTraffic(s, 8, 0.5);
    expect(r.traffic.phases.map((p) => p.durationSec)).toEqual([2, 1.5, 4.5]);
    expect(r.traffic.phases.map((p) => (p.kind === 'ramp' ? p.fromPerSec : p.roundsPerSec))).toEqual([750, 1800, 250]);
    expect(reshapeTraffic(s, undefined, undefined)).toBe(s);
  });

  it('--duration moves the faults\' times with the traffic, and the wallet child gets them as overrides', () => {
    const s = loadScenario('consumer-crash', ['faults.duplicateDelivery.rate=0.1', 'faults.duplicateDelivery.fromSec=30', 'faults.duplicateDelivery.toSec=45']).scenario;
    const r = reshapeTraffic(s, 6, 0.5);
    // 60 s squeezed to 6: the crash at 20 s comes at 2 s and its consumers restart 0.5 s later.
    expect(r.faults.consumerCrash).toMatchObject({ atSec: 2, restartAfterSec: 0.5 });
    expect(r.faults.duplicateDelivery).toMatchObject({ fromSec: 3, toSec: 4.5, rate: 0.1 });
    expect(faultsAfterTraffic(r)).toEqual([]);
    // A child started from the file with these overrides has the same faults as the run.
    const child = loadScenario('consumer-crash', ['faults.duplicateDelivery.rate=0.1', ...timelineOverrides(r)]).scenario;
    expect(child.faults).toEqual(r.faults);
    // And the same traffic's length: a repeating crash stops where the run's traffic ends.
    expect(child.traffic.phases.map((p) => p.durationSec)).toEqual(r.traffic.phases.map((p) => p.durationSec));
    // --rate-scale alone moves no time.
    expect(reshapeTraffic(s, undefined, 2).faults).toEqual(s.faults);
  });

  it('names a fault that starts after the traffic ends: in the drain it acts on the drain only, past the drain timeout never', () => {
    const s = loadScenario('consumer-crash', ['faults.consumerCrash.atSec=90', 'run.drainTimeoutSec=60']).scenario;
    expect(faultsAfterTraffic(s)).toEqual(['faults.consumerCrash.atSec is 90 s, at or after the end of the traffic (60 s): it acts only on the drain, not on the traffic']);
    expect(faultsAfterTraffic(reshapeTraffic(s, 6, undefined))).toEqual(['faults.consumerCrash.atSec is 9 s, at or after the end of the traffic (6 s): it acts only on the drain, not on the traffic']);
    const late = loadScenario('consumer-crash', ['faults.consumerCrash.atSec=120', 'run.drainTimeoutSec=60']).scenario;
    expect(faultsAfterTraffic(late)).toEqual(["faults.consumerCrash.atSec is 120 s, after the run's end (60 s of traffic and 60 s to drain): it never acts"]);
    // A hot player picks the player of new rounds: after the traffic there are none, drain or not.
    const hot = loadScenario('steady', ['faults.hotPlayer.share=0.5', 'faults.hotPlayer.fromSec=70']).scenario;
    expect(faultsAfterTraffic(hot)).toEqual(['faults.hotPlayer.fromSec is 70 s, at or after the end of the traffic (60 s): it never acts, as it picks the player of new rounds']);
    // A real run's drain is capped: what it will really have decides.
    const capped = loadScenario('consumer-crash', ['faults.consumerCrash.atSec=200']).scenario;
    expect(faultsAfterTraffic(capped, 120)).toEqual(["faults.consumerCrash.atSec is 200 s, after the run's end (60 s of traffic and 120 s to drain): it never acts"]);
  });
});
