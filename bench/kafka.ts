/**
 * npm run bench:kafka — the event-driven wallet on a real broker, end to end, on loopback.
 *
 * (a) The highest rate of bets per second the wallet settles while its lag stays bounded: bets
 *     are produced to wallet.commands on an open-model schedule (each bet's intended time is
 *     fixed in advance; latency counts from it), applied by `walletstorm serve --model event
 *     --brokers` in its own process, and their results read back from wallet.results. A step
 *     of STEP_SECONDS at a rate is sustained when every bet settles, the worst settlement
 *     latency of the step's second half stays under 1 s (a wallet that falls behind shows a
 *     latency that grows with time), and the results all arrive within 3 s of the last send.
 *     Rates go up until a step fails; target: at least 20,000 bets/s.
 * (b) p50/p99/p99.9 settlement latency at half the highest sustained rate.
 * (c) The kafkajs producer alone against Kafka's own ProducerPerformance at the size of one bet
 *     command (bench/kafka-producer.ts), as a ratio of medians.
 * Beside every step: the CPU each process used (load generator, wallet, broker JVM), in cores,
 * to tell where the limit is on this 2-core machine.
 *
 * The bench starts the local broker (scripts/kafka-local.sh start; a running one is reused) and
 * deletes its topics at the end. Env: KAFKA_BROKERS, BENCH_STEP_SECONDS (6), BENCH_RATES
 * (comma list, default 5000,10000,15000,20000,25000,30000,40000), BENCH_PRODUCER_ROUNDS (3),
 * BENCH_CONSUMERS (1), BENCH_PARTITIONS (8), BENCH_WALLET_NODE_FLAGS (node flags for the wallet).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BetRequest } from '../src/domain/operations.js';
import type { WalletProbe } from '../src/models/probe.js';
import { connectAdmin, kafkaClient, walletGroupId, walletTopics } from '../src/drivers/kafka/cluster.js';
import { encodeCommand } from '../src/drivers/kafka/codec.js';
import { KafkaTransport } from '../src/drivers/kafka/transport.js';
import { RealClock } from '../src/drivers/real-clock.js';
import { LatencyHistogram } from '../src/report/histogram.js';
import type { ReplyTarget } from '../src/ports/transport.js';
import { SeededRandom } from '../src/sim/prng.js';
import { packageRoot } from '../src/util/package-root.js';
import { compareProducers } from './kafka-producer.js';

const STEP_SECONDS = Number(process.env.BENCH_STEP_SECONDS ?? 6);
const RATES = (process.env.BENCH_RATES ?? '5000,10000,15000,20000,25000,30000,40000').split(',').map(Number);
const PRODUCER_ROUNDS = Number(process.env.BENCH_PRODUCER_ROUNDS ?? 3);
const CONSUMERS = Number(process.env.BENCH_CONSUMERS ?? 1);
const PARTITIONS = Number(process.env.BENCH_PARTITIONS ?? 8);
const PLAYERS = 10_000;
/** The second warm-up step: high enough to warm every JIT on the path, not measured. */
const WARM_UP_RATE = 10_000;
const TICK_MS = 5;
const ROOT = packageRoot();

interface StepResult {
  rate: number;
  sent: number;
  settled: number;
  sustained: boolean;
  why: string;
  latency: ReturnType<LatencyHistogram['summary']>;
  lateHalfMaxMs: number;
  cpu: { load: number; wallet: number; broker: number };
}

function startBroker(): string {
  if (process.env.KAFKA_BROKERS) return process.env.KAFKA_BROKERS;
  const out = execFileSync(join(ROOT, 'scripts', 'kafka-local.sh'), ['start'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.trim().split('\n').pop()!;
}

function startWallet(brokers: string, prefix: string): Promise<{ child: ChildProcess; url: string }> {
  const sets = [
    `players.count=${PLAYERS}`,
    'players.initialBalance=1000000000000',
    `wallet.event.partitions=${PARTITIONS}`,
    `wallet.event.consumers=${CONSUMERS}`,
    'wallet.event.commitEvery=5000',
    'wallet.event.applyMs=0',
  ].flatMap((s) => ['--set', s]);
  const nodeFlags = (process.env.BENCH_WALLET_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
  const child = spawn(process.execPath, [...nodeFlags, join(ROOT, 'bin', 'walletstorm.js'), 'serve', '--model', 'event', '--brokers', brokers, '--topic-prefix', prefix, '--port', '0', ...sets], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the wallet did not start: ${out}`)), 60_000);
    child.stdout!.setEncoding('utf8').on('data', (t: string) => {
      out += t;
      const m = /listening on (http:\/\/[\d.:]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.once('exit', (code) => reject(new Error(`the wallet exited (${code}): ${out}`)));
  });
}

/** CPU seconds (user + system) a process has used, from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

function brokerPid(): number | undefined {
  try {
    return Number(readFileSync(join(ROOT, '.cache', 'kafka', 'state', 'kafka.pid'), 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** The bench reads settlements from the results topic, not the producer's acks. */
const IGNORE: ReplyTarget = { replied() {} };

/** One rate for STEP_SECONDS: open-model sends, settlement latency from each bet's intended time. */
async function step(transport: KafkaTransport, settledAt: Float64Array, clock: RealClock, rate: number, firstOp: number, pids: { wallet?: number; broker?: number }): Promise<StepResult> {
  const total = Math.round(rate * STEP_SECONDS);
  const startMs = clock.now();
  const cpu0 = { load: process.cpuUsage(), wallet: cpuSeconds(pids.wallet), broker: cpuSeconds(pids.broker) };
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((clock.now() - startMs) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      const op = firstOp + sent;
      const bet: BetRequest = { kind: 'bet', txId: `b${op}`, playerId: `p${op % PLAYERS}`, roundId: `r${op}`, amount: 100, currency: 'EUR', opRef: op };
      transport.send(bet, IGNORE, 0);
    }
    await new Promise((r) => setTimeout(r, TICK_MS));
  }
  const sendEndMs = clock.now();
  const cpuWindowSec = (sendEndMs - startMs) / 1000;
  const cpu = {
    load: (process.cpuUsage(cpu0.load).user + process.cpuUsage(cpu0.load).system) / 1e6 / cpuWindowSec,
    wallet: (cpuSeconds(pids.wallet) - cpu0.wallet) / cpuWindowSec,
    broker: (cpuSeconds(pids.broker) - cpu0.broker) / cpuWindowSec,
  };
  const settledCount = () => {
    let n = 0;
    for (let i = 0; i < total; i++) if (settledAt[firstOp + i]! > 0) n++;
    return n;
  };
  while (settledCount() < total && clock.now() - sendEndMs < 3000) await new Promise((r) => setTimeout(r, 20));
  const latency = new LatencyHistogram();
  let lateHalfMaxMs = 0;
  for (let i = 0; i < total; i++) {
    const at = settledAt[firstOp + i]!;
    if (at === 0) continue;
    const intended = startMs + (i / rate) * 1000;
    latency.recordMs(at - intended);
    if (i >= total / 2) lateHalfMaxMs = Math.max(lateHalfMaxMs, at - intended);
  }
  const settled = settledCount();
  const why = settled < total ? `${total - settled} of ${total} bets not settled 3 s after the last send` : lateHalfMaxMs >= 1000 ? `settlement latency reached ${lateHalfMaxMs.toFixed(0)} ms in the second half` : 'kept up';
  return { rate, sent: total, settled, sustained: why === 'kept up', why, latency: latency.summary(), lateHalfMaxMs, cpu };
}

function line(r: StepResult): string {
  const l = r.latency;
  const cores = `cpu (cores): load ${r.cpu.load.toFixed(2)}, wallet ${r.cpu.wallet.toFixed(2)}, broker ${r.cpu.broker.toFixed(2)}`;
  return `  ${String(r.rate).padStart(6)} bets/s  settled ${r.settled}/${r.sent}  p50 ${l.p50} ms  p99 ${l.p99} ms  max ${l.max} ms  ${r.sustained ? 'SUSTAINED' : `failed: ${r.why}`}  · ${cores}`;
}

async function main(): Promise<void> {
  const brokersText = startBroker();
  const brokers = brokersText.split(',');
  const prefix = `bench-${Date.now().toString(36)}.`;
  console.log(`bench:kafka on ${brokersText}: steps of ${STEP_SECONDS} s, ${PARTITIONS} partitions, ${CONSUMERS} consumer(s), ${PLAYERS} players, bets only, applyMs 0`);
  const wallet = await startWallet(brokersText, prefix);
  const kafka = kafkaClient({ brokers, clientId: 'walletstorm-bench' });
  const admin = await connectAdmin(kafka, brokers);
  const clock = new RealClock();
  const capacity = RATES.reduce((s, r) => s + r, 0) * STEP_SECONDS * 2 + 1_000_000;
  const settledAt = new Float64Array(capacity);
  const probe: WalletProbe = {
    settled: (request, response, nowMs) => {
      if (request.opRef !== undefined && response.code === 'OK' && settledAt[request.opRef] === 0) settledAt[request.opRef] = Math.max(nowMs, 1e-9);
    },
    queueDepth() {},
    logLag() {},
    idle() {},
  };
  const transport = new KafkaTransport({
    kafka,
    admin,
    brokers,
    topics: walletTopics(prefix),
    walletGroupId: walletGroupId(prefix),
    partitions: PARTITIONS,
    producer: { lingerMs: 5, batchSize: 2000, maxInFlight: 5, idempotent: false, acks: -1 },
    clock,
    txIdPrefix: '',
    rng: new SeededRandom(1),
    maxWaiting: 1_000_000,
  });
  transport.probe = probe;
  const pids = { wallet: wallet.child.pid, broker: brokerPid() };
  const results: StepResult[] = [];
  let op = 0;
  try {
    await transport.warmUp();
    // Warm the broker's, the wallet's and this process's JIT, and the topics, before anything is
    // measured: a broker just started works at half speed for its first seconds.
    for (const rate of [2000, WARM_UP_RATE]) {
      await step(transport, settledAt, clock, rate, op, pids);
      op += rate * STEP_SECONDS;
    }
    const drainWarmUp = Date.now() + 30_000;
    while (Date.now() < drainWarmUp && settledAt.subarray(0, op).some((t) => t === 0)) await new Promise((res) => setTimeout(res, 100));
    console.log('\n(a) highest sustained rate (open model, latency from the intended send time)');
    for (const rate of RATES) {
      const r = await step(transport, settledAt, clock, rate, op, pids);
      op += r.sent;
      results.push(r);
      console.log(line(r));
      if (!r.sustained) break;
      await new Promise((res) => setTimeout(res, 1000));
    }
    const best = results.filter((r) => r.sustained).reduce((m, r) => Math.max(m, r.rate), 0);
    // The failed step left a backlog: let the wallet drain it before measuring (b) on a calm log.
    const drainUntil = Date.now() + 60_000;
    while (Date.now() < drainUntil && settledAt.subarray(0, op).some((t) => t === 0)) await new Promise((res) => setTimeout(res, 100));
    await new Promise((res) => setTimeout(res, 2000));
    console.log(`  highest sustained: ${best} bets/s (target: at least 20,000)`);
    if (best > 0) {
      console.log(`\n(b) settlement latency at half that rate, ${best / 2} bets/s`);
      const half = await step(transport, settledAt, clock, best / 2, op, pids);
      op += half.sent;
      console.log(line(half));
      console.log(`  p50 ${half.latency.p50} ms · p90 ${half.latency.p90} ms · p99 ${half.latency.p99} ms · p99.9 ${half.latency.p999} ms`);
    }
  } finally {
    await transport.close();
    wallet.child.kill('SIGTERM');
    await new Promise((r) => wallet.child.once('exit', r));
    const t = walletTopics(prefix);
    await admin.deleteTopics({ topics: [t.commands, t.results, t.dlq] }).catch(() => {});
    await admin.disconnect();
  }

  const bytes = Buffer.byteLength(encodeCommand({ kind: 'bet', txId: 'b1234567', playerId: 'p1234', roundId: 'r1234567', amount: 100, currency: 'EUR', opRef: 1234567 }).value);
  console.log(`\n(c) the kafkajs producer alone vs Kafka's ProducerPerformance, ${bytes}-byte records (one bet command), ${PRODUCER_ROUNDS} rounds`);
  const started = performance.now();
  const p = await compareProducers({ brokers: brokersText, recordBytes: bytes, records: 200_000, rounds: PRODUCER_ROUNDS, log: (l) => console.log(`  ${l}`) });
  console.log(`  median kafkajs ${Math.round(p.medianKafkajs)} records/s · ProducerPerformance ${Math.round(p.medianJava)} records/s · ratio ${p.ratio.toFixed(2)}x (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

await main();
