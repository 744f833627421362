import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { freePorts } from './support/ports.js';

const listen = (port: number) =>
  new Promise<Server>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject).listen(port, '127.0.0.1', () => resolve(server));
  });
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** `count` consecutive ports held here, with the one after them free. */
async function heldRun(count: number): Promise<Server[]> {
  for (let tries = 0; tries < 50; tries++) {
    const [first] = await freePorts(1);
    const held: Server[] = [];
    try {
      for (let i = 0; i < count; i++) held.push(await listen(first! + i));
      // The port after them must be free now; it is only checked, not held.
      await close(await listen(first! + count));
      return held;
    } catch {
      await Promise.all(held.map(close));
    }
  }
  throw new Error(`no ${count + 1} consecutive free ports in 50 tries`);
}

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

  it('never gives a taken port: among four, three held, every pick is the fourth', async () => {
    // Over the whole range a pick that skipped the check would miss two held ports anyway (the
    // test above passes without it); here a blind pick is a held port three times in four.
    const held = await heldRun(3);
    const free = (held.at(-1)!.address() as AddressInfo).port + 1;
    try {
      for (let i = 0; i < 8; i++) expect(await freePorts(1, { lowPort: free - 3, highPort: free })).toEqual([free]);
    } finally {
      await Promise.all(held.map(close));
    }
  });
});
