import type { MoneyRequest } from '../domain/operations.js';
import type { Clock } from '../ports/clock.js';
import type { CommandLog } from '../ports/log.js';
import type { Random } from '../ports/random.js';
import { EmbeddedLog } from '../sim/embedded-log.js';
import type { LogSettings, ModelName, WalletModel, WalletSettings } from './config.js';
import { EventDrivenWallet } from './event-driven.js';
import { HybridWallet, type HybridRecord } from './hybrid.js';
import type { WalletProbe } from './probe.js';
import { RequestDrivenWallet } from './request-driven.js';

/** What the world around a wallet may inject: capacity and delivery faults (the simulator's). */
export interface WorldHooks {
  readonly slowdown?: (nowMs: number) => number;
  readonly redeliver?: (nowMs: number) => boolean;
  /**
   * A log other than the embedded one (a real Kafka topic), given the events the wallet needs
   * from it. Its records are of the model's type (MoneyRequest or HybridRecord).
   */
  readonly commandLog?: (events: LogEvents) => CommandLog<never>;
}

export interface LogEvents {
  readonly onLag: (lagMs: number, backlogRecords: number, nowMs: number) => void;
  readonly onDrained: (nowMs: number) => void;
}

export interface BuiltWallet {
  readonly wallet: WalletModel;
  /** The embedded log behind event-driven and hybrid wallets (faults act on it). */
  readonly log?: EmbeddedLog<unknown>;
}

/**
 * One wallet model on a clock, with its embedded log: the same assembly for the simulator and
 * for the reference server, so both worlds run the same wallet.
 */
export function buildWallet(model: ModelName, clock: Clock, rng: Random, settings: WalletSettings, probe: WalletProbe, hooks: WorldHooks = {}): BuiltWallet {
  if (model === 'request') return { wallet: new RequestDrivenWallet(clock, rng, settings, probe, hooks.slowdown) };
  // The log tells the wallet when it drains; the wallet exists only after the log, hence `idle`.
  let idle: (nowMs: number) => void = () => {};
  const events: LogEvents = { onLag: (lagMs, backlog, now) => probe.logLag(lagMs, backlog, now), onDrained: (now) => idle(now) };
  const embedded = <T>(s: LogSettings) =>
    new EmbeddedLog<T>(clock, { partitions: s.partitions, consumers: s.consumers, commitEvery: s.commitEvery, ...events, redeliver: hooks.redeliver });
  const logFor = <T>(s: LogSettings): { log: CommandLog<T>; embedded?: EmbeddedLog<unknown> } => {
    if (hooks.commandLog !== undefined) return { log: hooks.commandLog(events) as CommandLog<T> };
    const log = embedded<T>(s);
    return { log, embedded: log as EmbeddedLog<unknown> };
  };
  if (model === 'event') {
    const { log, embedded: e } = logFor<MoneyRequest>(settings.event);
    const wallet = new EventDrivenWallet(clock, rng, settings, log, probe, hooks.slowdown);
    idle = (now) => wallet.checkIdle(now);
    return { wallet, log: e };
  }
  const { log, embedded: e } = logFor<HybridRecord>(settings.hybrid);
  const wallet = new HybridWallet(clock, rng, settings, log, probe, hooks.slowdown);
  idle = (now) => wallet.checkIdle(now);
  return { wallet, log: e };
}
