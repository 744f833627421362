import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';

/**
 * `count` distinct TCP ports free on 127.0.0.1 now, for a server a test starts in another
 * process (a Kafka broker of its own). Picked at random below the kernel's ephemeral range, not
 * by listening on port 0: a client that keeps reconnecting to a port in that range while nothing
 * listens there (a broker stopped on purpose) can be handed that very port as its own and
 * connect to itself, and the server cannot come back on it. Each port is checked by listening on
 * it, and all are held until every one is found, so they differ. Another process may still take
 * one before it is used: a caller starting a server on them retries with new ones.
 */
export async function freePorts(count: number, range?: { readonly lowPort: number; readonly highPort: number }): Promise<number[]> {
  // A range is for the picker's own test: a narrow one makes a pick of a taken port likely.
  // WALLETSTORM_TEST_PORTS=LOW-HIGH keeps these servers within the ports a shared machine gave this run.
  const given = range ?? rangeFromEnv();
  const low = given?.lowPort ?? 10_000;
  const high = given?.highPort ?? Math.max(low + 1000, ephemeralStart() - 1);
  const held: Server[] = [];
  try {
    for (let tries = 0; held.length < count; tries++) {
      if (tries === 1000) throw new Error(`no ${count} free ports on 127.0.0.1 between ${low} and ${high} in 1000 tries`);
      const server = await listening(low + Math.floor(Math.random() * (high - low + 1)));
      if (server !== undefined) held.push(server);
    }
    return held.map((s) => (s.address() as AddressInfo).port);
  } finally {
    await Promise.all(held.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/** A server listening on `port`, or undefined if the port is taken. */
function listening(port: number): Promise<Server | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

function rangeFromEnv(): { lowPort: number; highPort: number } | undefined {
  const m = /^(\d+)-(\d+)$/.exec(process.env.WALLETSTORM_TEST_PORTS ?? '');
  return m === null ? undefined : { lowPort: Number(m[1]), highPort: Number(m[2]) };
}

/** The first port the kernel hands out to clients (Linux; 32768 where it cannot be read). */
function ephemeralStart(): number {
  try {
    const first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(first) && first > 0 ? first : 32768;
  } catch {
    return 32768;
  }
}
