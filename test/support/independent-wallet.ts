/**
 * A request-driven wallet written from docs/protocol.md alone, not from the reference server's
 * code: its own ledger, idempotency store, tombstones, paging and reads, over node:http. The
 * checker must find it consistent under every traffic a request-driven wallet serves: a false
 * alarm against a correct wallet that is not walletstorm's own is the second-worst failure a
 * gate can have (the worst is passing a broken one: test/load.planted.test.ts).
 *
 * Deliberately plain (one Map per kind of state, no worker pool, no metrics): it keeps the rules,
 * and lists what the protocol asks it to list.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

type Kind = 'bet' | 'win' | 'rollback';
type Body = Record<string, unknown>;

interface Account {
  balance: number;
  readonly currency: string;
}

interface Bet {
  readonly playerId: string;
  readonly roundId: string;
  readonly amount: number;
  state: 'open' | 'won' | 'rolled-back';
}

interface Entry {
  readonly seq: number;
  readonly txId: string;
  readonly type: Kind;
  readonly playerId: string;
  readonly amount: number;
  readonly refTxId?: string;
  readonly opRef?: string;
  readonly appliedAt: string;
  readonly appliedAtEpochMs: number;
}

const STATUS: Readonly<Record<string, number>> = {
  OK: 200,
  INSUFFICIENT_FUNDS: 402,
  DUPLICATE_MISMATCH: 409,
  BET_NOT_FOUND: 404,
  BET_ROLLED_BACK: 409,
  ALREADY_SETTLED: 409,
  PLAYER_NOT_FOUND: 404,
  CURRENCY_MISMATCH: 422,
  INVALID_REQUEST: 400,
};

class Wallet {
  private readonly accounts = new Map<string, Account>();
  /** Every txId decided, whatever its kind: its content and its answer's code. */
  private readonly decided = new Map<string, { readonly kind: Kind; readonly content: string; readonly code: string }>();
  private readonly bets = new Map<string, Bet>();
  /** Rollbacks of bets never seen: the bet's txId and the player the rollback named. */
  private readonly tombstones = new Map<string, string>();
  readonly entries: Entry[] = [];

  constructor(playerCount: number, initialBalance: number, currency: string) {
    for (let i = 0; i < playerCount; i++) this.accounts.set(`p${i}`, { balance: initialBalance, currency });
  }

  get players(): ReadonlyMap<string, Account> {
    return this.accounts;
  }

  money(kind: Kind, b: Body, opRef: string | undefined): [number, Body] {
    const bad = malformed(kind, b);
    if (bad !== undefined) return [400, { code: 'INVALID_REQUEST', message: bad }];
    const txId = b.txId as string;
    const account = this.accounts.get(b.playerId as string);
    if (account === undefined) return [404, { code: 'PLAYER_NOT_FOUND' }];
    const content = JSON.stringify([kind, b.playerId, b.roundId, b.amount, b.currency, b.betTxId, b.refTxId]);
    const known = this.decided.get(txId);
    if (known !== undefined) {
      if (known.kind !== kind || known.content !== content) return [409, { code: 'DUPLICATE_MISMATCH', balance: account.balance }];
      return [STATUS[known.code]!, { code: known.code, balance: account.balance, replay: true }];
    }
    const code = kind === 'bet' ? this.bet(b, account, opRef) : kind === 'win' ? this.win(b, account, opRef) : this.rollback(b, account, opRef);
    this.decided.set(txId, { kind, content, code });
    return [STATUS[code]!, { code, balance: account.balance }];
  }

  private bet(b: Body, account: Account, opRef: string | undefined): string {
    const { txId, playerId, roundId, amount, currency } = b as { txId: string; playerId: string; roundId: string; amount: number; currency: string };
    if (currency !== account.currency) return 'CURRENCY_MISMATCH';
    const tombstone = this.tombstones.get(txId);
    if (tombstone !== undefined) return tombstone === playerId ? 'BET_ROLLED_BACK' : 'INVALID_REQUEST';
    if (account.balance < amount) return 'INSUFFICIENT_FUNDS';
    account.balance -= amount;
    this.bets.set(txId, { playerId, roundId, amount, state: 'open' });
    this.append({ txId, type: 'bet', playerId, amount, opRef });
    return 'OK';
  }

  private win(b: Body, account: Account, opRef: string | undefined): string {
    const { txId, betTxId, playerId, roundId, amount, currency } = b as { txId: string; betTxId: string; playerId: string; roundId: string; amount: number; currency: string };
    if (currency !== account.currency) return 'CURRENCY_MISMATCH';
    if (betTxId === txId || this.namesNoBet(betTxId)) return 'INVALID_REQUEST';
    const bet = this.bets.get(betTxId);
    if (bet === undefined) return 'BET_NOT_FOUND';
    if (bet.playerId !== playerId || bet.roundId !== roundId) return 'INVALID_REQUEST';
    if (bet.state === 'rolled-back') return 'BET_ROLLED_BACK';
    if (bet.state === 'won') return 'ALREADY_SETTLED';
    if (account.balance + amount > Number.MAX_SAFE_INTEGER) return 'INVALID_REQUEST';
    bet.state = 'won';
    account.balance += amount;
    this.append({ txId, type: 'win', playerId, amount, refTxId: betTxId, opRef });
    return 'OK';
  }

  private rollback(b: Body, account: Account, opRef: string | undefined): string {
    const { txId, refTxId, playerId } = b as { txId: string; refTxId: string; playerId: string };
    if (refTxId === txId || this.namesNoBet(refTxId)) return 'INVALID_REQUEST';
    const bet = this.bets.get(refTxId);
    if (bet === undefined) {
      const tombstone = this.tombstones.get(refTxId);
      if (tombstone !== undefined && tombstone !== playerId) return 'INVALID_REQUEST';
      this.tombstones.set(refTxId, playerId);
      this.append({ txId, type: 'rollback', playerId, amount: 0, refTxId, opRef });
      return 'OK';
    }
    if (bet.playerId !== playerId) return 'INVALID_REQUEST';
    if (bet.state === 'won') return 'ALREADY_SETTLED';
    const refund = bet.state === 'open' ? bet.amount : 0;
    bet.state = 'rolled-back';
    account.balance += refund;
    this.append({ txId, type: 'rollback', playerId, amount: refund, refTxId, opRef });
    return 'OK';
  }

  /** A txId the wallet applied as a win or a rollback, or refused as one: no bet can come under it. */
  private namesNoBet(txId: string): boolean {
    const known = this.decided.get(txId);
    return known !== undefined && known.kind !== 'bet';
  }

  private append(e: { txId: string; type: Kind; playerId: string; amount: number; refTxId?: string; opRef: string | undefined }): void {
    const now = Date.now();
    const { opRef, refTxId, ...rest } = e;
    this.entries.push({
      seq: this.entries.length,
      ...rest,
      ...(refTxId !== undefined && { refTxId }),
      ...(opRef !== undefined && { opRef }),
      appliedAt: new Date(now).toISOString(),
      appliedAtEpochMs: now,
    });
  }
}

function malformed(kind: Kind, b: Body): string | undefined {
  const id = (v: unknown) => typeof v === 'string' && v.length > 0 && v.length <= 256;
  if (typeof b !== 'object' || b === null || Array.isArray(b)) return 'body: must be a JSON object';
  if (!id(b.txId) || !id(b.playerId)) return 'txId, playerId: must be non-empty strings';
  if (kind === 'rollback') return id(b.refTxId) ? undefined : 'refTxId: must be a non-empty string';
  if (!id(b.roundId) || typeof b.currency !== 'string') return 'roundId, currency: must be strings';
  if (kind === 'win' && !id(b.betTxId)) return 'betTxId: must be a non-empty string';
  const min = kind === 'bet' ? 1 : 0;
  return Number.isSafeInteger(b.amount) && (b.amount as number) >= min ? undefined : 'amount: must be a safe integer of minor units';
}

/** `after` and `limit` of a paged read, or undefined when they are not what the protocol takes. */
function paging(url: URL): { after: number; limit: number } | undefined {
  const after = url.searchParams.get('after') ?? '-1';
  const limit = url.searchParams.get('limit') ?? '1000';
  if (!/^-?\d+$/.test(after) || !/^\d+$/.test(limit)) return undefined;
  const page = { after: Number(after), limit: Number(limit) };
  return page.after < -1 || page.limit > 10_000 ? undefined : page;
}

/** Rows after position `after` (positions are indices here), and the `next` docs/protocol.md's Paging defines. */
function pageOf<T>(rows: readonly T[], after: number, limit: number): { items: T[]; next: number | null } {
  const items = rows.slice(after + 1, after + 1 + limit);
  if (limit === 0) return { items, next: after + 1 < rows.length ? after : null };
  const last = after + items.length;
  return { items, next: last < rows.length - 1 ? last : null };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

function route(wallet: Wallet, req: IncomingMessage, text: string, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://wallet');
  const money = /^\/wallet\/(bet|win|rollback)$/.exec(url.pathname);
  if (money !== null && req.method === 'POST') {
    if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) return send(res, 415, { code: 'INVALID_REQUEST' });
    let body: Body;
    try {
      body = JSON.parse(text) as Body;
    } catch {
      return send(res, 400, { code: 'INVALID_REQUEST', message: 'not JSON' });
    }
    const header = req.headers['walletstorm-op-ref'];
    const opRef = typeof header === 'string' && /^\d{1,15}$/.test(header) ? String(Number(header)) : undefined;
    const [status, answer] = wallet.money(money[1] as Kind, body, opRef);
    return send(res, status, answer);
  }
  if (req.method !== 'GET') return send(res, 405, { code: 'INVALID_REQUEST' });
  const one = /^\/wallet\/balance\/([^/]+)$/.exec(url.pathname);
  if (one !== null) {
    const account = wallet.players.get(decodeURIComponent(one[1]!));
    return account === undefined ? send(res, 404, { code: 'PLAYER_NOT_FOUND' }) : send(res, 200, { code: 'OK', balance: account.balance });
  }
  const lists: Record<string, (after: number, limit: number) => Body> = {
    '/wallet/balances': (after, limit) => {
      const rows = [...wallet.players].map(([playerId, a]) => ({ playerId, balance: a.balance, currency: a.currency }));
      const { items, next } = pageOf(rows, after, limit);
      return { balances: items, next };
    },
    '/wallet/transactions': (after, limit) => {
      const { items, next } = pageOf(wallet.entries, after, limit);
      return { transactions: items, next, lastSeq: wallet.entries.length - 1 };
    },
    // Request-driven: every refusal is in its answer, so there is none to list.
    '/wallet/refusals': () => ({ refusals: [], next: null, lastSeq: -1 }),
  };
  const list = lists[url.pathname];
  if (list !== undefined) {
    const page = paging(url);
    return page === undefined ? send(res, 400, { code: 'INVALID_REQUEST' }) : send(res, 200, list(page.after, page.limit));
  }
  if (url.pathname === '/healthz') return send(res, 200, { status: 'ok', model: 'request', busy: false, queueDepth: 0, logLagMs: 0, logBacklog: 0 });
  send(res, 404, { code: 'INVALID_REQUEST' });
}

export interface IndependentWallet {
  readonly url: string;
  /** Closes at once, connections and all (the argument, a grace period for the reference server's close, is ignored). */
  close(graceMs?: number): Promise<void>;
}

/** The wallet on 127.0.0.1 (a port of the system's choosing), holding players p0 … p<count-1>. */
export async function startIndependentWallet(players: { readonly count: number; readonly initialBalance: number; readonly currency: string }): Promise<IndependentWallet> {
  const wallet = new Wallet(players.count, players.initialBalance, players.currency);
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => route(wallet, req, Buffer.concat(chunks).toString('utf8'), res));
  });
  server.on('connection', (socket) => socket.setNoDelay(true));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
