/**
 * A log that cannot take a record (a real broker failing a produce): the event-driven and hybrid
 * APIs answer TEMPORARY_ERROR and forget the txId, so the provider's retry is appended and
 * applied, instead of being told "accepted" for an operation the log never had.
 */
import { describe, expect, it } from 'vitest';
import type { MoneyRequest, WalletRequest } from '../src/domain/operations.js';
import type { WalletResponse } from '../src/domain/results.js';
import { buildWallet, type LogEvents } from '../src/models/build.js';
import type { ModelName } from '../src/models/config.js';
import { NULL_PROBE } from '../src/models/probe.js';
import type { CommandLog } from '../src/ports/log.js';
import { Population } from '../src/provider/players.js';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import { EmbeddedLog } from '../src/sim/embedded-log.js';
import { VirtualClock } from '../src/sim/event-queue.js';
import { SeededRandom } from '../src/sim/prng.js';

/** The embedded log, except that the first append of each txId named in `failing` fails. */
function failingOnce(inner: CommandLog<unknown>, failing: Set<string>): CommandLog<unknown> {
  return {
    append(key, value, onAppended, arg, onFailed) {
      const txId = ((value as { request?: MoneyRequest }).request ?? (value as MoneyRequest)).txId;
      if (failing.delete(txId)) return onFailed?.(arg);
      inner.append(key, value, onAppended, arg, onFailed);
    },
    consume: (process) => inner.consume(process),
    backlog: () => inner.backlog(),
    unapplied: () => inner.unapplied(),
  };
}

function setup(model: ModelName, failing: Set<string>) {
  const scenario = compileScenario(loadScenario('steady', ['players.count=5']).scenario);
  const clock = new VirtualClock();
  const settings = { ...scenario.wallet, players: new Population(scenario.population).accounts };
  const commandLog = (events: LogEvents) =>
    failingOnce(new EmbeddedLog(clock, { partitions: 2, consumers: 1, commitEvery: 1, ...events }), failing) as CommandLog<never>;
  const { wallet } = buildWallet(model, clock, new SeededRandom(1).derive('wallet'), settings, NULL_PROBE, { commandLog });
  const send = (request: WalletRequest): WalletResponse => {
    let answer: WalletResponse | undefined;
    wallet.handle({ request, reply: (r) => void (answer = r) });
    clock.run(clock.now() + 60_000, 1_000_000);
    return answer!;
  };
  return { wallet, send };
}

describe.each(['event', 'hybrid'] as const)('%s-driven API when the log fails an append', (model) => {
  it('answers TEMPORARY_ERROR, and the retry is appended and applied, not replayed as accepted', () => {
    const bet = { kind: 'bet', txId: 'b1', playerId: 'p1', roundId: 'r1', amount: 100, currency: 'EUR' } as const;
    const win = { kind: 'win', txId: 'w1', betTxId: 'b1', playerId: 'p1', roundId: 'r1', amount: 40, currency: 'EUR' } as const;
    // Event-driven: the bet's append fails; hybrid reserves bets in the ledger, so its win's does.
    const failed = model === 'event' ? bet : win;
    const { wallet, send } = setup(model, new Set([failed.txId]));
    const before = wallet.ledger.balanceOf('p1')!;
    if (failed === win) expect(send(bet).code).toBe('OK');
    expect(send(failed)).toMatchObject({ code: 'TEMPORARY_ERROR' });
    expect(send(failed)).toEqual({ code: 'OK', accepted: true });
    if (failed === bet) expect(send(win)).toEqual({ code: 'OK', accepted: true });
    expect(wallet.ledger.balanceOf('p1')).toBe(before - 100 + 40);
    expect(wallet.ledger.journal.length).toBe(2);
  });
});

describe('hybrid API when the log fails the post of a reservation', () => {
  it('voids the reservation and answers TEMPORARY_ERROR, again on a retry: no bet is acknowledged that will never be debited', () => {
    const bet = { kind: 'bet', txId: 'b1', playerId: 'p1', roundId: 'r1', amount: 100, currency: 'EUR' } as const;
    const { wallet, send } = setup('hybrid', new Set(['b1']));
    const before = wallet.ledger.balanceOf('p1')!;
    expect(send(bet)).toMatchObject({ code: 'TEMPORARY_ERROR' });
    expect(wallet.ledger.availableOf('p1')).toBe(before);
    expect(send(bet)).toMatchObject({ code: 'TEMPORARY_ERROR', replay: true });
    // The provider gives up and rolls the bet back: nothing to refund, nothing was taken.
    expect(send({ kind: 'rollback', txId: 'rb1', refTxId: 'b1', playerId: 'p1' })).toEqual({ code: 'OK', accepted: true });
    expect([wallet.ledger.balanceOf('p1'), wallet.ledger.availableOf('p1')]).toEqual([before, before]);
    expect(wallet.ledger.journal.length).toBe(1);
  });
});

