/**
 * ControlClient's balance reads at the end of a run: GET /wallet/balance/:playerId for many
 * players, several at once, a read refused for now (a request-driven wallet reads balances
 * through its workers and may answer 503) tried again, any other failure ending the reading.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, whyReadFailed } from '../src/drivers/http/audit.js';

let server: Server | undefined;
let control: ControlClient | undefined;

afterEach(async () => {
  await control?.close();
  if (server !== undefined) await new Promise((resolve) => server!.close(resolve));
  server = control = undefined;
});

/** A wallet whose answer to the nth read of a player (from 1) is `answer(playerId, n)`; the reads are counted. */
async function walletAnswering(answer: (playerId: string, n: number) => { status: number; body: unknown }): Promise<{ reads: Map<string, number> }> {
  const reads = new Map<string, number>();
  server = createServer((req, res) => {
    const playerId = decodeURIComponent(req.url!.slice('/wallet/balance/'.length));
    const n = (reads.get(playerId) ?? 0) + 1;
    reads.set(playerId, n);
    const { status, body } = answer(playerId, n);
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  control = new ControlClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return { reads };
}

const ids = Array.from({ length: 100 }, (_, i) => `p${i}`);

describe('ControlClient.balances', () => {
  it('reads every player, leaves out the ones the wallet does not know, and tries a read refused for now again', async () => {
    const { reads } = await walletAnswering((id, n) => {
      if (id === 'p13') return { status: 404, body: { code: 'PLAYER_NOT_FOUND' } };
      // Every third player is refused twice first, as OVERLOADED, TEMPORARY_ERROR, or a bare 503.
      const refusals = [{ status: 503, body: { code: 'OVERLOADED' } }, { status: 503, body: { code: 'TEMPORARY_ERROR' } }, { status: 503, body: 'busy' }];
      if (Number(id.slice(1)) % 3 === 0 && n <= 2) return refusals[(Number(id.slice(1)) + n) % 3]!;
      return { status: 200, body: { code: 'OK', balance: Number(id.slice(1)) * 10 } };
    });
    const balances = await control!.balances(ids);
    expect(balances.size).toBe(99);
    expect(balances.has('p13')).toBe(false);
    for (const id of ids) if (id !== 'p13') expect(balances.get(id)).toBe(Number(id.slice(1)) * 10);
    expect(reads.get('p3')).toBe(3);
    expect(reads.get('p4')).toBe(1);
  });

  it('gives up on a read still refused after its retries, saying how often it tried', async () => {
    await walletAnswering((id) => (id === 'p7' ? { status: 503, body: { code: 'OVERLOADED' } } : { status: 200, body: { code: 'OK', balance: 1 } }));
    await expect(control!.balances(ids)).rejects.toThrow('GET /wallet/balance/p7 answered 503 without a balance (4 tries)');
  });

  it('stops at the first failure that is no refusal for now, without reading the players after it', async () => {
    const { reads } = await walletAnswering((id) => (id === 'p0' ? { status: 500, body: {} } : { status: 200, body: { code: 'OK', balance: 1 } }));
    const many = Array.from({ length: 2000 }, (_, i) => `p${i}`);
    await expect(control!.balances(many)).rejects.toThrow('GET /wallet/balance/p0 answered 500 without a balance');
    expect(reads.get('p0')).toBe(1);
    // The reads already in flight finish; no lane takes another player after the failure.
    expect(reads.size).toBeLessThan(500);
  });
});

/** A wallet whose every GET is answered with this status, content and body text. */
async function listAnswering(status: number, text: string, type = 'application/json'): Promise<void> {
  server = createServer((_req, res) => res.writeHead(status, { 'content-type': type }).end(text));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  control = new ControlClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
}

describe('ControlClient: a list that is not one says what came instead', () => {
  it('a status other than 200 is named, with the start of the body', async () => {
    await listAnswering(500, '{"error":"boom"}');
    await expect(control!.transactions(-1, 0)).rejects.toThrow('/wallet/transactions answered something that is not a page of its list (HTTP 500, "{\\"error\\":\\"boom\\"}")');
  });

  it('a body that is not JSON is quoted, not described as "expected object, received undefined"', async () => {
    await listAnswering(200, '<html>hello</html>', 'text/html');
    await expect(control!.allBalances()).rejects.toThrow('/wallet/balances answered something that is not a page of its list (not JSON: "<html>hello</html>")');
  });

  it('a balances listing whose `next` does not move past its `after` is refused, not asked for the same page for ever', async () => {
    // An off-by-one that answers `next: after`: the old loop asked for the first page again and again (the run hung before its traffic).
    await listAnswering(200, '{"balances":[{"playerId":"p0","balance":1,"currency":"EUR"}],"next":-1}');
    await expect(control!.allBalances()).rejects.toThrow("/wallet/balances answered `next: -1` to a page of rows after -1: `next` must be the position of the page's last row, past `after`; see docs/protocol.md, Paging");
  }, 5000);

  it('JSON of the wrong shape names the field', async () => {
    await listAnswering(200, '{"status":"fine"}');
    await expect(control!.refusals(-1, 0)).rejects.toThrow(/\/wallet\/refusals answered something that is not a page of its list \(field refusals: .*expected array/);
  });
});

describe('whyReadFailed: what a failed control read is called in a message', () => {
  it('a read that got no answer in time says what it waited for, not the DOMException code 23', async () => {
    server = createServer(() => {});
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    control = new ControlClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const cause = await control.get('/healthz', 200).then(() => undefined, (e: unknown) => e);
    expect(whyReadFailed(cause, '/healthz', 200)).toBe('no answer to GET /healthz within 0.2 s');
    server.closeAllConnections();
  });

  it('a refused connection keeps its code', async () => {
    control = new ControlClient('http://127.0.0.1:9');
    const cause = await control.get('/healthz', 2000).then(() => undefined, (e: unknown) => e);
    expect(whyReadFailed(cause, '/healthz', 2000)).toBe('ECONNREFUSED');
  });
});
