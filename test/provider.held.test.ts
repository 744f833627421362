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
import type { HeldSends, ReplyTarget, Transport, TransportFlow } from '../src/ports/transport.js';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import { VirtualClock } from '../src/sim/event-queue.js';
import { SeededRandom } from '../src/sim/prng.js';

// Not a divisor of the arrivals' 100 ms: a held round's timeout must not fall on a moment when
// a connection frees anyway, or giving up on it then could not be told from sending it late.
const SERVICE_MS = 130;
const TIMEOUT_MS = 1000;

interface Sent {
  readonly request: WalletRequest;
  readonly atMs: number;
  /** When the provider asked for it: its askedAtMs if held, else the time of its send() call. */
  readonly askedAtMs: number;
  readonly held: boolean;
}

/**
 * One connection; each request answered OK after SERVICE_MS; held rounds and waiting sends
 * taken by age as HttpTransport takes them. Without `withFlow` it has no flow control (as the
 * simulated network): every send goes out at once, and nothing is held.
 */
class OneConnection implements Transport {
  readonly sent: Sent[] = [];
  dropped = 0;
  late = 0;
  maxInFlight = 0;
  private inFlight = 0;
  private readonly waiting: { request: WalletRequest; target: ReplyTarget; token: number; queuedAtMs: number }[] = [];
  private held: HeldSends | undefined;
  readonly flow: TransportFlow | undefined;

  constructor(
    private readonly clock: VirtualClock,
    withFlow = true,
  ) {
    this.flow = withFlow
      ? { busy: () => this.inFlight >= 1 || this.waiting.length > 0, attach: (held) => (this.held = held) }
      : undefined;
  }

  send(request: WalletRequest, target: ReplyTarget, token: number, askedAtMs?: number): void {
    const now = this.clock.now();
    if (askedAtMs !== undefined && now - askedAtMs >= TIMEOUT_MS) {
      this.dropped++;
      return;
    }
    if (this.inFlight < 1 || this.flow === undefined) {
      if (askedAtMs !== undefined) this.late++;
      this.dispatch(request, target, token, askedAtMs ?? now, askedAtMs !== undefined);
      return;
    }
    this.waiting.push({ request, target, token, queuedAtMs: askedAtMs ?? now });
  }

  private dispatch(request: WalletRequest, target: ReplyTarget, token: number, askedAtMs: number, held: boolean): void {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    this.sent.push({ request, atMs: this.clock.now(), askedAtMs, held });
    this.clock.call(SERVICE_MS, () => {
      this.inFlight--;
      this.next();
      target.replied(token, { code: 'OK', balance: 1 });
    }, undefined);
  }

  private next(): void {
    while (this.inFlight < 1) {
      const heldAtMs = this.held === undefined ? Infinity : this.held.oldestAtMs();
      if (heldAtMs < (this.waiting[0]?.queuedAtMs ?? Infinity)) {
        this.held!.sendOldest();
        continue;
      }
      const w = this.waiting.shift();
      if (w === undefined) return;
      if (this.clock.now() - w.queuedAtMs >= TIMEOUT_MS) {
        this.dropped++;
        continue;
      }
      this.late++;
      this.dispatch(w.request, w.target, w.token, w.queuedAtMs, false);
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

/** Held-round timers of the provider on `clock`: at most one may be live at any moment. */
function watchHeldTimers(clock: VirtualClock, provider: Provider) {
  const live = new Set<number>();
  let most = 0;
  const timerFrom = clock.timerFrom.bind(clock);
  const cancel = clock.cancel.bind(clock);
  clock.timerFrom = <A>(startedAtMs: number, delayMs: number, fn: (arg: A) => void, arg: A): number => {
    if ((arg as unknown) !== provider) return timerFrom(startedAtMs, delayMs, fn, arg);
    let ticket = 0;
    ticket = timerFrom(startedAtMs, delayMs, (a: A) => {
      live.delete(ticket);
      fn(a);
    }, arg);
    live.add(ticket);
    most = Math.max(most, live.size);
    return ticket;
  };
  clock.cancel = (ticket: number): void => {
    live.delete(ticket);
    cancel(ticket);
  };
  return { most: () => most, live: () => live.size };
}

function run(withFlow = true) {
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
  const transport = new OneConnection(clock, withFlow);
  const observer = new Recorder(clock);
  const schedule = new ArrivalSchedule(scenario.phases, scenario.arrivals);
  const provider = new Provider(clock, new SeededRandom(1), transport, observer, schedule, new Population(scenario.population), scenario.provider);
  const heldTimers = watchHeldTimers(clock, provider);
  provider.start();
  let peakHeld = 0;
  // Step through time to watch the held rounds, then run to the end (a bound, not a spin, if
  // something never ends).
  for (let t = 0; t < 10_000; t += 50) {
    clock.run(t, 1e6);
    peakHeld = Math.max(peakHeld, provider.heldRounds);
    if (provider.heldRounds === 0) expect(heldTimers.live()).toBe(0);
  }
  expect(clock.run(Infinity, 1e6)).toBe('drained');
  return { transport, observer, provider, peakHeld, heldTimers };
}

describe('Provider with a transport whose connections are all busy', () => {
  it('holds new rounds back, opened when they arrive, and the transport takes them by age with its waiting sends', () => {
    const { transport, observer, provider, peakHeld, heldTimers } = run();
    const bets = observer.ops.filter((o) => o.kind === 'bet');
    expect(bets.length).toBeGreaterThanOrEqual(29);
    // Opened when offered, held or not: the offered load is counted at its time.
    for (const b of bets) expect(b.atMs).toBe(b.intendedAtMs);
    expect(peakHeld).toBeGreaterThan(3);
    expect(provider.heldRounds).toBe(0);
    expect(heldTimers.most()).toBe(1);
    expect(transport.maxInFlight).toBe(1);
    // A held round's bet carries its intended time: it is late, and its deadline counts from then.
    const heldBets = transport.sent.filter((s) => s.held);
    // Held: new rounds' bets, and the wins of rounds whose game ended while connections were busy.
    expect(heldBets.length).toBeGreaterThan(3);
    expect(heldBets.some((s) => s.request.kind === 'win')).toBe(true);
    for (const s of heldBets.filter((h) => h.request.kind === 'bet')) {
      const op = bets.find((b) => b.id === opRefOf(s))!;
      expect(s.askedAtMs).toBe(op.intendedAtMs);
      expect(s.atMs).toBeGreaterThan(s.askedAtMs);
      expect(s.atMs - s.askedAtMs).toBeLessThan(TIMEOUT_MS);
    }
    // Bets, wins and rollbacks go out in the order they were asked for, held or waiting: so
    // their deadlines (asked + timeout) come in order too, as the transport's one timer needs.
    const asked = transport.sent.map((s) => s.askedAtMs);
    expect(asked).toEqual([...asked].sort((a, b) => a - b));
    expect(transport.sent.some((s) => s.request.kind === 'win')).toBe(true);
    // The attempt is recorded as asked at the intended time, as a send that waited always was.
    for (const a of observer.attempts.filter((x) => bets.some((b) => b.id === x.op))) {
      expect(a.askedAtMs).toBe(bets.find((b) => b.id === a.op)!.intendedAtMs);
    }
  });

  it('gives up on a round still held at its timeout at that moment, drops its bet and rolls it back', () => {
    const { transport, observer } = run();
    const bets = observer.ops.filter((o) => o.kind === 'bet');
    const timedOutBets = observer.timeouts.filter((t) => bets.some((b) => b.id === t.op));
    const neverSent = timedOutBets.filter((t) => !transport.sent.some((s) => opRefOf(s) === t.op));
    expect(neverSent.length).toBeGreaterThan(0);
    for (const t of timedOutBets) {
      const bet = bets.find((b) => b.id === t.op)!;
      expect(t.atMs).toBe(bet.intendedAtMs + TIMEOUT_MS);
      expect(observer.finishes.find((f) => f.op === t.op)).toMatchObject({ outcome: 'indeterminate', atMs: t.atMs });
      // Its rollback starts as it gives up (one attempt allowed here).
      const rollback = observer.ops.find((o) => o.kind === 'rollback' && o.betOp === t.op)!;
      expect(rollback.intendedAtMs).toBe(t.atMs);
    }
    expect(transport.dropped).toBeGreaterThanOrEqual(neverSent.length);
    // Every operation ended: a win, or a rollback after a bet given up.
    const ended = new Set(observer.finishes.map((f) => f.op));
    for (const o of observer.ops) expect(ended.has(o.id)).toBe(true);
  });

  it('draws the same rounds as a transport that never holds anything back: holding changes when rounds go, not what they are', () => {
    const rounds = (withFlow: boolean) => {
      const { observer } = run(withFlow);
      const wins = new Map(observer.ops.filter((o) => o.kind === 'win').map((o) => [o.betOp, o.amount]));
      return observer.ops.filter((o) => o.kind === 'bet').map((o) => ({ player: o.playerId, amount: o.amount, atMs: o.intendedAtMs, win: wins.get(o.id) }));
    };
    const held = rounds(true);
    const free = rounds(false);
    expect(held.map(({ win: _, ...r }) => r)).toEqual(free.map(({ win: _, ...r }) => r));
    // Win amounts where both runs got to the win.
    const both = held.filter((r, i) => r.win !== undefined && free[i]!.win !== undefined);
    expect(both.length).toBeGreaterThan(3);
    for (const [i, r] of held.entries()) if (r.win !== undefined && free[i]!.win !== undefined) expect(r.win).toBe(free[i]!.win);
    // Without flow control nothing waits: every bet goes out when it arrives.
    expect(run(false).peakHeld).toBe(0);
  });
});
