/**
 * README, "Report": every field of the JSON report is named there, so that a field added to the
 * report cannot go out undocumented. The simulated fields come from a run; those only a real run
 * or a merge has are listed by type, which the compiler keeps complete.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KafkaRunReport, MergedPart, Report, RunReport, SendsReport } from '../src/report/model.js';
import { compileScenario } from '../src/scenario/compile.js';
import { parseScenario } from '../src/scenario/load.js';
import type { ThresholdResult } from '../src/report/thresholds.js';
import { runVirtual } from '../src/sim/world.js';
import { ROOT } from './support/cli.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const REPORT = README.slice(README.indexOf('\n## Report\n'), README.indexOf('\n## Exit codes\n'));

/** Every word written in code in the section (`timing {wallMs, simulatedOpsPerSec}` names three). */
const NAMED = new Set([...REPORT.matchAll(/`([^`]+)`/g)].flatMap(([, code]) => code!.match(/[A-Za-z_][\w]*/g) ?? []));

/** Keys of an object, its nested objects and the first item of its lists. */
function keys(value: unknown, skip: ReadonlySet<string>): string[] {
  if (Array.isArray(value)) return value.length === 0 ? [] : keys(value[0], skip);
  if (value === null || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) => [k, ...(skip.has(k) ? [] : keys(v, skip))]);
}

const yaml = `
name: fields
traffic: { phases: [{ kind: steady, durationSec: 2, roundsPerSec: 20 }] }
players: { count: 20 }
faults: { responseLoss: { rate: 0.1 } }
`;
const run: RunReport = runVirtual(compileScenario(parseScenario(yaml, 'fields.yaml')), 'hybrid', 1).report;

/** Fields of a real run, of a run over Kafka, and of a merged report, which a simulation lacks. */
const REAL_RUN: Record<keyof Pick<RunReport, 'transport' | 'interrupted' | 'sends' | 'kafka'>, true> = { transport: true, interrupted: true, sends: true, kafka: true };
/** The CLI judges thresholds after the run. */
const THRESHOLDS: Record<'thresholds' | keyof ThresholdResult, true> = { thresholds: true, expression: true, metric: true, value: true, ok: true };
const SENDS: Record<keyof SendsReport, true> = {
  connections: true, sent: true, late: true, dropped: true, responsesLost: true, aborted: true, refused: true, socketErrors: true, unreadable: true, latency: true,
};
const KAFKA: Record<keyof KafkaRunReport, true> = {
  brokers: true, topics: true, partitions: true, producer: true, produced: true, producedTwice: true, produceFailed: true, produceRequestsFailed: true,
  producerGaps: true, longestGapMs: true, resultsRead: true, resultReplays: true, resultsConsumerRestarts: true, deadLetters: true,
  maxConsumerLagRecords: true, consumerLag: true,
};
const KAFKA_PARTS: Record<keyof KafkaRunReport['topics'] | keyof KafkaRunReport['producer'] | keyof KafkaRunReport['consumerLag'][number], true> = {
  commands: true, results: true, dlq: true, lingerMs: true, batchSize: true, maxInFlight: true, idempotent: true, acks: true, tMs: true, records: true,
};
const MERGED: Record<keyof NonNullable<Report['merged']> | keyof MergedPart, true> = { from: true, notes: true, file: true, seed: true, models: true, segment: true };
const TOP: Record<keyof Report | keyof Report['scenario'] | keyof Report['timing'] | keyof Report['tool'], true> = {
  tool: true, scenario: true, runs: true, merged: true, timing: true, name: true, seed: true, file: true, overrides: true, faultWindows: true, segment: true,
  wallMs: true, simulatedOpsPerSec: true, version: true,
};

describe('README Report section names every field of the JSON report', () => {
  it('of a simulated run (result codes and operation kinds aside)', () => {
    // Result codes are documented with the ledger; the kinds are bet, win, rollback.
    const fields = keys(run, new Set(['results', 'byKind']));
    expect(fields).toContain('phaseBetAck');
    expect([...new Set(fields)].filter((f) => !NAMED.has(f))).toEqual([]);
  });

  it('of a real run, a run over Kafka, a merged report and the top level', () => {
    const all = [REAL_RUN, THRESHOLDS, SENDS, KAFKA, KAFKA_PARTS, MERGED, TOP].flatMap((o) => Object.keys(o));
    expect(all.filter((f) => !NAMED.has(f))).toEqual([]);
  });
});
