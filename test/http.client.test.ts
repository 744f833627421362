/**
 * The load generator's HTTP transport against a tiny scripted server: the per-attempt timeout,
 * the visible wait list (late and dropped sends), refused connections, and one request per
 * connection at a time.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { WalletRequest } from '../src/domain/operations.js';
import type { WalletResponse } from '../src/domain/results.js';
import { HttpTransport } from '../src/drivers/http/client.js';
import { RealClock } from '../src/drivers/real-clock.js';
import { SeededRandom } from '../src/sim/prng.js';
import { replyTo } from '../src/ports/transport.js';

let server: Server | undefined;
let transport: HttpTransport | undefined;
afterEach(async () => {
  await transport?.close();
  transport = undefined;
  server?.closeAllConnections();
  await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
  server = undefined;
});

/** A server that answers each request after `delayMs(body)` ms; it counts requests open at once. */
async function scripted(delayMs: (body: string) => number): Promise<{ origin: string; maxOpen: () => number; bodies: string[]; opRefs: (string | undefined)[] }> {
  let open = 0;
  let maxOpen = 0;
  const bodies: string[] = [];
  const opRefs: (string | undefined)[] = [];
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      open++;
      maxOpen = Math.max(maxOpen, open);
      bodies.push(body);
      opRefs.push(req.headers['walletstorm-op-ref'] as string | undefined);
      setTimeout(() => {
        open--;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'OK', balance: 5 }));
      }, delayMs(body));
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { origin: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, maxOpen: () => maxOpen, bodies, opRefs };
}

function bet(n: number): WalletRequest {
  return { kind: 'bet', txId: `b${n}`, playerId: 'p1', roundId: `r${n}`, amount: 100, currency: 'EUR', opRef: n };
}

function make(origin: string, connections: number, timeoutMs: number, maxWaiting?: number): HttpTransport {
  transport = new HttpTransport({ origin, connections, timeoutMs, clock: new RealClock(), rng: new SeededRandom(1), txIdPrefix: 'run-', ...(maxWaiting === undefined ? {} : { maxWaiting }) });
  return transport;
}

/** The clock a transport made by `make` runs on (it keeps it in its private options). */
const clockOf = (t: HttpTransport): RealClock => (t as unknown as { options: { clock: RealClock } }).options.clock;

const settle = (t: HttpTransport, withinMs = 5000) =>
  new Promise<void>((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (t.outstanding === 0) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() - started > withinMs) {
        clearInterval(poll);
        reject(new Error(`still ${t.outstanding} outstanding`));
      }
    }, 5);
  });

describe('HttpTransport', () => {
  it('answers each attempt, one request per connection, and counts the sends that waited as late', async () => {
    const s = await scripted(() => 20);
    const t = make(s.origin, 2, 2000);
    const answers: (WalletResponse & { n: number })[] = [];
    for (let n = 0; n < 6; n++) t.send(bet(n), replyTo((r) => answers.push({ ...r, n })), 0);
    expect(t.outstanding).toBe(6);
    await settle(t);
    expect(answers.map((a) => a.n).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(answers.every((a) => a.code === 'OK' && a.balance === 5)).toBe(true);
    expect(s.maxOpen()).toBeLessThanOrEqual(2);
    expect(t.stats).toMatchObject({ sent: 6, late: 4, dropped: 0, aborted: 0 });
    // The wire format: the run prefix on the ids, the op ref in its header.
    expect(s.bodies[0]).toBe('{"txId":"run-b0","playerId":"p1","roundId":"run-r0","amount":100,"currency":"EUR"}');
    expect(s.opRefs[0]).toBe('0');
  });

  it('writes one request at a time on each connection, even while an answer\'s body is still on its way', async () => {
    // Headers at once, the body 30 ms later: a connection whose answer has begun may be handed
    // the next request, which must still wait on the client until that answer is complete.
    let maxOpenOnASocket = 0;
    const openBySocket = new Map<unknown, number>();
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const socket = req.socket;
      req.resume();
      req.on('end', () => {
        const open = (openBySocket.get(socket) ?? 0) + 1;
        openBySocket.set(socket, open);
        maxOpenOnASocket = Math.max(maxOpenOnASocket, open);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.flushHeaders();
        setTimeout(() => {
          openBySocket.set(socket, openBySocket.get(socket)! - 1);
          res.end(JSON.stringify({ code: 'OK', balance: 5 }));
        }, 30);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const t = make(`http://127.0.0.1:${(server!.address() as AddressInfo).port}`, 3, 2000);
    const answered: number[] = [];
    for (let n = 0; n < 12; n++) t.send(bet(n), replyTo(() => answered.push(n)), 0);
    await settle(t);
    expect(answered.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(maxOpenOnASocket).toBe(1);
    expect(openBySocket.size).toBeLessThanOrEqual(3);
    expect(t.stats).toMatchObject({ sent: 12, late: 9, dropped: 0, aborted: 0 });
  });

  it('aborts an attempt at its timeout without answering it, and the connection serves the next', async () => {
    // A 500 ms timeout (it was 100): b2 below must be answered within it, on a connection made
    // again after the abort, which a loaded machine may not do in 100 ms. The times around it
    // are scaled with it.
    const s = await scripted((body) => (body.includes('"run-b0"') ? 5000 : 5));
    const t = make(s.origin, 1, 500);
    const answered: number[] = [];
    const started = performance.now();
    t.send(bet(0), replyTo(() => answered.push(0)), 0);
    t.send(bet(1), replyTo(() => answered.push(1)), 0);
    await settle(t);
    const tookMs = performance.now() - started;
    // b1 waited for b0's connection for (about) its whole timeout: it is dropped, or goes out
    // with what is left of its time and is aborted in turn; either way it is not answered.
    expect(answered).toEqual([]);
    expect(t.stats.aborted + t.stats.dropped).toBe(2);
    expect(t.stats.sent).toBe(t.stats.aborted);
    expect(tookMs).toBeGreaterThanOrEqual(475);
    expect(tookMs).toBeLessThan(4500);
    // The connection is usable again after the abort.
    t.send(bet(2), replyTo(() => answered.push(2)), 0);
    await settle(t);
    expect(answered).toEqual([2]);
  });

  it('times out each attempt from when it was asked for, in order, with attempts that end early in between', async () => {
    // b1 must be answered within the timeout on a connection of its own, made for it: 600 ms
    // (it was 150, short for a loaded machine); b0 and b2 answer long after it.
    const s = await scripted((body) => (/run-b[02]"/.test(body) ? 4000 : 5));
    const t = make(s.origin, 3, 600);
    const answered: number[] = [];
    for (let n = 0; n < 3; n++) t.send(bet(n), replyTo(() => answered.push(n)), 0);
    await settle(t);
    expect(answered).toEqual([1]);
    expect(t.stats).toMatchObject({ sent: 3, aborted: 2, late: 0 });
  });

  it('keeps one deadline timer however many attempts time out while sends wait', async () => {
    // Every third request is never answered; the others at once (no server timers to count).
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        if (Number(/run-b(\d+)"/.exec(body)![1]) % 3 !== 0) res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":"OK","balance":5}');
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const t = make(`http://127.0.0.1:${(server!.address() as AddressInfo).port}`, 4, 60);
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    let most = 0;
    for (let n = 0; n < 60; n++) {
      t.send(bet(n), replyTo(() => {}), 0);
      if (n % 4 === 3) {
        await new Promise((r) => setTimeout(r, 25));
        most = Math.max(most, timers() - before);
      }
    }
    await settle(t);
    expect(t.stats.aborted).toBeGreaterThan(5);
    // The test's own sleep timer and at most one of the transport's.
    expect(most).toBeLessThanOrEqual(3);
  });

  it('drops a send at once when the wait list is full', async () => {
    const s = await scripted(() => 30);
    const t = make(s.origin, 1, 2000, 1);
    let answers = 0;
    for (let n = 0; n < 4; n++) t.send(bet(n), replyTo(() => answers++), 0);
    expect(t.stats.dropped).toBe(2);
    await settle(t);
    expect(answers).toBe(2);
    expect(t.stats).toMatchObject({ sent: 2, late: 1, dropped: 2 });
  });

  it('tells its listener (a trace) of each attempt it drops, and why; a send after it stopped is not sent either', async () => {
    const s = await scripted((body) => (body.includes('"b0"') ? 30 : 300));
    const dropped: [number, string][] = [];
    transport = new HttpTransport({
      origin: s.origin,
      connections: 1,
      timeoutMs: 100,
      clock: new RealClock(),
      rng: new SeededRandom(1),
      maxWaiting: 1,
      onAttemptDropped: (request, token, why) => dropped.push([token, `${request.kind === 'balance' ? '' : request.txId} ${why}`]),
    });
    const t = transport;
    const clock = clockOf(t);
    t.send(bet(0), replyTo(() => {}), 10); // on the connection
    t.send(bet(1), replyTo(() => {}), 11); // waits
    t.send(bet(2), replyTo(() => {}), 12); // the wait list is full
    t.send(bet(3), replyTo(() => {}), 13, clock.now() - 100); // held by the provider past its timeout
    expect(dropped).toEqual([[12, 'b2 wait-list-full'], [13, 'b3 waited-past-timeout']]);
    await settle(t);
    t.send(bet(4), replyTo(() => {}), 14); // on the connection b0 freed
    t.send(bet(5), replyTo(() => {}), 15); // waits
    t.stop();
    t.send(bet(6), replyTo(() => {}), 16);
    // (b1 went out when b0's answer freed the connection, unless a stalled machine kept it waiting past its timeout.)
    expect(dropped.filter(([token]) => token > 13)).toEqual([[15, 'b5 stopped'], [16, 'b6 stopped']]);
    // The drops the report counts are those it counted before: a send after the stop is not one.
    expect(t.stats.dropped).toBe(dropped.length - 1);
  });

  it('tells its listener of a waiting send given up when its attempt timed out in the wait', async () => {
    const s = await scripted(() => 300);
    const dropped: string[] = [];
    transport = new HttpTransport({ origin: s.origin, connections: 1, timeoutMs: 100, clock: new RealClock(), rng: new SeededRandom(1), onAttemptDropped: (_r, token, why) => dropped.push(`${token} ${why}`) });
    transport.send(bet(0), replyTo(() => {}), 1);
    // Asked for 50 ms before b0 (held by the provider): past its timeout when b0's ends and frees the connection.
    transport.send(bet(1), replyTo(() => {}), 2, clockOf(transport).now() - 50);
    await settle(transport);
    expect(dropped).toEqual(['2 waited-past-timeout']);
    expect(s.bodies).toHaveLength(1);
  });

  it('tells a refused connection as TEMPORARY_ERROR, which providers retry', async () => {
    const s = await scripted(() => 0);
    server!.close();
    server!.closeAllConnections();
    server = undefined;
    const t = make(s.origin, 1, 1000);
    const answer = await new Promise<WalletResponse>((resolve) => t.send(bet(0), replyTo(resolve), 0));
    expect(answer.code).toBe('TEMPORARY_ERROR');
    expect(t.stats.refused).toBe(1);
    await settle(t);
  });

  it('a send the provider held back counts as late, and is dropped if its attempt timed out while held', async () => {
    const s = await scripted(() => 5);
    const t = make(s.origin, 2, 1000);
    const clock = clockOf(t);
    const answered: number[] = [];
    t.send(bet(0), replyTo(() => answered.push(0)), 0, clock.now() - 300);
    t.send(bet(1), replyTo(() => answered.push(1)), 0, clock.now() - 1000);
    await settle(t);
    expect(answered).toEqual([0]);
    expect(t.stats).toMatchObject({ sent: 1, late: 1, dropped: 1 });
  });

  it('aborts a held round\'s attempt at its intended time plus the timeout, not a timeout after it went out', async () => {
    // Times 3x what they were (b0 answered 400 ms before its timeout was too little margin on a
    // loaded machine), in the same proportions.
    const s = await scripted(() => 1800);
    const t = make(s.origin, 1, 3000);
    const clock = clockOf(t);
    const answered: number[] = [];
    const started = performance.now();
    const held = [clock.now() - 900];
    t.flow.attach({ oldestAtMs: () => held[0] ?? Infinity, sendOldest: () => t.send(bet(1), replyTo(() => answered.push(1)), 0, held.shift()) });
    t.send(bet(0), replyTo(() => answered.push(0)), 0);
    await settle(t);
    // b1 goes out as b0 is answered, 1800 ms in, and is aborted 300 ms later: 3000 ms after it
    // was meant to go out, not 3000 ms after it went.
    expect(answered).toEqual([0]);
    expect(t.stats).toMatchObject({ sent: 2, late: 1, aborted: 1 });
    expect(performance.now() - started).toBeLessThan(3300);
  });

  it('aborts in time an attempt asked for before one already in flight (out of order: a timer of its own)', async () => {
    // Times 3x what they were, as in the test above.
    const s = await scripted(() => 1800);
    const t = make(s.origin, 2, 3000);
    const clock = clockOf(t);
    const answered: number[] = [];
    const started = performance.now();
    t.send(bet(0), replyTo(() => answered.push(0)), 0);
    t.send(bet(1), replyTo(() => answered.push(1)), 0, clock.now() - 2700);
    await settle(t);
    // b1's deadline (300 ms from now) comes before b0's: it is aborted then, and b0 answered.
    expect(answered).toEqual([0]);
    expect(t.stats).toMatchObject({ sent: 2, late: 1, aborted: 1 });
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('takes held rounds and waiting sends by the time they were asked for, and is busy while any waits', async () => {
    const s = await scripted(() => 20);
    const t = make(s.origin, 1, 2000);
    const clock = clockOf(t);
    const t0 = clock.now();
    // Held rounds asked for at t0 - 50 and, added below, a moment after the waiting send b1 (on a
    // slow machine more than a millisecond may pass before b1 is asked, so not at t0 + 1).
    const held = [t0 - 50];
    let n = 10;
    t.flow.attach({
      oldestAtMs: () => held[0] ?? Infinity,
      sendOldest: () => {
        const askedAtMs = held.shift()!;
        t.send(bet(n++), replyTo(() => {}), 0, askedAtMs);
      },
    });
    expect(t.flow.busy()).toBe(false);
    t.send(bet(0), replyTo(() => {}), 0);
    expect(t.flow.busy()).toBe(true);
    t.send(bet(1), replyTo(() => {}), 0); // waits, asked now
    held.push(clock.now() + 1);
    await settle(t);
    expect(held).toEqual([]);
    // b0 first (a free connection), then the held round asked before b1, b1, the later held round.
    expect(s.bodies.map((b) => /run-b(\d+)"/.exec(b)![1])).toEqual(['0', '10', '1', '11']);
    expect(t.stats).toMatchObject({ sent: 4, late: 3, dropped: 0 });
  });
});
