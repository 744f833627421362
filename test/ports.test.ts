import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePorts } from './support/ports.js';

const listen = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject).listen(port, '127.0.0.1', () => resolve(server));
  });
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

describe('freePorts (for servers a test starts in another process, such as its own Kafka broker)', () => {
  it('gives distinct ports, free on loopback, below the ephemeral range, and others while those are taken', async () => {
    const ports = await freePorts(2);
    expect(new Set(ports).size).toBe(2);
    const ephemeral = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0]);
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(ephemeral);
    }
    // Another run (or service) holding those two: a second pick goes around them.
    const held = await Promise.all(ports.map(listen));
    try {
      const others = await freePorts(2);
      expect(others.filter((p) => ports.includes(p))).toEqual([]);
    } finally {
      await Promise.all(held.map(close));
    }
  });
});
