/** How a load over Kafka tells a dead wallet (its /healthz refused) from a slow one (its /healthz timing out). */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControlClient } from '../src/drivers/http/audit.js';
import { HealthWatch } from '../src/real/health-watch.js';

/** The errors ControlClient.health really throws: a port nobody listens on, and a server that accepts and never answers. */
let refused: Error;
let timedOut: Error;
const held = new Set<net.Socket>();
const stalled = net.createServer((socket) => void held.add(socket));

beforeAll(async () => {
  await new Promise<void>((r) => stalled.listen(0, '127.0.0.1', r));
  const port = (stalled.address() as net.AddressInfo).port;
  timedOut = await new ControlClient(`http://127.0.0.1:${port}`).health(200).then(() => expect.fail('answered'), (e: Error) => e);
  const free = net.createServer();
  const freePort = await new Promise<number>((r) => free.listen(0, '127.0.0.1', () => r((free.address() as net.AddressInfo).port)));
  await new Promise((r) => free.close(r));
  // A refusal comes at once; a 200 ms limit here would race it on a stalled process (the timer runs
  // before the poll that delivers the refusal) and make `refused` a timeout.
  refused = await new ControlClient(`http://127.0.0.1:${freePort}`).health(30_000).then(() => expect.fail('answered'), (e: Error) => e);
});
afterAll(() => {
  for (const socket of held) socket.destroy();
  return new Promise((r) => stalled.close(r));
});

/** Fails every second from 0 to untilMs with `error`; the verdict at each. */
function failFor(watch: HealthWatch, error: Error, untilMs: number): (string | undefined)[] {
  const verdicts = [];
  for (let t = 0; t <= untilMs; t += 1000) {
    watch.failed(t, error);
    verdicts.push(watch.verdict(t));
  }
  return verdicts;
}

describe('HealthWatch over Kafka', () => {
  it('gives a wallet whose /healthz is refused up after afterMs, naming the error', () => {
    const watch = new HealthWatch(true, 3000);
    expect(failFor(watch, refused, 3000)).toEqual([undefined, undefined, undefined, 'unreachable']);
    expect(watch.why()).toBe('its /healthz failed for 3 s: ECONNREFUSED');
  });

  it('does not take a wallet whose /healthz only times out for 4 s for dead; 15 s without an answer is', () => {
    const watch = new HealthWatch(true, 3000);
    expect(failFor(watch, timedOut, 14_000).every((v) => v === undefined)).toBe(true);
    expect(watch.verdict(15_000)).toBe('unreachable');
    expect(watch.why()).toBe('its /healthz failed for 15 s: The operation was aborted due to timeout');
  });

  it('a refused connection after timeouts starts the dead clock then, not at the first timeout', () => {
    const watch = new HealthWatch(true, 3000);
    failFor(watch, timedOut, 4000);
    watch.failed(5000, refused);
    expect(watch.verdict(5000)).toBe(undefined);
    watch.failed(6000, timedOut);
    watch.failed(7000, refused);
    expect(watch.verdict(7999)).toBe(undefined);
    expect(watch.verdict(8000)).toBe('unreachable');
    // The refusal is what made it dead, though a timeout came after it.
    watch.failed(8000, timedOut);
    expect(watch.verdict(8000)).toBe('unreachable');
    expect(watch.why()).toBe('its /healthz failed for 3 s: ECONNREFUSED');
  });

  it('a spell of timeouts with a late refusal is still given up after 15 s in all, naming that limit', () => {
    const watch = new HealthWatch(true, 3000);
    failFor(watch, timedOut, 13_000);
    watch.failed(14_000, refused);
    expect(watch.verdict(14_999)).toBe(undefined);
    expect(watch.verdict(15_000)).toBe('unreachable');
    expect(watch.why()).toBe('its /healthz failed for 15 s: ECONNREFUSED');
  });

  it('an answer resets both clocks', () => {
    const watch = new HealthWatch(true, 3000);
    failFor(watch, refused, 2000);
    watch.answered();
    watch.failed(2500, refused);
    expect(watch.verdict(5499)).toBe(undefined);
    expect(watch.verdict(5500)).toBe('unreachable');
    const again = new HealthWatch(true, 3000);
    failFor(again, timedOut, 10_000);
    again.answered();
    again.failed(11_000, timedOut);
    expect(again.verdict(25_000)).toBe(undefined);
    expect(again.verdict(26_000)).toBe('unreachable');
  });

  it('says nothing when not over Kafka', () => {
    const watch = new HealthWatch(false, 3000);
    expect(failFor(watch, refused, 20_000).every((v) => v === undefined)).toBe(true);
    expect(watch.failing).toBe(false);
  });
});
