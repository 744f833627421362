/**
 * When a wallet model says it is idle (WalletModel.busy(), and the probe's idle signal that times
 * convergence): only once everything it accepted is applied or refused. A record a consumer has
 * taken is out of the log's backlog but not in the ledger yet; a wallet that counted only the
 * backlog went idle while its last record was being applied, one apply time early.
 */
import { describe, expect, it } from 'vitest';
import type { MoneyRequest } from '../src/domain/operations.js';
import { buildWallet } from '../src/models/build.js';
import type { ModelName } from '../src/models/config.js';
import { NULL_PROBE, type WalletProbe } from '../src/models/probe.js';
import { Population } from '../src/provider/players.js';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import { VirtualClock } from '../src/sim/event-queue.js';
import { SeededRandom } from '../src/sim/prng.js';

const APPLY_MS = 300;

/** A wallet of the model with constant service and apply times, two partitions and two consumers. */
function setup(model: ModelName) {
  const overrides = [
    'players.count=20',
    'wallet.request.serviceTimeMs=1',
    'wallet.event.ingest.serviceTimeMs=1',
    'wallet.hybrid.api.serviceTimeMs=1',
    ...['event', 'hybrid'].flatMap((m) => [`wallet.${m}.applyMs=${APPLY_MS}`, `wallet.${m}.partitions=2`, `wallet.${m}.consumers=2`]),
  ];
  const scenario = compileScenario(loadScenario('steady', overrides).scenario);
  const clock = new VirtualClock();
  const players = new Population(scenario.population).accounts;
  const settledAtMs: number[] = [];
  const idleAtMs: number[] = [];
  const probe: WalletProbe = { ...NULL_PROBE, settled: (_r, _a, now) => void settledAtMs.push(now), idle: (now) => void idleAtMs.push(now) };
  const { wallet, log } = buildWallet(model, clock, new SeededRandom(1).derive('wallet'), { ...scenario.wallet, players }, probe);
  // One player on each partition, so each consumer applies one record and they overlap in time.
  const onPartition = (p: number) => (log === undefined ? players[p]! : players.find((a) => log.partitionOf(a.id) === p)!).id;
  const bet = (playerId: string, txId: string): MoneyRequest => ({ kind: 'bet', txId, playerId, roundId: txId, amount: 100, currency: 'EUR' });
  return { clock, wallet, settledAtMs, idleAtMs, first: bet(onPartition(0), 'b1'), second: bet(onPartition(1), 'b2') };
}

describe.each(['event', 'hybrid'] as const)('%s-driven wallet: idle only when what it accepted is applied', (model) => {
  it('busy while a consumer applies a record that left the backlog', () => {
    const { clock, wallet, first } = setup(model);
    wallet.handle({ request: first, reply: () => {} });
    clock.run(APPLY_MS / 2, 1_000);
    expect([wallet.backlog(), wallet.ledger.journal.length]).toEqual([0, 0]);
    expect(wallet.busy()).toBe(true);
    clock.run(APPLY_MS * 10, 1_000);
    expect([wallet.busy(), wallet.ledger.journal.length]).toEqual([false, 1]);
  });

  it('says idle once, when the last of two overlapping applies ends, not as the API or the first consumer finishes', () => {
    const { clock, wallet, settledAtMs, idleAtMs, first, second } = setup(model);
    wallet.handle({ request: first, reply: () => {} });
    clock.call(APPLY_MS / 2, () => wallet.handle({ request: second, reply: () => {} }), undefined);
    clock.run(APPLY_MS * 10, 1_000);
    expect(settledAtMs).toHaveLength(2);
    expect(idleAtMs).toEqual([Math.max(...settledAtMs)]);
  });
});

describe('request-driven wallet', () => {
  it('busy while a worker serves a request, idle when the last one is applied', () => {
    const { clock, wallet, settledAtMs, idleAtMs, first, second } = setup('request');
    wallet.handle({ request: first, reply: () => {} });
    wallet.handle({ request: second, reply: () => {} });
    expect(wallet.busy()).toBe(true);
    clock.run(1_000, 1_000);
    expect(wallet.busy()).toBe(false);
    expect(settledAtMs).toHaveLength(2);
    expect(idleAtMs).toEqual([Math.max(...settledAtMs)]);
  });
});
