/**
 * Against a real Kafka broker: KAFKA_BROKERS=127.0.0.1:9092 (what `scripts/kafka-local.sh start`
 * prints; `.ci/run` starts one). Without it these tests are skipped, and say how to run them.
 * Every test uses topics of its own (a unique prefix), so they can share one broker.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWalletServer, type WalletServer } from '../src/drivers/http/server.js';
import { Population } from '../src/provider/players.js';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import type { Report } from '../src/report/model.js';
import { BIN, ROOT, walletstorm, walletstormAsync, walletstormLive } from './support/cli.js';
import { freePorts } from './support/ports.js';

const BROKERS = process.env.KAFKA_BROKERS;
if (BROKERS === undefined) {
  console.warn('Kafka integration tests skipped: start a broker with `scripts/kafka-local.sh start`, then run `KAFKA_BROKERS=127.0.0.1:9092 npm test`');
}

let seq = 0;
const uniquePrefix = () => `t${process.pid}-${Date.now().toString(36)}-${seq++}.`;

function readReport(file: string) {
  return (JSON.parse(readFileSync(file, 'utf8')) as Report).runs[0]!;
}

describe.skipIf(BROKERS === undefined)('event-driven wallet on a real Kafka broker', () => {
  const brokers = (BROKERS ?? '').split(',');
  const kafka = new Kafka({ clientId: 'walletstorm-test', brokers, logLevel: logLevel.NOTHING });

  describe('a poison record', () => {
    const prefix = uniquePrefix();
    let server: WalletServer;
    const players = ['p1', 'p2', 'p3'];

    beforeAll(async () => {
      const loaded = loadScenario('steady', ['players.count=3', 'wallet.event.partitions=4', 'wallet.event.consumers=2', 'wallet.event.commitEvery=1']);
      const scenario = compileScenario(loaded.scenario);
      const accounts = new Population(scenario.population).accounts;
      server = await startWalletServer({ model: 'event', scenario, players: accounts, seed: 1, host: '127.0.0.1', port: 0, kafka: { brokers, topicPrefix: prefix }, warn: (l) => warnings.push(l) });
    }, 60_000);
    afterAll(async () => server?.close(1000));
    /** What serve writes on stderr. */
    const warnings: string[] = [];

    it('lands in the DLQ with its reason and offset; balances stay; the consumer goes on', async () => {
      const balance = async (p: string) => ((await (await fetch(`${server.url}/wallet/balance/${p}`)).json()) as { balance: number }).balance;
      const before = await Promise.all(players.map(balance));
      const producer = kafka.producer();
      await producer.connect();
      const topic = `${prefix}wallet.commands`;
      // A plain client, not walletstorm's encoder: garbage, a wrong type, a negative amount, an unknown op.
      const poison = [
        { key: 'p1', value: 'this is not json' },
        { key: 'p2', value: JSON.stringify({ op: 'bet', txId: 'x1', playerId: 'p2', roundId: 'r', amount: '500', currency: 'EUR' }) },
        { key: 'p3', value: JSON.stringify({ op: 'bet', txId: 'x2', playerId: 'p3', roundId: 'r', amount: -500, currency: 'EUR' }) },
        { key: 'p1', value: JSON.stringify({ op: 'transfer', txId: 'x3', playerId: 'p1' }) },
      ];
      await producer.send({ topic, messages: poison, acks: -1 });
      // Then a good bet on the same partition as the first poison record.
      await producer.send({ topic, acks: -1, messages: [{ key: 'p1', value: JSON.stringify({ op: 'bet', txId: 'good-1', playerId: 'p1', roundId: 'r9', amount: 250, currency: 'EUR' }) }] });
      await producer.disconnect();

      const deadline = Date.now() + 20_000;
      while ((await balance('p1')) === before[0] && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await Promise.all(players.map(balance))).toEqual([before[0]! - 250, before[1], before[2]]);

      const letters = await readAll(kafka, `${prefix}wallet.commands.dlq`, 4);
      const reasons = letters.map((l) => l.reason).sort();
      expect(reasons).toEqual(['amount: Invalid input: expected number, received string', `amount: must be a positive safe integer (minor units, 1 to ${Number.MAX_SAFE_INTEGER})`, 'op: must be "bet", "win" or "rollback"', 'the value is not valid JSON'].sort());
      for (const l of letters) {
        expect(l.topic).toBe(topic);
        expect(Number.isInteger(Number(l.offset))).toBe(true);
      }
      const original = letters.find((l) => l.reason === 'the value is not valid JSON')!;
      expect(original.value).toBe('this is not json');
      // The count goes up when the DLQ acknowledges, which may come just after the records are readable.
      const health = async () => (await (await fetch(`${server.url}/healthz`)).json()) as { deadLetters: number; entries: number };
      const until = Date.now() + 5000;
      while ((await health()).deadLetters < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      expect((await health()).deadLetters).toBe(4);
      expect((await health()).entries).toBe(1);
      // The operator sees each one on stderr, where it came from and why (before: nothing).
      expect(warnings).toHaveLength(4);
      for (const l of letters) expect(warnings).toContain(`walletstorm serve: dead letter: ${topic} partition ${l.partition} offset ${l.offset}: ${l.reason} (sent to ${prefix}wallet.commands.dlq)\n`);
    });
  });

  describe('the hybrid wallet with its log on Kafka, driven over HTTP', () => {
    const prefix = uniquePrefix();
    let server: WalletServer;

    beforeAll(async () => {
      const scenario = compileScenario(loadScenario('steady', ['wallet.hybrid.partitions=4', 'wallet.hybrid.consumers=2']).scenario);
      const accounts = new Population(scenario.population).accounts;
      server = await startWalletServer({ model: 'hybrid', scenario, players: accounts, seed: 1, host: '127.0.0.1', port: 0, kafka: { brokers, topicPrefix: prefix } });
    }, 60_000);
    afterAll(async () => server?.close(1000));

    it('reserves at the API, settles through the broker, and stays consistent', async () => {
      const json = join(tmpdir(), `ws-kafka-hybrid-${process.pid}.json`);
      const r = await walletstormAsync(['load', 'steady', '--target', server.url, '--duration', '4', '--no-color', '--json', json], 120_000);
      expect(r.status, r.stderr).toBe(0);
      const run = readReport(json);
      expect(run.model).toBe('hybrid');
      expect(run.operations.logical).toBeGreaterThan(1000);
      expect([run.lost, run.duplicates, run.lateRejections, run.unsettled]).toEqual([0, 0, 0, 0]);
      expect(run.consistency.ok).toBe(true);
      // The posts went through the broker: the log applied one record per bet at least.
      expect(server.kafka!.log.stats.applied).toBeGreaterThanOrEqual(run.operations.byKind.bet);
    }, 130_000);

    it('is refused as load --target kafka:// --wallet: commands straight to its log would pass by its reservations (exit 2)', async () => {
      const r = await walletstormAsync(['load', 'steady', '--target', `kafka://${brokers[0]}`, '--wallet', server.url, '--topic-prefix', prefix, '--duration', '2', '--no-color'], 60_000);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain('E_BAD_TARGET');
      expect(r.stderr).toContain('runs the hybrid model: --target kafka:// would produce its commands past the API');
      expect(r.stderr).toContain(`load --target ${server.url}`);
    }, 70_000);
  });

  describe('load --wallet with a wallet that does not consume this run\'s commands topic', () => {
    const prefix = uniquePrefix();
    let onKafka: WalletServer;
    let offKafka: WalletServer;

    beforeAll(async () => {
      const scenario = compileScenario(loadScenario('steady', ['wallet.event.partitions=2']).scenario);
      const accounts = new Population(scenario.population).accounts;
      onKafka = await startWalletServer({ model: 'event', scenario, players: accounts, seed: 1, host: '127.0.0.1', port: 0, kafka: { brokers, topicPrefix: prefix } });
      offKafka = await startWalletServer({ model: 'event', scenario, players: accounts, seed: 1, host: '127.0.0.1', port: 0 });
    }, 60_000);
    afterAll(async () => Promise.all([onKafka?.close(1000), offKafka?.close(1000)]));

    it('another --topic-prefix is refused before the run, naming both topics (exit 2)', async () => {
      const other = uniquePrefix();
      const r = await walletstormAsync(['load', 'steady', '--target', `kafka://${brokers[0]}`, '--wallet', onKafka.url, '--topic-prefix', other, '--duration', '2', '--no-color'], 60_000);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain('E_WALLET_TOPICS');
      expect(r.stderr).toContain(`consumes ${prefix}wallet.commands`);
      expect(r.stderr).toContain(`${other}wallet.commands`);
      expect(r.stderr).toContain(`--topic-prefix ${prefix}`);
    }, 70_000);

    it('a wallet that is not on Kafka is refused before the run (exit 2)', async () => {
      const r = await walletstormAsync(['load', 'steady', '--target', `kafka://${brokers[0]}`, '--wallet', offKafka.url, '--topic-prefix', prefix, '--duration', '2', '--no-color'], 60_000);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain('E_WALLET_TOPICS');
      expect(r.stderr).toContain('is not on Kafka');
    }, 70_000);
  });

  describe('load --wallet with a wallet whose consumers crashed before the run', () => {
    const prefix = uniquePrefix();
    let server: WalletServer;

    beforeAll(async () => {
      // The crash fires once, after the first record the wallet applies: one record produced here.
      const crash = 'faults.consumerCrash={atSec: 0, afterRecords: 1, restartAfterSec: 0.5}';
      const scenario = compileScenario(loadScenario('steady', ['wallet.event.partitions=2', 'wallet.event.consumers=1', crash]).scenario);
      const accounts = new Population(scenario.population).accounts;
      server = await startWalletServer({ model: 'event', scenario, players: accounts, seed: 1, host: '127.0.0.1', port: 0, kafka: { brokers, topicPrefix: prefix } });
      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic: `${prefix}wallet.commands`, acks: -1, messages: [{ key: 'p1', value: JSON.stringify({ op: 'bet', txId: 'before-1', playerId: 'p1', roundId: 'r1', amount: 100, currency: 'EUR' }) }] });
      await producer.disconnect();
      const deadline = Date.now() + 20_000;
      while (server.kafka!.log.stats.consumerCrashes === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(server.kafka!.log.stats.consumerCrashes).toBeGreaterThan(0);
    }, 60_000);
    afterAll(async () => server?.close(1000));

    it("faults.consumerCrashes counts this run's crashes (none), not the wallet's since it started", async () => {
      const json = join(tmpdir(), `ws-kafka-earlier-crash-${process.pid}.json`);
      const r = await walletstormAsync(['load', 'steady', '--target', `kafka://${brokers[0]}`, '--wallet', server.url, '--topic-prefix', prefix, '--duration', '2', '--rate-scale', '0.1', '--no-color', '--json', json], 120_000);
      expect(r.status, r.stderr).toBe(0);
      // Before: 1, the crash before the run, so a gate `faults.consumerCrashes == 0` failed a run that saw none.
      expect(readReport(json).faults.consumerCrashes).toBe(0);
    }, 130_000);
  });

  it('serve on a prefix whose wallet group already committed offsets refuses to start (E_TOPICS_IN_USE, exit 2)', async () => {
    const prefix = uniquePrefix();
    const scenario = compileScenario(loadScenario('steady', ['players.count=3', 'wallet.event.partitions=2', 'wallet.event.commitEvery=1']).scenario);
    const accounts = new Population(scenario.population).accounts;
    const first = await startWalletServer({ model: 'event', scenario, players: accounts, seed: 1, host: '127.0.0.1', port: 0, kafka: { brokers, topicPrefix: prefix } });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: `${prefix}wallet.commands`, acks: -1, messages: [{ key: 'p1', value: JSON.stringify({ op: 'bet', txId: 'b1', playerId: 'p1', roundId: 'r1', amount: 100, currency: 'EUR' }) }] });
    await producer.disconnect();
    const deadline = Date.now() + 20_000;
    while (first.kafka!.log.stats.commits === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await first.close(1000);
    // A second wallet would resume after the bet, with p1's balance back at its initial value.
    const r = await walletstormAsync(['serve', '--model', 'event', '--brokers', brokers.join(','), '--topic-prefix', prefix, '--set', 'wallet.event.partitions=2', '--port', '0'], 30_000);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain('E_TOPICS_IN_USE');
    expect(r.stderr).toContain(`${prefix}wallet.commands`);
    expect(r.stderr).toContain('use a new --topic-prefix');
  }, 90_000);

  it('serve on a prefix whose wallet is running, before any commit, refuses to start (E_TOPICS_IN_USE, exit 2)', async () => {
    const prefix = uniquePrefix();
    const scenario = compileScenario(loadScenario('steady', ['players.count=3', 'wallet.event.partitions=2']).scenario);
    const accounts = new Population(scenario.population).accounts;
    const first = await startWalletServer({ model: 'event', scenario, players: accounts, seed: 1, host: '127.0.0.1', port: 0, kafka: { brokers, topicPrefix: prefix } });
    try {
      expect(first.kafka!.log.stats.commits).toBe(0);
      const r = await walletstormAsync(['serve', '--model', 'event', '--brokers', brokers.join(','), '--topic-prefix', prefix, '--set', 'wallet.event.partitions=2', '--port', '0'], 30_000);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain('E_TOPICS_IN_USE');
      expect(r.stderr).toMatch(/has \d+ members? on \S*wallet\.commands now: another wallet is serving these topics/);
      // The first wallet kept its partitions.
      expect(first.kafka!.log.backlog()).toBe(0);
    } finally {
      await first.close(1000);
    }
  }, 90_000);

  describe('load --target kafka://', () => {
    const target = `kafka://${brokers[0]}`;
    // 6 s of traffic at 500 rounds/s; --duration squeezes the scenario's 60 s and its fault times
    // with it: every consumer crashes at 2 s (the file's 20 s) and comes back 1 s later (10 s on
    // the scenario's timeline), replaying up to 500 records each from its last commit.
    const common = ['--duration', '6', '--rate-scale', '0.5', '--set', 'faults.consumerCrash.restartAfterSec=10', '--no-color'];

    it.each([
      ['off', (dup: number) => expect(dup).toBeGreaterThan(0)],
      ['on', (dup: number) => expect(dup).toBe(0)],
    ])('consumer-crash with the inbox %s: duplicates as the inbox decides, nothing lost', (inbox, checkDuplicates) => {
      const json = join(tmpdir(), `ws-kafka-crash-${inbox}-${process.pid}.json`);
      const r = walletstorm(['load', 'scenarios/consumer-crash.yaml', '--target', target, ...common, '--set', `wallet.inbox=${inbox}`, '--json', json], 150_000);
      expect(r.stderr).toContain('on Kafka');
      const run = readReport(json);
      expect(run.world).toBe('real');
      expect(run.transport).toBe('kafka');
      expect(run.faults.consumerCrashes).toBeGreaterThan(0);
      expect(run.lost).toBe(0);
      expect(run.unexpected).toBe(0);
      checkDuplicates(run.duplicates);
      expect(run.consistency.checkedBy).toBe('ledger-audit');
      expect(run.consistency.ok).toBe(inbox === 'on');
      expect(r.status).toBe(inbox === 'on' ? 0 : 1);
      expect(run.kafka!.resultsRead).toBeGreaterThanOrEqual(run.kafka!.produced);
      expect(run.latency.settlement.count).toBeGreaterThan(0);
      if (inbox === 'on') expect(run.kafka!.resultReplays).toBeGreaterThan(0);
    }, 160_000);

    it('a repeating consumerCrash under --duration stops with the squeezed traffic, in the wallet too', () => {
      const json = join(tmpdir(), `ws-kafka-crash-every-${process.pid}.json`);
      // 4 s of the file's 60: a crash at 1.33 s, then every 0.8 s (the file's 12 s) until the traffic ends.
      const started = Date.now();
      const r = walletstorm(['load', 'scenarios/consumer-crash.yaml', '--target', target, '--duration', '4', '--rate-scale', '0.05', '--set', 'faults.consumerCrash.everySec=12', '--no-color', '--json', json], 150_000);
      expect(r.status, r.stderr).toBe(0);
      const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
      const windows = report.scenario.faultWindows!.filter((w) => w.fault === 'consumerCrash').length;
      expect(windows).toBe(4);
      // 4 consumers a window (one window more at most: the wallet counts from its first record).
      // Before: the wallet kept the file's 60 s of traffic and crashed its consumers every 0.8 s
      // for a minute (196 crashes, max lag 59 s), and the run waited for it.
      expect(report.runs[0]!.faults.consumerCrashes).toBeLessThanOrEqual((windows + 1) * 4);
      expect(Date.now() - started).toBeLessThan(40_000);
    }, 160_000);

    it('an idempotent producer: the report and the summary say the one request in flight it ran with', () => {
      const json = join(tmpdir(), `ws-kafka-idempotent-${process.pid}.json`);
      const r = walletstorm(['load', 'steady', '--target', target, '--duration', '1', '--rate-scale', '0.05', '--set', 'kafka.idempotentProducer=on', '--no-color', '--json', json], 90_000);
      expect(r.status, r.stderr).toBe(0);
      // Before: maxInFlight 5 (the scenario's), though the producer is held to 1 when idempotent.
      expect(readReport(json).kafka!.producer).toMatchObject({ idempotent: true, maxInFlight: 1 });
      expect(r.stdout).toContain('1 in flight, idempotent on');
    }, 100_000);

    it('a wallet killed mid-run: exit 3 within seconds, not after the catch-up deadline', async () => {
      const json = join(tmpdir(), `ws-kafka-killed-${process.pid}.json`);
      const { output, exited } = walletstormLive(['load', 'scenarios/steady.yaml', '--target', target, '--duration', '8', '--rate-scale', '0.3', '--no-color', '--json', json]);
      const announced = Date.now();
      let walletPid: number | undefined;
      while (walletPid === undefined && Date.now() - announced < 60_000) {
        await new Promise((r) => setTimeout(r, 100));
        const pid = /\(pid (\d+), /.exec(output.stderr)?.[1];
        walletPid = pid === undefined ? undefined : Number(pid);
      }
      expect(walletPid, output.stderr).toBeDefined();
      // Into the traffic, so that commands are waiting for the dead wallet.
      await new Promise((r) => setTimeout(r, 2000));
      process.kill(walletPid!, 'SIGKILL');
      const killedAt = Date.now();
      const code = await exited;
      expect(code, output.stderr).toBe(3);
      expect(Date.now() - killedAt).toBeLessThan(10_000);
      expect(output.stderr).toContain('/healthz failed');
      expect(readReport(json).consistency.checkedBy).toBe('none');
    }, 120_000);

    it('WALLETSTORM_KAFKA_LOG shows kafkajs\'s log of the wallet it starts too, marked as the wallet\'s', () => {
      const r = spawnSync(process.execPath, [BIN, 'load', 'steady', '--target', target, '--duration', '1', '--rate-scale', '0.05', '--no-color'], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 90_000,
        env: { ...process.env, WALLETSTORM_KAFKA_LOG: 'info' },
      });
      expect(r.status, r.stderr).toBe(0);
      // The wallet's consumers joining their group: only the wallet's log has them.
      expect(r.stderr).toMatch(/^wallet: kafkajs info .*"groupId":"ws-[^"]*walletstorm-wallet"/m);
      expect(r.stderr).toMatch(/^kafkajs info .*walletstorm-load/m);
    }, 100_000);

    it('duplicateDelivery: the producer writes records twice; the inbox absorbs them', async () => {
      const json = join(tmpdir(), `ws-kafka-dup-${process.pid}.json`);
      const groupsBefore = await groupIds(kafka);
      const r = walletstorm(['load', 'scenarios/steady.yaml', '--target', target, '--duration', '4', '--set', 'faults.duplicateDelivery.rate=0.1', '--no-color', '--json', json], 120_000);
      expect(r.status, r.stderr).toBe(0);
      const run = readReport(json);
      expect(run.kafka!.producedTwice).toBeGreaterThan(0);
      // No connection pool over Kafka, as the README says (it read --connections' default, 64).
      expect(run.sends!.connections).toBe(0);
      expect(run.duplicates).toBe(0);
      expect(run.kafka!.resultReplays).toBeGreaterThanOrEqual(run.kafka!.producedTwice);
      // The inbox skipping the second copy answers no attempt: not a replay, as in the simulator.
      expect(run.replays).toBe(0);
      // Its topics are deleted at the end, and so are its wallet's group and its results reader's.
      const left = [...(await groupIds(kafka))].filter((g) => !groupsBefore.has(g) && /walletstorm-(wallet|load)$/.test(g));
      expect(left).toEqual([]);
    }, 130_000);

    it('the traffic faults: a hot player and cancelled rounds go through the broker as over HTTP; the wallet takes one side of each race', () => {
      const json = join(tmpdir(), `ws-kafka-traffic-${process.pid}.json`);
      const faults = ['--set', 'faults.roundCancel.rate=0.3', '--set', 'faults.hotPlayer={share: 0.2}'];
      const r = walletstorm(['load', 'scenarios/steady.yaml', '--target', target, '--duration', '4', ...faults, '--no-color', '--json', json], 120_000);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('not applied');
      const run = readReport(json);
      expect(run.faults.roundsCancelled).toBeGreaterThan(0);
      expect(run.faults.hotPlayerRounds).toBeGreaterThan(0);
      expect([run.duplicates, run.unrefundedRollbacks, run.lost]).toEqual([0, 0, 0]);
      expect(run.consistency.ok).toBe(true);
    }, 130_000);
  });
});

/**
 * A broker of this test's own (other ports, its own data), so that stopping it mid-run disturbs
 * no other test: the load keeps producing into the gap, and once the broker is back nothing is
 * lost, the wallet converges, and the report shows the gap.
 */
function pick<T extends object>(o: T, keys: readonly (keyof T)[]): Partial<T> {
  return Object.fromEntries(keys.map((k) => [k, o[k]])) as Partial<T>;
}

describe.skipIf(BROKERS === undefined)('a broker lost mid-run', () => {
  const script = join(ROOT, 'scripts', 'kafka-local.sh');
  let state: string | undefined;
  let env: NodeJS.ProcessEnv = {};
  let port = 0;
  const broker = (command: 'start' | 'stop') => execFileSync(script, [command], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 90_000 });
  const removeState = () => {
    if (state !== undefined) rmSync(state, { recursive: true, force: true });
    state = undefined;
  };

  // Its ports are picked now, not fixed: two runs on one machine, or a service on a fixed port,
  // would collide. One taken between the pick and the start fails the start: new ports, and a
  // new data directory (its metadata names the controller's address), up to three times.
  beforeAll(async () => {
    for (let attempt = 1; ; attempt++) {
      const [kafkaPort, controllerPort] = await freePorts(2);
      state = mkdtempSync(join(tmpdir(), 'ws-kafka-gap-'));
      env = { ...process.env, KAFKA_STATE_DIR: state, KAFKA_PORT: String(kafkaPort), KAFKA_CONTROLLER_PORT: String(controllerPort) };
      try {
        broker('start');
        port = kafkaPort!;
        return;
      } catch (e) {
        // A start cut by its timeout may have left the JVM running.
        try {
          broker('stop');
        } catch {}
        removeState();
        if (attempt === 3) throw e;
      }
    }
  }, 300_000);
  afterAll(() => {
    if (state !== undefined) broker('stop');
    removeState();
  }, 60_000);

  it('retries with backoff, shows the gap, and loses nothing once it returns', async () => {
    const json = join(tmpdir(), `ws-kafka-gap-${process.pid}.json`);
    const { output, exited } = walletstormLive(['load', 'scenarios/steady.yaml', '--target', `kafka://127.0.0.1:${port}`, '--duration', '12', '--rate-scale', '0.4', '--no-color', '--json', json]);
    // Wait until the wallet has applied traffic (not just until the run is announced), then take
    // the broker away for a few seconds.
    const started = Date.now();
    let applied = 0;
    while (applied === 0 && Date.now() - started < 90_000) {
      await new Promise((r) => setTimeout(r, 200));
      const url = /(http:\/\/127\.0\.0\.1:\d+)\)/.exec(output.stderr)?.[1];
      if (url === undefined) continue;
      const health = await fetch(`${url}/healthz`).then((r) => r.json() as Promise<{ kafka?: { applied: number } }>, () => undefined);
      applied = health?.kafka?.applied ?? 0;
    }
    expect(applied, output.stderr).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1500));
    broker('stop');
    await new Promise((r) => setTimeout(r, 3000));
    broker('start');
    const code = await exited;
    // On a failure, what the run saw, so that a flaky broker is told from a bug.
    const seen = code === 0 ? '' : JSON.stringify(pick(readReport(json), ['unsettled', 'convergenceMs', 'lost', 'duplicates']), null, 0) + JSON.stringify(readReport(json).kafka);
    expect(code, `${output.stderr}\n${seen}`).toBe(0);
    const run = readReport(json);
    expect(run.kafka!.producerGaps.length).toBeGreaterThan(0);
    expect(run.kafka!.longestGapMs).toBeGreaterThan(3000);
    expect(run.lost).toBe(0);
    expect(run.duplicates).toBe(0);
    expect(run.unsettled).toBe(0);
    expect(run.consistency.ok).toBe(true);
    expect(run.convergenceMs).not.toBeNull();
    expect(run.kafka!.produceFailed).toBe(0);
  }, 240_000);

  it('interrupted while the broker is away: the partial report and exit 130 within seconds, not after kafkajs\'s retries of every clean-up call', async () => {
    broker('start');
    const json = join(tmpdir(), `ws-kafka-gap-int-${process.pid}.json`);
    rmSync(json, { force: true });
    const { child, output, exited } = walletstormLive(['load', 'scenarios/steady.yaml', '--target', `kafka://127.0.0.1:${port}`, '--duration', '60', '--rate-scale', '0.2', '--no-color', '--json', json]);
    const started = Date.now();
    while (!/applied by a local event-driven wallet/.test(output.stderr) && Date.now() - started < 90_000) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 2000));
    broker('stop');
    await new Promise((r) => setTimeout(r, 3000));
    const interruptedAt = Date.now();
    child.kill('SIGINT');
    const code = await exited;
    const tookMs = Date.now() - interruptedAt;
    broker('start');
    expect(code, output.stderr).toBe(130);
    // 3 s of drain, 2 s for the wallet's group, a few for the clean-up; it took 35 to 60 s.
    expect(tookMs, output.stderr).toBeLessThan(25_000);
    const run = readReport(json);
    expect(run.interrupted).toBe(true);
    expect(run.kafka!.producerGaps.length).toBeGreaterThan(0);
  }, 240_000);
});

async function groupIds(kafka: Kafka): Promise<Set<string>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    return new Set((await admin.listGroups()).groups.map((g) => g.groupId));
  } finally {
    await admin.disconnect();
  }
}

/** Reads a topic from its start until n records arrived (or 20 s passed). */
async function readAll(kafka: Kafka, topic: string, n: number): Promise<{ reason: string; topic: string; partition: number; offset: string; value: string | null }[]> {
  const consumer = kafka.consumer({ groupId: `reader-${topic}-${Date.now()}` });
  const out: { reason: string; topic: string; partition: number; offset: string; value: string | null }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => void out.push(JSON.parse(message.value!.toString())) });
  const deadline = Date.now() + 20_000;
  while (out.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  return out;
}
