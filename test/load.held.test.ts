/**
 * The provider on a real clock, sending over HttpTransport to a server that can do less than
 * it is offered, with several connections and retries: the load generator's overload path
 * end to end. New rounds are held while every connection is busy; whatever goes out, held
 * round or waiting retry and settlement, goes in the order it was asked for, so no attempt is
 * answered long past its deadline (it is aborted then), and everything scheduled ends.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { Auditor } from '../src/check/auditor.js';
import { HttpTransport } from '../src/drivers/http/client.js';
import { RealClock } from '../src/drivers/real-clock.js';
import { ArrivalSchedule } from '../src/provider/arrivals.js';
import { Population } from '../src/provider/players.js';
import { Provider } from '../src/provider/provider.js';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import { SeededRandom } from '../src/sim/prng.js';

const TIMEOUT_MS = 500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Answers one request at a time, 10 ms each: about 100 requests a second. */
async function slowServer() {
  const queue: ServerResponse[] = [];
  let busy = false;
  const work = () => {
    if (busy || queue.length === 0) return;
    busy = true;
    const res = queue.shift()!;
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":"OK","balance":100000}');
      busy = false;
      work();
    }, 10);
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      queue.push(res);
      work();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe('the load generator overloaded', () => {
  it('holds new rounds, sends everything in the order it was asked for, aborts at deadlines, and ends', async () => {
    const { server, origin } = await slowServer();
    const scenario = compileScenario(
      loadScenario('steady', [
        'traffic.arrivals=uniform',
        'traffic.phases=[{kind: steady, durationSec: 2, roundsPerSec: 100}]',
        `provider.timeoutMs=${TIMEOUT_MS}`,
        'round.playTimeMs=0',
        // Retries, quick ones, so that the run drains in seconds.
        'provider.retry={maxAttempts: 3, backoffMs: 100, multiplier: 1, maxBackoffMs: 100, jitter: 0, txId: reuse}',
        'provider.settlementRetry={maxAttempts: 4, backoffMs: 100, multiplier: 2, maxBackoffMs: 400, jitter: 0.2, txId: reuse}',
      ]).scenario,
    );
    const clock = new RealClock();
    clock.addLane(TIMEOUT_MS);
    const transport = new HttpTransport({ origin, connections: 4, timeoutMs: TIMEOUT_MS, clock, rng: new SeededRandom(1), txIdPrefix: 'held-' });
    await transport.warmUp(2);
    // Every dispatch's deadline, in dispatch order, and how long after its deadline each answer came.
    const deadlines: number[] = [];
    let latestAnswerPastDeadlineMs = -Infinity;
    const t = transport as unknown as {
      dispatch: (...args: unknown[]) => void;
      answered: (handler: { deadlineMs: number }, ...rest: unknown[]) => void;
    };
    const dispatch = t.dispatch.bind(transport);
    t.dispatch = (request, target, token, queuedAtMs, now) => {
      deadlines.push((queuedAtMs as number) + TIMEOUT_MS);
      dispatch(request, target, token, queuedAtMs, now);
    };
    const answered = t.answered.bind(transport);
    t.answered = (handler, ...rest) => {
      latestAnswerPastDeadlineMs = Math.max(latestAnswerPastDeadlineMs, clock.now() - handler.deadlineMs);
      answered(handler, ...rest);
    };
    const schedule = new ArrivalSchedule(scenario.phases, scenario.arrivals);
    const auditor = new Auditor(scenario.phases, schedule.endMs);
    const provider = new Provider(clock, new SeededRandom(7), transport, auditor, schedule, new Population(scenario.population), scenario.provider);
    clock.restart();
    provider.start();
    let peakHeld = 0;
    while (clock.now() < schedule.endMs || clock.pending > 0 || transport.outstanding > 0) {
      if (clock.now() > schedule.endMs + 60_000) throw new Error('the run did not end');
      peakHeld = Math.max(peakHeld, provider.heldRounds);
      await sleep(20);
    }
    await transport.close();
    await new Promise((resolve) => server.close(resolve));

    expect(peakHeld).toBeGreaterThan(10);
    expect(provider.heldRounds).toBe(0);
    // In order of their deadlines, so the transport's one deadline timer sees each in time.
    expect(deadlines).toEqual([...deadlines].sort((a, b) => a - b));
    // An answer can beat its abort by a timer's resolution and a busy event loop, not by a timeout.
    expect(latestAnswerPastDeadlineMs).toBeLessThan(250);
    const s = transport.stats;
    expect(s.late).toBeGreaterThan(50);
    expect(s.dropped + s.aborted).toBeGreaterThan(0);
    // Every logical operation came to an end: answered, failed or given up on.
    let open = 0;
    for (let op = 0; op < auditor.ops.length; op++) if (auditor.ops.status(op) === 'pending') open++;
    expect(open).toBe(0);
    expect(auditor.ops.length).toBeGreaterThan(200);
  }, 90_000);
});
