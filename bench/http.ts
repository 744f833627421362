/**
 * npm run bench:http — the HTTP driver's figures, all on loopback, bounded, medians of rounds.
 *
 * (a) the load generator's maximum request rate against the reference server (request-driven,
 *     no artificial service time), side by side with autocannon at the same connection count;
 *     target: at least 1.0x autocannon. The generator runs whole (provider, checker, transport)
 *     at an offered rate above what the pair can do; its figure is requests written per second
 *     while every connection is busy. Both clients hit the same server in a round, in
 *     alternating order, and send the same requests: a bet, then the win that closes its round,
 *     each with the op-ref header and run-prefixed ids. The server is the bottleneck here and
 *     the two kinds of request cost it differently (a win looks up its bet, the op ref is read
 *     and kept), so different requests would compare the server's work, not the clients.
 *     autocannon's figure with bets alone, the request it used to send, is printed too.
 *     The order matters as well: overloaded, the generator sends a win after the bets asked
 *     for before it (first asked, first sent), long after its own bet, while autocannon's
 *     closed loop sends it right after; BENCH_LOCALITY=1 measures what that costs the server.
 * (b) the reference server against a bare node:http server that reads the body and returns a
 *     fixed JSON body, both driven by the same client (autocannon, unique bets); target 0.7x.
 *
 * Servers run in child processes, the clients in this one: two cores, one each. The machine is
 * shared: compare within one run; each figure is the median of the rounds' ratios (both sides
 * measured a few seconds apart in one round), with the medians of the rates beside it.
 * BENCH_ROUNDS, BENCH_SECONDS and BENCH_CONNECTIONS change the defaults (8 rounds of 3 s, 32
 * connections). BENCH_OFFER is the generator's offered rate as a multiple of autocannon's best
 * (1.25 by default): beyond what the connections carry, new bets and wins are held back as
 * numbers (see TransportFlow); a diagnostic, not a knob to tune the figure with.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { encodeMoneyRequest, MONEY_PATHS, OP_REF_HEADER } from '../src/drivers/http/protocol.js';
import { runReal } from '../src/real/run-real.js';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import { packageRoot } from '../src/util/package-root.js';

// Even, so that each client goes first in as many rounds as the other: the server's ledger grows
// through a round, and the client that goes second meets a bigger one.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 8);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
// The generator's rate is taken between its first and last progress tick (one a second).
if (!(SECONDS >= 3)) throw new Error(`BENCH_SECONDS=${process.env.BENCH_SECONDS}: the generator's rate needs at least 3 s of traffic`);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PLAYERS = 10_000;
const OFFER = Number(process.env.BENCH_OFFER ?? 1.25);
/**
 * BENCH_LOCALITY=1 adds a diagnostic after (a), two more autocannon runs a round: what the
 * distance between a bet and its win costs the server (see roundRequests). BENCH_LAG: the
 * distance in bets (8,000 by default: 16,000 requests, half a second of traffic here; at the
 * default offer the generator's backlog grows by about a quarter of its rate each second, some
 * 20,000 requests by the middle of its measured window).
 */
const LOCALITY = process.env.BENCH_LOCALITY === '1';
const LAG_ROUNDS = Number(process.env.BENCH_LAG ?? 8000);

/** The reference server with no artificial service time and room for everything: the HTTP path alone. */
const SERVER_SETS = [
  `players.count=${PLAYERS}`,
  'players.initialBalance=1000000000000',
  'wallet.request.serviceTimeMs=0',
  'wallet.request.workers=10000',
  'wallet.request.queueLimit=100000',
];

const BARE_SERVER = `
const http = require('node:http');
const body = JSON.stringify({ code: 'OK', balance: 999500 });
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => console.log('listening on http://127.0.0.1:' + server.address().port));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
`;

/** Servers still running: killed if the bench exits early, so none is left holding its port and pipes. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function startChild(args: string[]): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 15_000);
    child.stdout!.setEncoding('utf8').on('data', (t: string) => {
      out += t;
      const m = /listening on (http:\/\/[\d.:]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1]!, child });
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}): ${out}`)));
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

let txCounter = 0;

/**
 * Garbage-collection pause time in this process (both clients run here), in ms. A pause stops
 * the client: no answer is read and no request written, and the server, whose 32 requests in
 * flight take it about a millisecond, waits for the rest of it.
 */
let gcPauseMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcPauseMs += e.duration;
}).observe({ entryTypes: ['gc'] });

/** autocannon sending unique bets (a replay would be cheaper for the wallet and flatter it). */
async function cannon(url: string, seconds = SECONDS): Promise<number> {
  const { rate } = await cannonRun(url, seconds, [
    {
      method: 'POST',
      path: '/wallet/bet',
      headers: { 'content-type': 'application/json' },
      setupRequest: (req) => {
        const n = txCounter++;
        return { ...req, body: `{"txId":"ac${n}","playerId":"p${n % PLAYERS}","roundId":"r${n}","amount":100,"currency":"EUR"}` };
      },
    },
  ]);
  return rate;
}

/** A client's run: its request rate, its own CPU time per request (what it costs the machine) and its GC pauses. */
interface ClientRun {
  readonly rate: number;
  readonly cpuUsPerRequest: number;
  readonly gcMsPerSec: number;
}

/** autocannon on the bench's connections for a while. */
async function cannonRun(url: string, seconds: number, requests: autocannon.Request[]): Promise<ClientRun> {
  const cpu = process.cpuUsage();
  const gc = gcPauseMs;
  const result = await autocannon({ url, connections: CONNECTIONS, duration: seconds, requests });
  return { rate: rate(result), cpuUsPerRequest: cpuMicros(process.cpuUsage(cpu)) / result.requests.total, gcMsPerSec: (gcPauseMs - gc) / result.duration };
}

const cpuMicros = (u: NodeJS.CpuUsage) => u.user + u.system;

/**
 * autocannon sending what the generator sends: on each connection a bet, then the win that
 * closes its round, with the op-ref header and ids carrying a run prefix of the generator's
 * length. The context is autocannon's per-connection state, reset at each bet.
 */
async function cannonRounds(url: string, seconds = SECONDS): Promise<ClientRun> {
  return cannonRun(url, seconds, roundRequests());
}

/**
 * A bet, then a win, per connection turn. With `lag` the win is not that bet's but the win of
 * the bet `lag.rounds` bets earlier (when `lag.late`), or of the bet just made: the order an
 * overloaded open model sends them in, its wins queued behind the bets asked for before them,
 * against the closed loop's. The first `lag.rounds` win turns read a balance instead in both
 * cases, so the late and the prompt run send the same mix and differ only in the distance.
 */
function roundRequests(lag?: { readonly rounds: number; readonly late: boolean }): autocannon.Request[] {
  const prefix = `${Date.now().toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}-`;
  const headers = (opRef: number) => ({ 'content-type': 'application/json', [OP_REF_HEADER]: String(opRef) });
  const first = txCounter;
  return [
    {
      method: 'POST',
      path: MONEY_PATHS.bet,
      setupRequest: (req, context) => {
        const n = txCounter++;
        (context as { n?: number }).n = n;
        const bet = { kind: 'bet', txId: `b${n}`, playerId: `p${n % PLAYERS}`, roundId: `r${n}`, amount: 100 + (n % 1901), currency: 'EUR' } as const;
        return { ...req, headers: headers(2 * n), body: encodeMoneyRequest(bet, prefix) };
      },
    },
    {
      method: 'POST',
      path: MONEY_PATHS.win,
      setupRequest: (req, context) => {
        let n = (context as { n: number }).n;
        if (lag !== undefined) {
          if (n - first < lag.rounds) return { ...req, method: 'GET', path: `/wallet/balance/p${n % PLAYERS}`, headers: {}, body: undefined };
          if (lag.late) n -= lag.rounds;
        }
        const win = { kind: 'win', txId: `w${n}`, betTxId: `b${n}`, playerId: `p${n % PLAYERS}`, roundId: `r${n}`, amount: n % 20 < 9 ? 150 : 0, currency: 'EUR' } as const;
        return { ...req, headers: headers(2 * n + 1), body: encodeMoneyRequest(win, prefix) };
      },
    },
  ];
}

/** Good answers per second; anything else is reported, since it would flatter the client. */
function rate(result: autocannon.Result): number {
  if (result.errors > 0 || result.non2xx > 0) console.log(`  (autocannon: ${result.errors} errors, ${result.non2xx} non-2xx)`);
  return result['2xx'] / result.duration;
}

/**
 * The whole load generator (provider, checker, transport), open model, offered above capacity.
 * Its figure is requests written per second between the first and the last progress tick of the
 * traffic window: with every connection busy all the time, that is the most it can do.
 */
async function generator(
  url: string,
  offeredRequestsPerSec: number,
  seconds = SECONDS,
): Promise<ClientRun & { late: number; dropped: number; goodput: number }> {
  const sets = [
    ...SERVER_SETS,
    `traffic.phases=[{kind: steady, durationSec: ${seconds}, roundsPerSec: ${Math.round(offeredRequestsPerSec / 2)}}]`,
    'traffic.arrivals=uniform',
    'round.playTimeMs=0',
    // Longer than the run: at this overload a 2 s timeout would abort requests that waited for a
    // connection, and every abort closes its connection (HTTP/1.1): the figure would measure
    // reconnects, not sending.
    'provider.timeoutMs=60000',
    'provider.retry.maxAttempts=1',
    'provider.settlementRetry.maxAttempts=1',
  ];
  const scenario = compileScenario(loadScenario('steady', sets).scenario);
  const ticks: { atMs: number; sent: number; cpu: NodeJS.CpuUsage; gcMs: number }[] = [];
  const { report } = await runReal({
    scenario,
    origin: url,
    connections: CONNECTIONS,
    seed: 1,
    drainTimeoutMs: 3000,
    onTick: (t) => t.nowMs <= t.trafficMs && ticks.push({ atMs: t.nowMs, sent: t.stats.sent, cpu: process.cpuUsage(), gcMs: gcPauseMs }),
  });
  const first = ticks[0]!;
  const last = ticks[ticks.length - 1]!;
  const rate = ((last.sent - first.sent) * 1000) / (last.atMs - first.atMs);
  const cpuUsPerRequest = cpuMicros(process.cpuUsage(first.cpu)) - cpuMicros(process.cpuUsage(last.cpu));
  const gcMsPerSec = ((last.gcMs - first.gcMs) * 1000) / (last.atMs - first.atMs);
  return { rate, late: report.sends.late, dropped: report.sends.dropped, goodput: report.throughput.goodputPerSec, cpuUsPerRequest: cpuUsPerRequest / (last.sent - first.sent), gcMsPerSec };
}

/**
 * The (a') diagnostic: on one server a round, autocannon with each win right after its bet and
 * with each win LAG_ROUNDS bets late, in alternating order; the median of late / prompt.
 */
async function localityRounds(bin: string, setArgs: string[]): Promise<number> {
  const ratios: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const s = await startChild([bin, 'serve', '--model', 'request', '--port', '0', ...setArgs]);
    await cannonRounds(s.url, 1);
    const run = async (late: boolean) => (await cannonRun(s.url, SECONDS, roundRequests({ rounds: LAG_ROUNDS, late }))).rate;
    let prompt: number;
    let late: number;
    if (r % 2 === 0) {
      prompt = await run(false);
      late = await run(true);
    } else {
      late = await run(true);
      prompt = await run(false);
    }
    await stop(s.child);
    ratios.push(late / prompt);
    console.log(`  (a') round ${r + 1}: autocannon, wins right after their bets ${fmt(prompt)} req/s · wins ${fmt(LAG_ROUNDS)} bets late ${fmt(late)} req/s = ${(late / prompt).toFixed(2)}x`);
  }
  return median(ratios);
}

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

async function main(): Promise<void> {
  const bin = join(packageRoot(), 'bin', 'walletstorm.js');
  const setArgs = SERVER_SETS.flatMap((s) => ['--set', s]);
  console.log(`bench:http — ${ROUNDS} rounds of ${SECONDS} s, ${CONNECTIONS} connections, loopback, medians\n`);

  // (a) generator vs autocannon against the reference server: one server per round, the two
  // clients one after the other in alternating order, so neither always gets the warmer server.
  const gen: number[] = [];
  const ac: number[] = [];
  const acBets: number[] = [];
  const genCpu: number[] = [];
  const acCpu: number[] = [];
  const genGc: number[] = [];
  const acGc: number[] = [];
  // Both clients run in this process, and each round's server is warmed by autocannon, which
  // warms autocannon's own code too. The generator gets the same before the first round: a
  // short run of its own, so that round does not measure its JIT and its young heap growing.
  {
    const s = await startChild([bin, 'serve', '--model', 'request', '--port', '0', ...setArgs]);
    const a = await cannonRounds(s.url, 1);
    await generator(s.url, a.rate * 1.25, 2);
    await stop(s.child);
  }
  for (let r = 0; r < ROUNDS; r++) {
    const s = await startChild([bin, 'serve', '--model', 'request', '--port', '0', ...setArgs]);
    await cannonRounds(s.url, 1); // warm the server's JIT, as the generator's own warm-up does
    let a: ClientRun;
    let g: Awaited<ReturnType<typeof generator>>;
    // The offer is above the most autocannon managed in any round so far: an offer derived from
    // one slow round alone would cap the generator below what it can do (its connections would
    // not all be busy), a limit autocannon, a closed loop, never has.
    if (r % 2 === 0) {
      a = await cannonRounds(s.url);
      g = await generator(s.url, Math.max(a.rate, ...ac) * OFFER);
    } else {
      g = await generator(s.url, Math.max(5000, ...ac) * OFFER);
      a = await cannonRounds(s.url);
    }
    const b = await cannon(s.url);
    await stop(s.child);
    ac.push(a.rate);
    acBets.push(b);
    gen.push(g.rate);
    genCpu.push(g.cpuUsPerRequest);
    acCpu.push(a.cpuUsPerRequest);
    genGc.push(g.gcMsPerSec);
    acGc.push(a.gcMsPerSec);
    const usage = (c: ClientRun) => `${c.cpuUsPerRequest.toFixed(1)} µs CPU/req, GC ${c.gcMsPerSec.toFixed(0)} ms/s`;
    console.log(
      `  (a) round ${r + 1}: autocannon ${fmt(a.rate)} req/s (${usage(a)}) · walletstorm load ${fmt(g.rate)} req/s (${usage(g)}, late ${fmt(g.late)}, goodput ${fmt(g.goodput)}/s) = ${(g.rate / a.rate).toFixed(2)}x · autocannon bets only ${fmt(b)} req/s`,
    );
  }

  const locality = LOCALITY ? await localityRounds(bin, setArgs) : undefined;

  // (b) reference server vs bare node:http, same client, both warmed, alternating order.
  const ref: number[] = [];
  const bare: number[] = [];
  const measure = async (args: string[]) => {
    const s = await startChild(args);
    await cannon(s.url, 1);
    const rate = await cannon(s.url);
    await stop(s.child);
    return rate;
  };
  for (let r = 0; r < ROUNDS; r++) {
    const reference = [bin, 'serve', '--model', 'request', '--port', '0', ...setArgs];
    if (r % 2 === 0) {
      ref.push(await measure(reference));
      bare.push(await measure(['-e', BARE_SERVER]));
    } else {
      bare.push(await measure(['-e', BARE_SERVER]));
      ref.push(await measure(reference));
    }
    console.log(`  (b) round ${r + 1}: reference server ${fmt(ref[r]!)} req/s · bare node:http ${fmt(bare[r]!)} req/s = ${(ref[r]! / bare[r]!).toFixed(2)}x`);
  }

  // The machine's speed drifts by more than the difference between the clients from one round to
  // the next, so the figure is the median of each round's ratio (two clients side by side, a few
  // seconds apart, on one server); the ratio of the medians is printed beside it.
  const ga = median(gen.map((g, i) => g / ac[i]!));
  const rb = median(ref.map((x, i) => x / bare[i]!));
  console.log('');
  console.log(`(a) load generator vs autocannon, ${CONNECTIONS} connections: median of the rounds' ratios ${ga.toFixed(2)}x (target >= 1.0x)`);
  console.log(`    medians: ${fmt(median(gen))} vs ${fmt(median(ac))} req/s = ${(median(gen) / median(ac)).toFixed(2)}x`);
  console.log(`    (autocannon sending bets only: ${fmt(median(acBets))} req/s; the generator is ${(median(gen) / median(acBets)).toFixed(2)}x that)`);
  console.log(`    client CPU per request: walletstorm load ${median(genCpu).toFixed(1)} µs, autocannon ${median(acCpu).toFixed(1)} µs`);
  console.log(`    client GC pauses: walletstorm load ${median(genGc).toFixed(0)} ms/s, autocannon ${median(acGc).toFixed(0)} ms/s`);
  if (locality !== undefined) {
    console.log(`(a') autocannon sending each win ${fmt(LAG_ROUNDS)} bets after its bet, as an overloaded open model does, against each win right after its bet:`);
    console.log(`    median of the rounds' ratios ${locality.toFixed(2)}x (the client's work is the same in both: this is the server's)`);
  }
  console.log(`(b) reference server vs bare node:http, same client: median of the rounds' ratios ${rb.toFixed(2)}x (target >= 0.7x)`);
  console.log(`    medians: ${fmt(median(ref))} vs ${fmt(median(bare))} req/s = ${(median(ref) / median(bare)).toFixed(2)}x`);
}

await main();
