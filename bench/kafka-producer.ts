/**
 * The kafkajs producer alone against Kafka's own producer benchmark (ProducerPerformance, the
 * class behind kafka-producer-perf-test.sh), same broker, same record size, in one run; the
 * figure is the ratio of the medians, kafkajs / Java.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/kafka-producer.js
 *
 * Env: KAFKA_BROKERS (127.0.0.1:9092), BENCH_RECORDS (200000), BENCH_RECORD_BYTES (200, about one
 * JSON bet command), BENCH_ROUNDS (3); for tuning only: BENCH_PARTITIONS (1),
 * BENCH_KAFKAJS_BATCH (records per producer.send call), BENCH_KAFKAJS_IN_FLIGHT (sends in flight).
 *
 * What is held equal, so the ratio is about the client and nothing else:
 * - Topic: a fresh one per client per round (bench.producer.<pid>.<round>.<client>), same
 *   partition count, replication factor 1, created and deleted with the kafkajs admin. After each
 *   run the topic's end offsets must add up to exactly the record count, or the round fails.
 * - Records: the same count, values of exactly recordBytes random uppercase letters (what
 *   ProducerPerformance --record-size sends), no keys, no headers.
 * - acks=all (kafkajs acks: -1), compression none, no idempotence on either side: kafkajs
 *   `idempotent: true` would force maxInFlightRequests 1, so kafkajs runs with it off (its own
 *   default) and the Java producer is told enable.idempotence=false to match (its default since
 *   Kafka 3.0 is on).
 * - Batching, comparable in bytes and in requests outstanding: kafkajs has no linger/batch
 *   accumulator (one producer.send call = one produce request), so the caller hands it
 *   KAFKAJS_BATCH = 1000 records (~200 KB at 200 B) per call with KAFKAJS_IN_FLIGHT = 5 calls
 *   outstanding (maxInFlightRequests 5). Java gets batch.size=262144 (256 KB, ~1250 such records)
 *   linger.ms=5, and max.in.flight.requests.per.connection stays at its default 5. Both are each
 *   client's best region in a sweep on this machine (200k records of 200 B, interleaved, medians):
 *   kafkajs was flat within noise for 300-2000 records per send with 3-10 in flight (~60-80k/s)
 *   and worse at 2500+ per send or 1 in flight; Java gained a lot from batch.size 65536 (~58k/s)
 *   to 262144 (~108k/s), so holding it at 64 KB while kafkajs sends 200 KB requests would
 *   understate it.
 * - Cold start: ProducerPerformance starts a fresh JVM every round, so kafkajs runs in a fresh
 *   Node process every round too (this file, re-executed with --kafkajs-child); neither client
 *   carries a warmed JIT into a later round.
 * - Clock: Java's figure is its own final summary line, timed from just before its first send
 *   to the last acknowledgement (JVM start and producer construction excluded; its first metadata
 *   fetch and broker connection are inside). kafkajs is timed from the first send to the last
 *   acknowledgement, after producer.connect() (bootstrap connection and cluster metadata
 *   excluded; the topic's metadata fetch is inside).
 * - Order: the two clients alternate who goes first in each round. Report medians; the machine is
 *   shared and noisy, so compare within one run.
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kafka, Partitioners, logLevel, type Message } from 'kafkajs';
import { packageRoot } from '../src/util/package-root.js';

export interface ProducerFigures {
  kafkajsRecordsPerSec: number[];
  javaRecordsPerSec: number[];
  medianKafkajs: number;
  medianJava: number;
  ratio: number;
  recordBytes: number;
  records: number;
  acks: string;
}

export interface CompareOptions {
  brokers: string;
  recordBytes: number;
  records: number;
  rounds: number;
  log: (line: string) => void;
  /** Partitions of every bench topic, the same for both clients (default 1). */
  partitions?: number;
  /** Records per kafkajs producer.send call (default KAFKAJS_BATCH). */
  kafkajsBatch?: number;
  /** kafkajs sends outstanding at once, and its maxInFlightRequests (default KAFKAJS_IN_FLIGHT). */
  kafkajsInFlight?: number;
}

/** Records per kafkajs producer.send call and sends in flight: see "Batching" above. */
export const KAFKAJS_BATCH = 1000;
export const KAFKAJS_IN_FLIGHT = 5;
/** The Java producer's settings besides bootstrap.servers (max.in.flight.requests.per.connection: default 5). */
export const JAVA_PRODUCER_PROPS = [
  'acks=all',
  'compression.type=none',
  'linger.ms=5',
  'batch.size=262144',
  'enable.idempotence=false',
];
/** What ProducerPerformance's --record-size payload is made of, here in distinct buffers. */
const PAYLOAD_POOL = 1024;

interface KafkajsJob {
  brokers: string[];
  topic: string;
  records: number;
  recordBytes: number;
  batch: number;
  inFlight: number;
}

interface KafkajsResult {
  recordsPerSec: number;
  acked: number;
  seconds: number;
}

function payloads(recordBytes: number): Buffer[] {
  const pool: Buffer[] = [];
  for (let i = 0; i < PAYLOAD_POOL; i++) {
    const b = Buffer.allocUnsafe(recordBytes);
    for (let j = 0; j < recordBytes; j++) b[j] = 65 + Math.floor(Math.random() * 26);
    pool.push(b);
  }
  return pool;
}

/** One kafkajs run in this process: records acknowledged per second, first send to last ack. */
async function kafkajsRun(job: KafkajsJob): Promise<KafkajsResult> {
  const kafka = new Kafka({ clientId: 'bench-kafkajs', brokers: job.brokers, logLevel: logLevel.WARN });
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: false,
    maxInFlightRequests: job.inFlight,
    allowAutoTopicCreation: false,
  });
  const pool = payloads(job.recordBytes);
  await producer.connect();
  try {
    let next = 0; // records handed to send calls so far
    let acked = 0;
    const worker = async () => {
      while (next < job.records) {
        const n = Math.min(job.batch, job.records - next);
        const messages: Message[] = new Array(n);
        for (let i = 0; i < n; i++) messages[i] = { value: pool[(next + i) % PAYLOAD_POOL]! };
        next += n;
        await producer.send({ topic: job.topic, acks: -1, messages });
        acked += n;
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: job.inFlight }, worker));
    const seconds = (performance.now() - t0) / 1000;
    return { recordsPerSec: acked / seconds, acked, seconds };
  } finally {
    await producer.disconnect();
  }
}

/** kafkajs in a fresh Node process, cold like the JVM ProducerPerformance starts each round. */
function kafkajsChild(job: KafkajsJob): Promise<KafkajsResult> {
  const self = fileURLToPath(import.meta.url);
  // Run from source (e.g. under vitest) there is no .js to re-execute: measure in this process.
  if (!self.endsWith('.js')) return kafkajsRun(job);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [self, '--kafkajs-child', JSON.stringify(job)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.once('error', reject);
    child.once('exit', (code) => {
      const m = /^RESULT (.*)$/m.exec(out);
      if (code === 0 && m) resolve(JSON.parse(m[1]!) as KafkajsResult);
      else reject(new Error(`kafkajs child exited ${code}: ${out.trim()}`));
    });
  });
}

interface JavaResult {
  recordsPerSec: number;
  mbPerSec: number;
  summary: string;
}

/** ProducerPerformance's final summary line, e.g. "200000 records sent, 29124.8 records/sec (5.56 MB/sec), ... 99.9th." */
export function parseProducerPerformance(output: string): JavaResult {
  const lines = output.split('\n').filter((l) => /^\d+ records sent, [\d.]+ records\/sec/.test(l) && /50th/.test(l));
  const summary = lines[lines.length - 1];
  if (!summary) throw new Error(`no ProducerPerformance summary line in:\n${output}`);
  const m = /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\)/.exec(summary)!;
  return { recordsPerSec: Number(m[2]), mbPerSec: Number(m[3]), summary: summary.trim() };
}

function javaRun(brokers: string, topic: string, records: number, recordBytes: number): Promise<JavaResult> {
  const script = join(packageRoot(), 'scripts', 'kafka-local.sh');
  const args = [
    'run', 'org.apache.kafka.tools.ProducerPerformance',
    '--topic', topic,
    '--num-records', String(records),
    '--record-size', String(recordBytes),
    '--throughput', '-1',
    // --command-property is the 4.x name of --producer-props (deprecated, same meaning).
    '--command-property', `bootstrap.servers=${brokers}`, ...JAVA_PRODUCER_PROPS,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(script, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (out += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (err += t));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`ProducerPerformance exited ${code}:\n${out}${err}`));
      try {
        resolve(parseProducerPerformance(out));
      } catch (e) {
        reject(new Error(`${(e as Error).message}\nstderr:\n${err}`));
      }
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');

type Client = 'kafkajs' | 'java';

export async function compareProducers(options: CompareOptions): Promise<ProducerFigures> {
  const { brokers, recordBytes, records, rounds, log } = options;
  const partitions = options.partitions ?? 1;
  const batch = options.kafkajsBatch ?? KAFKAJS_BATCH;
  const inFlight = options.kafkajsInFlight ?? KAFKAJS_IN_FLIGHT;
  const brokerList = brokers.split(',').map((b) => b.trim()).filter(Boolean);
  const admin = new Kafka({ clientId: 'bench-admin', brokers: brokerList, logLevel: logLevel.WARN }).admin();
  await admin.connect();

  const figures: Record<Client, number[]> = { kafkajs: [], java: [] };
  log(
    `kafka producer bench: ${fmt(records)} records of ${recordBytes} B, acks=all, compression none, ` +
      `${partitions} partition(s), ${rounds} round(s), brokers ${brokers}`,
  );
  log(`  kafkajs 2.2.4: producer.send of ${batch} records, ${inFlight} sends in flight (maxInFlightRequests ${inFlight}), idempotent off`);
  log(`  java ProducerPerformance: ${JAVA_PRODUCER_PROPS.join(' ')}`);
  log(`  load average at start: ${loadavg().map((x) => x.toFixed(2)).join(' ')} on ${cpus().length} cores (shared machine: read medians)`);

  const runOne = async (round: number, client: Client): Promise<void> => {
    const topic = `bench.producer.${process.pid}.${round}.${client}`;
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
    });
    try {
      let rate: number;
      let detail: string;
      if (client === 'kafkajs') {
        const r = await kafkajsChild({ brokers: brokerList, topic, records, recordBytes, batch, inFlight });
        rate = r.recordsPerSec;
        detail = `${fmt(r.acked)} acked in ${r.seconds.toFixed(2)} s, ${((rate * recordBytes) / 2 ** 20).toFixed(2)} MB/s`;
      } else {
        const r = await javaRun(brokers, topic, records, recordBytes);
        rate = r.recordsPerSec;
        detail = `${r.mbPerSec.toFixed(2)} MB/s, ${r.summary.replace(/^.*?MB\/sec\), /, '').replace(/\.$/, '')}`;
      }
      // Honesty check: the broker holds exactly the records sent, no more (retries) and no fewer.
      const offsets = await admin.fetchTopicOffsets(topic);
      const stored = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
      if (stored !== records) throw new Error(`${client} round ${round}: topic holds ${stored} records, expected ${records}`);
      figures[client].push(rate);
      log(`  round ${round} ${client.padEnd(7)} ${fmt(rate).padStart(9)} records/s  (${detail})`);
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch((e: Error) => log(`  (could not delete ${topic}: ${e.message})`));
    }
  };

  try {
    for (let round = 1; round <= rounds; round++) {
      const order: Client[] = round % 2 === 1 ? ['kafkajs', 'java'] : ['java', 'kafkajs'];
      for (const client of order) await runOne(round, client);
    }
  } finally {
    await admin.disconnect();
  }

  const medianKafkajs = median(figures.kafkajs);
  const medianJava = median(figures.java);
  const ratio = medianKafkajs / medianJava;
  log('');
  log('  round   kafkajs rec/s   java rec/s   kafkajs/java');
  for (let i = 0; i < rounds; i++) {
    const k = figures.kafkajs[i]!;
    const j = figures.java[i]!;
    log(`  ${String(i + 1).padStart(5)}   ${fmt(k).padStart(13)}   ${fmt(j).padStart(10)}   ${(k / j).toFixed(2).padStart(11)}x`);
  }
  log(`  median  ${fmt(medianKafkajs).padStart(13)}   ${fmt(medianJava).padStart(10)}   ${ratio.toFixed(2).padStart(11)}x`);
  log(`kafkajs / Kafka ProducerPerformance at ${recordBytes} B records, acks=all: ${ratio.toFixed(2)}x (medians of ${rounds})`);

  return {
    kafkajsRecordsPerSec: figures.kafkajs,
    javaRecordsPerSec: figures.java,
    medianKafkajs,
    medianJava,
    ratio,
    recordBytes,
    records,
    acks: 'all',
  };
}

const envInt = (name: string, fallback: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got ${raw}`);
  return n;
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv[2] === '--kafkajs-child') {
    const result = await kafkajsRun(JSON.parse(process.argv[3]!) as KafkajsJob);
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } else {
    await compareProducers({
      brokers: process.env.KAFKA_BROKERS || '127.0.0.1:9092',
      records: envInt('BENCH_RECORDS', 200_000),
      recordBytes: envInt('BENCH_RECORD_BYTES', 200),
      rounds: envInt('BENCH_ROUNDS', 3),
      partitions: envInt('BENCH_PARTITIONS', 1),
      kafkajsBatch: envInt('BENCH_KAFKAJS_BATCH', KAFKAJS_BATCH),
      kafkajsInFlight: envInt('BENCH_KAFKAJS_IN_FLIGHT', KAFKAJS_IN_FLIGHT),
      log: (line) => console.log(line),
    });
  }
}
