/**
 * The provider against a transport with flow control (one connection, as HttpTransport with
 * `connections: 1`), on the virtual clock so that every time is exact: rounds that arrive while
 * the connection is busy are held as numbers, opened when they arrive, sent oldest first as the
 * connection frees (late, their deadline from the intended time), and a round still held when
 * its timeout comes is given up at that moment and rolled back, as a waiting send always was.
 */
import { describe, expect, it } from 'vitest';
import type { MoneyRequest, WalletRequest } from '../src/domain/operations.js';
import type { WalletResponse } from '../src/domain/results.js';
import type { OpInfo, Outcome, ProviderObserver } from '../src/provider/observer.js';
import { ArrivalSchedule } from '../src/provider/arrivals.js';
import { Population } from '../src/provider/players.js';
import { Provider } from '../src/provider/provider.js';
import type { ReplyTarget, Transport, TransportFlow } from '../src/ports/transport.js';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import { VirtualClock } from '../src/sim/event-queue.js';
import { SeededRandom } from '../src/sim/prng.js';

const SERVICE_MS = 100;
const TIMEOUT_MS = 1000;

interface Sent {
  readonly request: WalletRequest;
  readonly atMs: number;
  readonly askedAtMs: number | undefined;
}

/** One connection; each request answered OK after SERVICE_MS; the rest as HttpTransport does it. */
class OneConnection implements Transport {
  readonly sent: Sent[] = [];
  dropped = 0;
  late = 0;
  maxInFlight = 0;
  private inFlight = 0;
  private readonly waiting: { request: WalletRequest; target: ReplyTarget; token: number; queuedAtMs: number }[] = [];
  private listener: (() => void) | undefined;

  constructor(private readonly clock: VirtualClock) {}

  readonly flow: TransportFlow = {
    busy: () => this.inFlight >= 1 || this.waiting.length > 0,
    onFree: (listener) => (this.listener = listener),
  };

  send(request: WalletRequest, target: ReplyTarget, token: number, askedAtMs?: number): void {
    const now = this.clock.now();
    if (askedAtMs !== undefined && now - askedAtMs >= TIMEOUT_MS) {
      this.dropped++;
      return;
    }
    if (this.inFlight < 1) {
      if (askedAtMs !== undefined) this.late++;
      this.dispatch(request, target, token, askedAtMs);
      return;
    }
    this.waiting.push({ request, target, token, queuedAtMs: askedAtMs ?? now });
  }

  private dispatch(request: WalletRequest, target: ReplyTarget, token: number, askedAtMs: number | undefined): void {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.sent.push({ request, atMs: this.clock.now(), askedAtMs });
    this.clock.call(SERVICE_MS, () => {
      this.inFlight--;
      this.next();
      target.replied(token, { code: 'OK', balance: 1 });
    }, undefined);
  }

  private next(): void {
    for (;;) {
      const w = this.waiting.shift();
      if (w === undefined) return this.listener?.();
      if (this.clock.now() - w.queuedAtMs >= TIMEOUT_MS) {
        this.dropped++;
        continue;
      }
      this.late++;
      return this.dispatch(w.request, w.target, w.token, w.queuedAtMs);
    }
  }
}

const opRefOf = (s: Sent): number | undefined => (s.request as MoneyRequest).opRef;

interface Opened extends OpInfo {
  readonly id: number;
  readonly atMs: number;
}

/** Records what the provider tells the checker, with the clock's time of each call. */
class Recorder implements ProviderObserver {
  readonly ops: Opened[] = [];
  readonly timeouts: { op: number; atMs: number }[] = [];
  readonly finishes: { op: number; outcome: Outcome; atMs: number }[] = [];
  readonly attempts: { op: number; askedAtMs: number }[] = [];
  constructor(private readonly clock: VirtualClock) {}
  opened(info: OpInfo): number {
    const id = this.ops.length;
    this.ops.push({ ...info, id, atMs: this.clock.now() });
    return id;
  }
  attemptSent(op: number, _txId: string, _attempt: number, nowMs: number): void {
    this.attempts.push({ op, askedAtMs: nowMs });
  }
  answered(): void {}
  timedOut(op: number, nowMs: number): void {
    this.timeouts.push({ op, atMs: nowMs });
  }
  lateAnswer(): void {}
  finished(op: number, outcome: Outcome, _response: WalletResponse | undefined, nowMs: number): void {
    this.finishes.push({ op, outcome, atMs: nowMs });
  }
}

function run() {
  const scenario = compileScenario(
    loadScenario('steady', [
      'traffic.arrivals=uniform',
      'traffic.phases=[{kind: steady, durationSec: 3, roundsPerSec: 10}]',
      `provider.timeoutMs=${TIMEOUT_MS}`,
      'provider.retry.maxAttempts=1',
      'provider.settlementRetry.maxAttempts=1',
      'round.playTimeMs=0',
    ]).scenario,
  );
  const clock = new VirtualClock();
  const transport = new OneConnection(clock);
  const observer = new Recorder(clock);
  const schedule = new ArrivalSchedule(scenario.phases, scenario.arrivals);
  const provider = new Provider(clock, new SeededRandom(1), transport, observer, schedule, new Population(scenario.population), scenario.provider);
  provider.start();
  const peakHeld = { value: 0 };
  // Step through time to watch the held rounds, then run to the end.
  for (let t = 0; t < 10_000; t += 50) {
    clock.run(t, 1e9);
    peakHeld.value = Math.max(peakHeld.value, provider.heldRounds);
  }
  expect(clock.run(Infinity, 1e9)).toBe('drained');
  return { transport, observer, provider, peakHeld: peakHeld.value };
}

describe('Provider with a transport whose connections are all busy', () => {
  it('holds new rounds back, opened when they arrive, and sends them oldest first as the connection frees', () => {
    const { transport, observer, provider, peakHeld } = run();
    const bets = observer.ops.filter((o) => o.kind === 'bet');
    expect(bets.length).toBeGreaterThanOrEqual(29);
    // Opened when offered, held or not: the offered load is counted at its time.
    for (const b of bets) expect(b.atMs).toBe(b.intendedAtMs);
    expect(peakHeld).toBeGreaterThan(3);
    expect(provider.heldRounds).toBe(0);
    expect(transport.maxInFlight).toBe(1);
    // A held round's bet carries its intended time: it is late, and its deadline counts from then.
    const sentBets = transport.sent.filter((s) => s.request.kind === 'bet');
    const heldBets = sentBets.filter((s) => s.askedAtMs !== undefined);
    expect(heldBets.length).toBeGreaterThan(3);
    for (const s of heldBets) {
      const op = bets.find((b) => b.id === opRefOf(s))!;
      expect(s.askedAtMs).toBe(op.intendedAtMs);
      expect(s.atMs).toBeGreaterThan(s.askedAtMs!);
      expect(s.atMs - s.askedAtMs!).toBeLessThan(TIMEOUT_MS);
    }
    // Oldest first.
    const order = sentBets.map((s) => opRefOf(s)!);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // The attempt is recorded as asked at the intended time, as a send that waited always was.
    for (const a of observer.attempts.filter((x) => bets.some((b) => b.id === x.op))) {
      expect(a.askedAtMs).toBe(bets.find((b) => b.id === a.op)!.intendedAtMs);
    }
  });

  it('gives up on a round still held at its timeout at that moment, drops its bet and rolls it back', () => {
    const { transport, observer } = run();
    const bets = observer.ops.filter((o) => o.kind === 'bet');
    const timedOutBets = observer.timeouts.filter((t) => bets.some((b) => b.id === t.op));
    expect(timedOutBets.length).toBeGreaterThan(0);
    for (const t of timedOutBets) {
      const bet = bets.find((b) => b.id === t.op)!;
      expect(t.atMs).toBe(bet.intendedAtMs + TIMEOUT_MS);
      expect(observer.finishes.find((f) => f.op === t.op)).toMatchObject({ outcome: 'indeterminate', atMs: t.atMs });
      // Its rollback starts as it gives up.
      const rollback = observer.ops.find((o) => o.kind === 'rollback' && o.betOp === t.op)!;
      expect(rollback.intendedAtMs).toBe(t.atMs);
      // Never written: a bet that is sent while its attempt is open is never one that timed out held.
      expect(transport.sent.some((s) => opRefOf(s) === t.op && s.atMs >= t.atMs)).toBe(false);
    }
    expect(transport.dropped).toBeGreaterThanOrEqual(timedOutBets.filter((t) => !transport.sent.some((s) => opRefOf(s) === t.op)).length);
    // Every round ended: a win, or a rollback after a bet given up.
    const ended = new Set(observer.finishes.map((f) => f.op));
    for (const o of observer.ops) expect(ended.has(o.id)).toBe(true);
  });

  it('gives the same rounds to the same seed: holding changes when rounds go, not what they are', () => {
    const a = run().observer.ops.filter((o) => o.kind === 'bet').map((o) => [o.playerId, o.amount, o.intendedAtMs]);
    const b = run().observer.ops.filter((o) => o.kind === 'bet').map((o) => [o.playerId, o.amount, o.intendedAtMs]);
    expect(a).toEqual(b);
  });
});
