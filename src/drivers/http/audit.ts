import { Pool } from 'undici';
import type { z } from 'zod';
import { isRetriable, type ResultCode } from '../../domain/results.js';
import { balancesPage, refusalsPage, transactionsPage, type BalancesPage, type RefusalsPage, type TransactionsPage } from './protocol.js';

/**
 * Players' balances read at once, one request each: a wallet that reads them through its workers
 * (request-driven, a few ms each) serves 20,000 players in seconds this way, in a minute on two
 * connections one batch after another.
 */
const BALANCE_READS_AT_ONCE = 32;
/** A balance read refused for now (OVERLOADED, TEMPORARY_ERROR, 429, 503) is tried again this many times, the wait doubling. */
const BALANCE_READ_RETRIES = 3;
const BALANCE_READ_BACKOFF_MS = 100;

/**
 * The control channel to a wallet: health, audit pages and balances, on connections of its
 * own so that reading the audit never competes with the load (and the load's late/dropped
 * counts never include it). During the run it has one request at a time in flight (health);
 * only the balance reads at the end open more connections.
 */
export class ControlClient {
  private readonly pool: Pool;

  constructor(readonly origin: string) {
    this.pool = new Pool(origin, { connections: BALANCE_READS_AT_ONCE, pipelining: 1, keepAliveTimeout: 10_000, connect: { timeout: 3000 } });
  }

  /** GET a path; the status, the parsed JSON body (undefined when not JSON) and its text. */
  async get(path: string, timeoutMs = 5000): Promise<{ status: number; body: unknown; text: string }> {
    const res = await this.pool.request({ path, method: 'GET', signal: AbortSignal.timeout(timeoutMs), headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    const text = await res.body.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    return { status: res.statusCode, body, text };
  }

  /** Health as the reference server reports it, or undefined for a target without /healthz. */
  async health(timeoutMs = 2000): Promise<Health | undefined> {
    const { status, body } = await this.get('/healthz', timeoutMs);
    if (status !== 200 || typeof body !== 'object' || body === null) return undefined;
    const b = body as Partial<Health>;
    return {
      model: typeof b.model === 'string' ? b.model : undefined,
      busy: b.busy === true,
      queueDepth: typeof b.queueDepth === 'number' ? b.queueDepth : 0,
      logLagMs: typeof b.logLagMs === 'number' ? b.logLagMs : 0,
      logBacklog: typeof b.logBacklog === 'number' ? b.logBacklog : 0,
      consumerCrashes: typeof b.consumerCrashes === 'number' ? b.consumerCrashes : undefined,
      logOnKafka: typeof (body as { kafka?: unknown }).kafka === 'object' && (body as { kafka?: unknown }).kafka !== null,
    };
  }

  /** One page of the audit log after a seq, or undefined when the target has no audit endpoint. */
  transactions(after: number, limit: number): Promise<TransactionsPage | undefined> {
    return this.optionalPage('/wallet/transactions', transactionsPage, after, limit);
  }

  /** Every entry after a seq, page by page. */
  transactionsAfter(after: number): Promise<TransactionsPage['transactions']> {
    return everyPage('the audit endpoint', after, (cursor) => this.transactions(cursor, 10_000), (page) => page.transactions);
  }

  /** One page of the settlement refusals after a seq, or undefined when the target does not list them. */
  refusals(after: number, limit: number): Promise<RefusalsPage | undefined> {
    return this.optionalPage('/wallet/refusals', refusalsPage, after, limit);
  }

  /** One page of an optional list (404, 405 or 501: the target has none, undefined). */
  private async optionalPage<T extends z.ZodType>(path: string, schema: T, after: number, limit: number): Promise<z.output<T> | undefined> {
    const answer = await this.get(`${path}?after=${after}&limit=${limit}`, 30_000);
    if (answer.status === 404 || answer.status === 405 || answer.status === 501) return undefined;
    return parseOrThrow(schema, answer, path);
  }

  /** Every settlement refusal after a seq, page by page. */
  refusalsAfter(after: number): Promise<RefusalsPage['refusals']> {
    return everyPage('the refusals endpoint', after, (cursor) => this.refusals(cursor, 10_000), (page) => page.refusals);
  }

  /**
   * All balances through the bulk endpoint, or undefined when the target has none. Bounded as the
   * audit's pages are: a `next` that does not move past the page's `after` would ask for the same
   * page for ever (before the run, or at its end), and the run would never finish.
   */
  async allBalances(): Promise<Map<string, number> | undefined> {
    const out = new Map<string, number>();
    let cursor: number | null = -1;
    for (let pages = 0; cursor !== null; pages++) {
      if (pages > MAX_PAGES) throw new Error(`/wallet/balances keeps paging: more than ${MAX_PAGES.toLocaleString('en-US')} pages`);
      const page: BalancesPage | undefined = await this.optionalPage('/wallet/balances', balancesPage, cursor, 10_000);
      if (page === undefined) return undefined;
      for (const b of page.balances) out.set(b.playerId, b.balance);
      if (page.balances.length === 0) break;
      if (page.next !== null && page.next <= cursor) {
        throw new Error(`/wallet/balances answered \`next: ${page.next}\` to a page of rows after ${cursor}: \`next\` must be the position of the page's last row, past \`after\`; see docs/protocol.md, Paging`);
      }
      cursor = page.next;
    }
    return out;
  }

  /**
   * What one player can spend (GET /wallet/balance/:playerId: the settled balance less stakes
   * held); undefined when the wallet does not know the player. A read refused for now is tried
   * again a few times (a request-driven wallet reads it through its workers, and may answer 503);
   * any other failure throws at once.
   */
  async balance(playerId: string): Promise<number | undefined> {
    for (let retry = 0; ; retry++) {
      const { status, body } = await this.get(`/wallet/balance/${encodeURIComponent(playerId)}`);
      const b = body as { code?: unknown; balance?: unknown } | null | undefined;
      if (b?.code === 'PLAYER_NOT_FOUND') return undefined;
      if (status === 200 && typeof b?.balance === 'number') return b.balance;
      if (!refusedForNow(status, b?.code) || retry === BALANCE_READ_RETRIES) {
        throw new Error(`GET /wallet/balance/${playerId} answered ${status} without a balance${retry === 0 ? '' : ` (${retry + 1} tries)`}`);
      }
      await new Promise((resolve) => setTimeout(resolve, BALANCE_READ_BACKOFF_MS * 2 ** retry));
    }
  }

  /**
   * What the given players can spend (those the wallet knows), BALANCE_READS_AT_ONCE reads in
   * flight, each lane taking the next player as it is done. The first failure ends them all: a
   * wallet that cannot be read is not read to the last player.
   */
  async balances(playerIds: readonly string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    let next = 0;
    let failed = false;
    const lane = async (): Promise<void> => {
      while (!failed && next < playerIds.length) {
        const id = playerIds[next++]!;
        const value = await this.balance(id).catch((error: unknown) => {
          failed = true;
          throw error;
        });
        if (value !== undefined) out.set(id, value);
      }
    };
    await Promise.all(Array.from({ length: Math.min(BALANCE_READS_AT_ONCE, playerIds.length) }, lane));
    return out;
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

/**
 * Why a control read (GET /healthz, ...) failed, for a message: undici's string code
 * (ECONNREFUSED), or for a read that got no answer in time what it waited for. A timeout's
 * DOMException carries a numeric code (23), which names nothing.
 */
export function whyReadFailed(cause: unknown, path: string, timeoutMs: number): string {
  const e = cause as Partial<NodeJS.ErrnoException> | undefined;
  if (isReadTimeout(e)) return `no answer to GET ${path} within ${timeoutMs / 1000} s`;
  const code = e?.code;
  return typeof code === 'string' ? code : (e?.message ?? String(cause));
}

/** A read whose answer did not come in time (an AbortSignal.timeout, undici's header and body timeouts), as opposed to a failed connection. */
export function isReadTimeout(error: Partial<Pick<NodeJS.ErrnoException, 'name' | 'code'>> | undefined): boolean {
  const code = error?.code;
  return error?.name === 'TimeoutError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

export interface Health {
  readonly model: string | undefined;
  readonly busy: boolean;
  readonly queueDepth: number;
  readonly logLagMs: number;
  readonly logBacklog: number;
  /** A wallet on Kafka: how often the consumerCrash fault killed a consumer. */
  readonly consumerCrashes: number | undefined;
  /** The wallet's log is on a Kafka broker (its /healthz has a `kafka` block: `serve --brokers`). */
  readonly logOnKafka: boolean;
}

/** A read the wallet refused without deciding anything: it may answer the same read later. */
function refusedForNow(status: number, code: unknown): boolean {
  return status === 429 || status === 503 || (typeof code === 'string' && isRetriable(code as ResultCode));
}

/**
 * A page of a list, or an error that says what came instead: the status when it was not 200, the
 * text when it was not JSON, else the first field that is wrong (a zod message alone, "expected
 * array, received undefined", names no field).
 */
function parseOrThrow<T extends z.ZodType>(schema: T, answer: { status: number; body: unknown; text: string }, path: string): z.output<T> {
  const { status, body, text } = answer;
  const parsed = schema.safeParse(body);
  if (status === 200 && parsed.success) return parsed.data;
  const head = text.slice(0, 60).replace(/\s+/g, ' ');
  const quoted = text.length === 0 ? 'an empty body' : `${JSON.stringify(head)}${text.length > 60 ? ' ...' : ''}`;
  let why: string;
  if (status !== 200) why = `HTTP ${status}, ${quoted}`;
  else if (body === undefined) why = `not JSON: ${quoted}`;
  else {
    const issue = parsed.error!.issues[0];
    why = `${issue?.path.length ? `field ${issue.path.join('.')}` : 'the body'}: ${issue?.message ?? 'invalid'}`;
  }
  throw new Error(`${path} answered something that is not a page of its list (${why}); see docs/protocol.md`);
}

/** Pages a paged list may take: a target that keeps paging (a `next` that never ends) cannot keep the run for ever. */
const MAX_PAGES = 100_000;

/**
 * Every item after a seq of a paged list (transactions, refusals), page by page until `next` is
 * null or a page is empty; bounded, so a target that keeps paging cannot keep the run forever.
 *
 * Seqs must increase from `after` on: a seq is a position in the list, never reused, so a row at
 * or before one already read is that row read again (a page that repeats the previous page's last
 * row, a `next` one row early), not a second entry. Counted, it would read as a double charge the
 * wallet never made; the list cannot be trusted, and the run says so instead. So is a list that
 * ends (`next: null`, or an empty page) before the newest row its own page names (`lastSeq`): a
 * page that stops early with `next: null` (a wallet capping its pages and calling the cap the
 * end) would otherwise leave rows unread, and their operations lost.
 */
async function everyPage<P extends { readonly next: number | null; readonly lastSeq: number }, T extends { readonly seq: number }>(
  name: string,
  after: number,
  fetchPage: (cursor: number) => Promise<P | undefined>,
  itemsOf: (page: P) => readonly T[],
): Promise<T[]> {
  const out: T[] = [];
  let lastSeq = after;
  let cursor: number | null = after;
  for (let pages = 0; cursor !== null; pages++) {
    if (pages > MAX_PAGES) throw new Error(`${name} keeps paging: more than ${MAX_PAGES.toLocaleString('en-US')} pages`);
    const page = await fetchPage(cursor);
    if (page === undefined) throw new Error(`${name} went away while it was being read`);
    const items = itemsOf(page);
    for (const item of items) {
      if (item.seq <= lastSeq) {
        const again = item.seq === lastSeq ? `seq ${item.seq} again` : `seq ${item.seq} after seq ${lastSeq}`;
        throw new Error(`${name} listed ${again} (asked for rows after ${cursor}): seqs must increase, and a page holds only rows after its \`after\`; see docs/protocol.md, Paging`);
      }
      lastSeq = item.seq;
      out.push(item);
    }
    if (items.length === 0 || page.next === null) {
      if (page.lastSeq > lastSeq) throw new Error(`${name} ended its list after seq ${lastSeq} (asked for rows after ${cursor}: ${items.length === 0 ? 'an empty page' : '`next: null`'}), yet its \`lastSeq\` is ${page.lastSeq}: rows up to it were not listed; see docs/protocol.md, Paging`);
      break;
    }
    cursor = page.next;
  }
  return out;
}
