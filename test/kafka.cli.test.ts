/** The Kafka flags' errors: these need no broker (a closed port stands for an absent one). */
import { createServer, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { walletstorm, walletstormAsync } from './support/cli.js';

describe('Kafka targets without a broker', () => {
  it('load --target kafka:// with no broker: a clear message and exit 3 within seconds', () => {
    const started = Date.now();
    const r = walletstorm(['load', 'steady', '--target', 'kafka://127.0.0.1:1', '--duration', '1', '--no-color'], 30_000);
    expect(r.status, r.stderr).toBe(3);
    // What went wrong, not a timeout that hides it.
    expect(r.stderr).toContain('cannot reach the Kafka broker at 127.0.0.1:1 (connect ECONNREFUSED 127.0.0.1:1)');
    expect(r.stderr).toContain('scripts/kafka-local.sh start');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('load --target kafka:// at a port that accepts and never answers (not a broker, or a hung one): exit 3 within seconds, not after kafkajs\'s 30 s request timeout', async () => {
    const held: Socket[] = [];
    const silent = createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    try {
      const started = Date.now();
      const r = await walletstormAsync(['load', 'steady', '--target', `kafka://127.0.0.1:${port}`, '--duration', '1', '--no-color'], 60_000);
      expect(r.status, r.stderr).toBe(3);
      expect(r.stderr).toContain(`cannot reach the Kafka broker at 127.0.0.1:${port} (no answer within 4 s)`);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      held.forEach((s) => s.destroy());
      silent.close();
    }
  }, 70_000);

  it('serve --brokers with no broker: exit 3', () => {
    const r = walletstorm(['serve', '--model', 'event', '--brokers', '127.0.0.1:1', '--port', '0'], 30_000);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain('E_BROKER_UNREACHABLE');
  });

  it.each([
    [['serve', '--model', 'request', '--brokers', '127.0.0.1:9092'], 'the request-driven wallet has no log'],
    [['serve', '--model', 'event', '--brokers', '10.0.0.7:9092'], 'on loopback'],
    [['serve', '--model', 'event', '--brokers', '127.0.0.1:9092', '--topic-prefix', 'a/b'], '--topic-prefix'],
    // Without --brokers there are no topics: the prefix would be ignored, and the wallet's log would not be where the user thinks.
    [['serve', '--model', 'event', '--topic-prefix', 'mine.', '--port', '0'], '--topic-prefix goes with --brokers'],
    [['load', 'steady', '--target', 'kafka://192.168.1.2:9092'], 'on loopback'],
    [['load', 'steady', '--target', 'kafka://127.0.0.1:9092', '--model', 'hybrid'], 'drives the event-driven wallet'],
    // Given, request is refused as hybrid is (over Kafka the wallet is event-driven); left out, it is the default and fine.
    [['load', 'steady', '--target', 'kafka://127.0.0.1:9092', '--model', 'request'], 'not --model request'],
    [['load', 'steady', '--wallet', 'http://127.0.0.1:8080'], '--wallet goes with --target kafka://'],
    // Not a URL either: that it does not belong without Kafka is what is said.
    [['load', 'steady', '--wallet', 'wallet:8080'], '--wallet goes with --target kafka://'],
    [['load', 'steady', '--target', 'kafka://127.0.0.1:1', '--topic-prefix', 'mine.'], '--topic-prefix goes with --wallet'],
    // No connection pool over Kafka: a --connections would be ignored without a word (left out, the default is fine).
    [['load', 'steady', '--target', 'kafka://127.0.0.1:1', '--connections', '8'], '--connections goes with an HTTP target'],
    [['load', 'steady', '--target', 'kafka://127.0.0.1:1', '--wallet', 'wallet:8080'], '--wallet must be an http:// URL, got "wallet:8080"'],
    [['load', 'steady', '--target', 'kafka://127.0.0.1:1', '--wallet', 'http://10.0.0.7:8080'], 'refusing to send load to 10.0.0.7 (--wallet)'],
  ])('%j is a usage error (exit 2)', (args, message) => {
    const r = walletstorm(args, 30_000);
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
