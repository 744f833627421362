import { describe, expect, it } from 'vitest';
import type { ModelName } from '../src/models/config.js';
import { compileScenario } from '../src/scenario/compile.js';
import { parseScenario } from '../src/scenario/load.js';
import { runVirtual } from '../src/sim/world.js';

/** One small scenario (YAML text) in every model, seed 1. */
function runAll(yaml: string, models: readonly ModelName[] = ['request', 'event', 'hybrid']) {
  const compiled = compileScenario(parseScenario(yaml, 'test.yaml'));
  return models.map((model) => runVirtual(compiled, model, 1).report);
}

describe('simulated figures do what the README says', () => {
  it('queueTimeoutMs sheds waiting requests in every pool: request, event ingest, hybrid API', () => {
    const yaml = `
name: shed
traffic:
  arrivals: uniform
  phases:
    - { kind: steady, durationSec: 2, roundsPerSec: 20 }
players: { count: 20, initialBalance: 1000000 }
round: { winProbability: 0 }
provider: { timeoutMs: 5000 }
wallet:
  request: { workers: 1, serviceTimeMs: 100, queueLimit: 1000, queueTimeoutMs: 150 }
  event: { ingest: { workers: 1, serviceTimeMs: 100, queueLimit: 1000, queueTimeoutMs: 150 } }
  hybrid: { api: { workers: 1, serviceTimeMs: 100, queueLimit: 1000, queueTimeoutMs: 150 } }
`;
    for (const run of runAll(yaml)) {
      expect(run.results['TEMPORARY_ERROR'], run.model).toBeGreaterThan(50);
      expect(run.maxQueueDepth, run.model).toBeLessThan(20);
      expect(run.consistency.ok, run.model).toBe(true);
    }
  });
});
