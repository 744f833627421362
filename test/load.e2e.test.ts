/**
 * End to end over real processes: `walletstorm serve` in one, `walletstorm load` in another, on
 * loopback, and what happens when the server dies mid-run or the user presses Ctrl-C.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'walletstorm.js');
const ENV = { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined };

/** Any source newer than its compiled file (as in cli.e2e.test.ts): rebuild before spawning the CLI. */
function sourcesNewerThanBuild(dir = join(ROOT, 'src')): boolean {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (sourcesNewerThanBuild(path)) return true;
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) {
      const built = join(ROOT, 'dist', relative(ROOT, path).replace(/\.ts$/, '.js'));
      if (!existsSync(built) || statSync(built).mtimeMs < statSync(path).mtimeMs) return true;
    }
  }
  return false;
}

let tmp: string;
const children: ChildProcess[] = [];
const fakes: Server[] = [];

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'walletstorm-load-e2e-'));
  if (sourcesNewerThanBuild()) {
    const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
    if (tsc.status !== 0) throw new Error(`build failed:\n${tsc.stdout}${tsc.stderr}`);
  }
}, 120_000);

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const f of fakes.splice(0)) {
    f.closeAllConnections();
    await new Promise((resolve) => f.close(resolve));
  }
});

/** An HTTP server in this process, on loopback, that is not (wholly) a wallet. */
async function fakeTarget(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => req.resume().on('end', () => answer(req, res)));
  fakes.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

interface Exited {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function launch(args: string[], cwd = ROOT): { child: ChildProcess; done: Promise<Exited>; stdout: () => string; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr!.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const done = new Promise<Exited>((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  return { child, done, stdout: () => stdout, stderr: () => stderr };
}

/** Whether the local wallet that `load` started (named in its first line) has applied `entries` entries. */
async function localWalletApplied(load: ReturnType<typeof launch>, entries: number): Promise<boolean> {
  const url = /walletstorm load: .* against (http:\/\/\S+) \(local /.exec(load.stderr())?.[1];
  if (url === undefined) return false;
  try {
    return ((await (await fetch(`${url}/wallet/transactions?limit=0`)).json()) as { lastSeq: number }).lastSeq >= entries;
  } catch {
    return false;
  }
}

/**
 * Ctrl-C (or `signal`) once the run is sending: its wallet has applied some of the traffic, or
 * `sending` says so for a target of the test's own; its exit. (It was a fixed 1.5 s after the
 * first line, and after 15 s without that line the signal went anyway: on a loaded machine it
 * could come before the traffic, or before the handler, and kill the process.)
 */
async function interruptWhileSending(load: ReturnType<typeof launch>, signal: NodeJS.Signals = 'SIGINT', sending = () => localWalletApplied(load, 20)): Promise<Exited> {
  const deadline = Date.now() + 40_000;
  while (!(await sending())) {
    if (Date.now() > deadline || load.child.exitCode !== null) throw new Error(`the run did not start sending; its standard error:\n${load.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  load.child.kill(signal);
  return load.done;
}

async function serve(...extra: string[]) {
  const server = launch(['serve', '--port', '0', '--scenario', 'steady', '--set', 'players.count=500', ...extra]);
  const deadline = Date.now() + 15_000;
  while (!/listening on (http:\/\/\S+)/.test(server.stdout())) {
    if (Date.now() > deadline || server.child.exitCode !== null) throw new Error(`serve did not start: ${server.stdout()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { ...server, url: /listening on (http:\/\/\S+)/.exec(server.stdout())![1]! };
}

const STEADY = ['--set', 'players.count=500', '--connections', '8'];

describe('walletstorm serve + walletstorm load', () => {
  it('two processes: load --target URL drives a running serve, and serve shuts down cleanly on SIGTERM', async () => {
    const server = await serve();
    expect(server.stdout()).toContain('walletstorm serve: request-driven wallet listening on http://127.0.0.1:');
    const file = join(tmp, 'two-process.json');
    const load = await launch(['load', 'steady', '--target', server.url, '--duration', '2', '--rate-scale', '0.2', ...STEADY, '--threshold', 'duplicates==0', '--threshold', 'sends.dropped==0', '--json', file]).done;
    expect(load.stderr).not.toMatch(/internal error|    at /);
    expect(load.status).toBe(0);
    const report = JSON.parse(readFileSync(file, 'utf8'));
    expect(report.runs[0]).toMatchObject({ world: 'real', transport: 'http', model: 'request', interrupted: false, duplicates: 0, lost: 0 });
    expect(report.runs[0].consistency).toMatchObject({ ok: true, checkedBy: 'ledger-audit' });
    expect(report.runs[0].thresholds).toEqual([
      { expression: 'duplicates==0', metric: 'duplicates', value: 0, ok: true },
      { expression: 'sends.dropped==0', metric: 'sends.dropped', value: 0, ok: true },
    ]);
    expect(load.stdout).toContain('load generator:');
    server.child.kill('SIGTERM');
    const exited = await server.done;
    expect(exited.status).toBe(0);
    expect(exited.stdout).toContain('shutting down');
  }, 60_000);

  it('two load generators at once on one wallet: with --segment 1/2 and 2/2 each audits its own players and passes, and so does their merge; without, each fails on the other', async () => {
    const server = await serve();
    const run = (seed: number, name: string, ...extra: string[]) =>
      launch(['load', 'steady', '--target', server.url, '--duration', '3', '--rate-scale', '0.2', ...STEADY, '--seed', String(seed), ...extra, '--json', join(tmp, name)]).done;
    const [a, b] = await Promise.all([run(1, 'seg-1.json', '--segment', '1/2'), run(2, 'seg-2.json', '--segment', '2/2')]);
    for (const r of [a, b]) {
      expect(r.stderr).not.toMatch(/internal error|    at /);
      expect(r.status, r.stdout + r.stderr).toBe(0);
    }
    const reports = ['seg-1.json', 'seg-2.json'].map((f) => JSON.parse(readFileSync(join(tmp, f), 'utf8')));
    expect(reports.map((r) => r.scenario.segment)).toEqual(['1/2', '2/2']);
    for (const r of reports) expect(r.runs[0]).toMatchObject({ unexpected: 0, duplicates: 0, lost: 0, consistency: { ok: true, checkedBy: 'ledger-audit' } });
    const merged = launch(['merge', join(tmp, 'seg-1.json'), join(tmp, 'seg-2.json'), '--json', join(tmp, 'seg-merged.json')]);
    expect((await merged.done).status).toBe(0);
    const m = JSON.parse(readFileSync(join(tmp, 'seg-merged.json'), 'utf8'));
    expect(m.scenario.segment).toBeUndefined();
    expect(m.merged.from.map((p: { segment?: string }) => p.segment)).toEqual(['1/2', '2/2']);
    expect(m.runs[0].consistency.ok).toBe(true);
    // The same two at once without segments: each meets the other's entries and bets.
    const [c, d] = await Promise.all([run(3, 'noseg-1.json'), run(4, 'noseg-2.json')]);
    expect([c.status, d.status]).toEqual([1, 1]);
    expect(JSON.parse(readFileSync(join(tmp, 'noseg-1.json'), 'utf8')).runs[0].unexpected).toBeGreaterThan(0);
    server.child.kill('SIGTERM');
    await server.done;
  }, 90_000);

  it.each([
    [['--segment', '3/2'], 'K is above N'],
    [['--segment', '0/2'], '--segment must be K/N'],
    [['--segment', 'half'], '--segment must be K/N'],
    [['--segment', '1/501'], '501 slices of 500 players'],
    [['--segment', '1/2', '--trace', 'p1'], '--trace p1: --segment 1/2 does not drive that player'],
  ])('load %j is a usage error (exit 2) before any traffic', async (extra, message) => {
    const r = await launch(['load', 'steady', '--target', 'http://127.0.0.1:9', ...STEADY, ...extra]).done;
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
  });

  it('the server killed mid-run: exit 3 within seconds, with a partial report', async () => {
    const server = await serve('--model', 'hybrid');
    // The hybrid is not "hybrid-driven".
    expect(server.stdout()).toContain('walletstorm serve: hybrid wallet listening on http://127.0.0.1:');
    const file = join(tmp, 'killed.json');
    const load = launch(['load', 'steady', '--target', server.url, '--duration', '30', '--rate-scale', '0.1', ...STEADY, '--json', file]);
    // Kill it once the run is under way (its ledger has entries), however slow the machine is.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const audit = (await (await fetch(`${server.url}/wallet/transactions?limit=0`)).json()) as { lastSeq: number };
      if (audit.lastSeq >= 100 || Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    server.child.kill('SIGKILL');
    const killedAt = Date.now();
    const result = await load.done;
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('stopped answering mid-run');
    // The last connection error is the dead server's, not the load generator's own teardown.
    expect(result.stderr).toMatch(/not accepted for 3 s \(last: (ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET)\)/);
    expect(existsSync(file)).toBe(true);
    const run = JSON.parse(readFileSync(file, 'utf8')).runs[0];
    expect(run).toMatchObject({ world: 'real', stopReason: 'unreachable', completed: false });
    expect(run.consistency.checkedBy).toBe('none');
    expect(run.operations.logical).toBeGreaterThan(0);
  }, 60_000);

  it('SIGINT: stops sending, drains, writes a partial report marked interrupted, exit 130', async () => {
    const file = join(tmp, 'interrupted.json');
    const result = await interruptWhileSending(launch(['load', 'steady', '--target', 'local', '--duration', '30', '--rate-scale', '0.1', ...STEADY, '--json', file]));
    expect(result.status).toBe(130);
    const run = JSON.parse(readFileSync(file, 'utf8')).runs[0];
    expect(run).toMatchObject({ world: 'real', interrupted: true, stopReason: 'interrupted', completed: false });
    // The local server was still there to be audited.
    expect(run.consistency.checkedBy).toBe('ledger-audit');
    expect(run.consistency.ok).toBe(true);
  }, 60_000);

  it('SIGTERM (a CI cancel, `timeout`) is Ctrl-C: a partial report marked interrupted, exit 130; a second signal in the drain changes nothing', async () => {
    const file = join(tmp, 'terminated.json');
    const load = launch(['load', 'steady', '--target', 'local', '--duration', '30', '--rate-scale', '0.1', ...STEADY, '--json', file]);
    // A second signal while it drains, as a second Ctrl-C: the bounded drain and the report go on.
    load.child.stderr!.on('data', (t: Buffer) => t.toString().includes('interrupted (SIGTERM)') && load.child.kill('SIGINT'));
    const result = await interruptWhileSending(load, 'SIGTERM');
    expect(result.stderr).not.toMatch(/internal error|    at /);
    expect(result.status).toBe(130);
    expect(result.stderr).toContain('walletstorm: interrupted (SIGTERM): stopping the traffic');
    expect(result.stderr).toContain(`interrupted: partial report written to ${file} (exit 130)`);
    expect(result.stdout).toContain('load generator:');
    const run = JSON.parse(readFileSync(file, 'utf8')).runs[0];
    expect(run).toMatchObject({ world: 'real', interrupted: true, stopReason: 'interrupted', completed: false });
    expect(run.consistency.checkedBy).toBe('ledger-audit');
    expect(run.operations.logical).toBeGreaterThan(0);
  }, 60_000);

  it('--json -: the JSON report alone on standard output, the summary and the load generator line on standard error', async () => {
    // From the test's directory: a file named "-" would be left there, not in the repository.
    const result = await launch(['load', 'steady', '--target', 'local', '--duration', '1', '--rate-scale', '0.05', ...STEADY, '--json', '-'], tmp).done;
    expect(result.status, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout).runs[0]).toMatchObject({ world: 'real', completed: true, duplicates: 0 });
    expect(result.stderr).toContain('request  ✔ consistent');
    expect(result.stderr).toContain('load generator:');
    expect(existsSync(join(tmp, '-'))).toBe(false);
  }, 60_000);

  it('refuses a target that is not this machine, before sending anything (exit 2)', async () => {
    const result = await launch(['load', 'steady', '--target', 'http://10.20.30.40:8080']).done;
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('only this machine');
  });

  it('an unreachable target: a clear message and exit 3', async () => {
    const result = await launch(['load', 'steady', '--target', 'http://127.0.0.1:9', '--duration', '1']).done;
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('cannot reach the wallet at http://127.0.0.1:9');
  });

  it('a target that takes the connection and never answers: exit 3, and the message says what it waited for', async () => {
    // A hung process: the kernel accepts, nothing answers (the timeout's DOMException code, 23, is no reason to show).
    const url = await fakeTarget(() => {});
    const result = await launch(['load', 'steady', '--target', url, '--duration', '1', ...STEADY]).done;
    expect(result.status).toBe(3);
    expect(result.stderr).toContain(`cannot reach the wallet at ${url} (no answer to GET /healthz within 3 s)`);
    expect(result.stderr).not.toMatch(/\(\d+\)/);
  }, 30_000);

  it('a wallet that answers its reads and no money operation: exit 1, not a pass on operations that all timed out', async () => {
    // Hung writes (a lock, a dead database), working reads: every balance where it started.
    const url = await fakeTarget((req, res) => {
      if (req.method === 'POST') return;
      if (req.url!.startsWith('/wallet/balance/')) res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":"OK","balance":1000000}');
      else res.writeHead(404).end();
    });
    const noRetries = ['--set', 'provider.timeoutMs=300', '--set', 'provider.retry.maxAttempts=1', '--set', 'provider.settlementRetry.maxAttempts=1'];
    const result = await launch(['load', 'steady', '--target', url, '--duration', '1', '--rate-scale', '0.05', ...STEADY, ...noRetries]).done;
    expect(result.stderr).toMatch(/the wallet answered none of the run's \d+ operations \(all indeterminate: \d+ attempts timed out\), so none was acknowledged or refused: a hung wallet would pass \(exit 1\)/);
    expect(result.status).toBe(1);
  }, 30_000);

  it('a target that answers but is not a wallet: exit 3 within seconds, E_TARGET_NOT_WALLET, unreadable answers counted', async () => {
    // As `python3 -m http.server` answers: 501 to a POST, 404 to a GET, in plain text.
    const url = await fakeTarget((req, res) => res.writeHead(req.method === 'POST' ? 501 : 404, { 'content-type': 'text/plain' }).end('Not Implemented\n'));
    const file = join(tmp, 'not-a-wallet.json');
    const started = Date.now();
    const result = await launch(['load', 'steady', '--target', url, '--duration', '60', '--rate-scale', '0.2', ...STEADY, '--json', file]).done;
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('E_TARGET_NOT_WALLET');
    expect(result.stderr).toMatch(/does not speak the walletstorm protocol.*answered 501 "Not Implemented "/);
    expect(result.stderr).toContain('docs/protocol.md');
    expect(result.stderr).toContain(`partial report written to ${file}`);
    expect(result.stderr).not.toMatch(/stopped answering|internal error|    at /);
    const run = JSON.parse(readFileSync(file, 'utf8')).runs[0];
    expect(run).toMatchObject({ world: 'real', stopReason: 'not-a-wallet', completed: false, interrupted: false });
    expect(run.consistency.checkedBy).toBe('none');
    expect(run.sends.unreadable).toBeGreaterThan(0);
    expect(result.stdout).toContain(`unreadable ${run.sends.unreadable}`);
  }, 30_000);

  it('SIGINT against a target whose final state cannot be read: still 130 with a partial report', async () => {
    // Money operations answered in the protocol, reads not: the reconciliation after ^C fails.
    let posts = 0;
    const url = await fakeTarget((req, res) =>
      req.method === 'POST' ? (posts++, res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":"OK","balance":1000000}')) : res.writeHead(404).end(),
    );
    const file = join(tmp, 'interrupted-unreadable.json');
    const load = launch(['load', 'steady', '--target', url, '--duration', '30', '--rate-scale', '0.1', ...STEADY, '--json', file]);
    const result = await interruptWhileSending(load, 'SIGINT', async () => posts >= 20);
    expect(result.status).toBe(130);
    expect(result.stderr).not.toContain('stopped answering');
    const run = JSON.parse(readFileSync(file, 'utf8')).runs[0];
    expect(run).toMatchObject({ interrupted: true, stopReason: 'interrupted', completed: false });
    expect(run.consistency.checkedBy).toBe('none');
  }, 60_000);

  it('the acceptance command: retry-storm against the local server with idempotency off double-charges', async () => {
    const file = join(tmp, 'storm.json');
    const result = await launch([
      'load', 'retry-storm', '--target', 'local', '--duration', '3', '--rate-scale', '0.1', '--set', 'players.count=500',
      '--set', 'wallet.idempotency=off', '--set', 'faults.responseLoss.rate=0.05', '--set', 'faults.walletSlowdown={factor: 2}', '--json', file,
    ]).done;
    expect(result.status).toBe(1);
    const report = JSON.parse(readFileSync(file, 'utf8'));
    // The windows of the faults this target applied, and only those: walletSlowdown acts in the simulator only.
    expect(report.scenario.faultWindows).toEqual([{ fault: 'responseLoss', fromMs: 0, toMs: null }]);
    expect(result.stderr).toContain('walletSlowdown is not applied against this target');
    const run = report.runs[0];
    expect(run.duplicates).toBeGreaterThan(0);
    expect(run.consistency.ok).toBe(false);
  }, 60_000);
});
