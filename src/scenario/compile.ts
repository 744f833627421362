import { compileFaults, type FaultPlan } from '../faults/plan.js';
import type { LogSettings, PoolSettings, WalletSettings } from '../models/config.js';
import type { Phase } from '../provider/arrivals.js';
import type { PopulationSettings } from '../provider/players.js';
import type { ProviderSettings } from '../provider/provider.js';
import { sampler, type Sampler } from '../sim/distributions.js';
import type { Scenario } from './schema.js';

/** A scenario turned into what the worlds run: times in ms, distributions as samplers. */
export interface CompiledScenario {
  readonly phases: readonly Phase[];
  readonly arrivals: 'poisson' | 'uniform';
  readonly population: PopulationSettings;
  readonly provider: ProviderSettings;
  readonly wallet: Omit<WalletSettings, 'players'>;
  readonly networkLatencyMs: Sampler;
  readonly faults: FaultPlan;
  readonly drainTimeoutMs: number;
  readonly maxEvents: number;
  readonly kafka: KafkaSettings;
}

/** The real broker's producer and consumer settings (serve --brokers, load --target kafka://). */
export interface KafkaSettings {
  readonly producer: { readonly lingerMs: number; readonly batchSize: number; readonly maxInFlight: number; readonly idempotent: boolean; readonly acks: -1 | 1 };
  readonly idleCommitMs: number;
}

export function compileScenario(s: Scenario): CompiledScenario {
  return {
    phases: compilePhases(s),
    arrivals: s.traffic.arrivals,
    population: s.players,
    provider: {
      currency: s.players.currency,
      timeoutMs: s.provider.timeoutMs,
      retry: s.provider.retry,
      settlementRetry: s.provider.settlementRetry,
      round: {
        betAmount: sampler(s.round.betAmount),
        winProbability: s.round.winProbability,
        winMultiplier: sampler(s.round.winMultiplier),
        playTimeMs: sampler(s.round.playTimeMs),
      },
    },
    wallet: {
      idempotency: s.wallet.idempotency === 'on',
      inbox: s.wallet.inbox === 'on',
      request: compilePool(s.wallet.request),
      event: { ...compileLog(s.wallet.event), ingest: compilePool(s.wallet.event.ingest) },
      hybrid: {
        ...compileLog(s.wallet.hybrid),
        api: compilePool(s.wallet.hybrid.api),
        reservationTtlMs: s.wallet.hybrid.reservationTtlSec * 1000,
      },
    },
    networkLatencyMs: sampler(s.network.latencyMs),
    faults: compileFaults(s.faults),
    drainTimeoutMs: s.run.drainTimeoutSec * 1000,
    maxEvents: s.run.maxEvents,
    kafka: {
      producer: {
        lingerMs: s.kafka.lingerMs,
        batchSize: s.kafka.batchSize,
        maxInFlight: s.kafka.maxInFlight,
        idempotent: s.kafka.idempotentProducer === 'on',
        acks: s.kafka.acks === 'all' ? -1 : 1,
      },
      idleCommitMs: s.kafka.idleCommitMs,
    },
  };
}

type Wallet = Scenario['wallet'];

function compilePool(p: Wallet['request']): PoolSettings {
  return { workers: p.workers, queueLimit: p.queueLimit, queueTimeoutMs: p.queueTimeoutMs, serviceTimeMs: sampler(p.serviceTimeMs) };
}

function compileLog(l: Wallet['event'] | Wallet['hybrid']): LogSettings {
  return { partitions: l.partitions, consumers: l.consumers, commitEvery: l.commitEvery, applyMs: sampler(l.applyMs) };
}

function compilePhases(s: Scenario): Phase[] {
  let startMs = 0;
  return s.traffic.phases.map((p, i) => {
    const endMs = startMs + p.durationSec * 1000;
    const [fromPerSec, toPerSec] = p.kind === 'ramp' ? [p.fromPerSec, p.toPerSec] : [p.roundsPerSec, p.roundsPerSec];
    const phase: Phase = { name: p.name ?? `${p.kind}-${i + 1}`, kind: p.kind, startMs, endMs, fromPerSec, toPerSec };
    startMs = endMs;
    return phase;
  });
}
