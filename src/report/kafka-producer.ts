import type { KafkaRunReport } from './model.js';

/**
 * The producer settings in words, as the scenario's `kafka:` block spells them: `acks all` or
 * `acks leader`, never Kafka's wire values -1 and 1, which the JSON report keeps (see README).
 * One wording for every text a user reads: load's summary, merge's note.
 */
export function producerInWords(p: KafkaRunReport['producer']): string {
  return `linger ${p.lingerMs} ms, batch ${p.batchSize}, ${p.maxInFlight} in flight, idempotent ${p.idempotent ? 'on' : 'off'}, acks ${p.acks === -1 ? 'all' : 'leader'}`;
}
