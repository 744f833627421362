import type { WalletRequest } from '../domain/operations.js';
import type { WalletResponse } from '../domain/results.js';

/**
 * Who hears an answer: a long-lived object (the provider's logical operation, a message on the
 * wire) and the token it sent with the request, rather than a closure made for every attempt.
 * The simulator sends millions of attempts, and a load generator tens of thousands a second:
 * a closure each was garbage for the collector and an indirect call for the CPU.
 */
export interface ReplyTarget {
  replied(token: number, response: WalletResponse): void;
}

/**
 * How a provider reaches a wallet. The answer may never come (a lost response); the provider's
 * own timeout decides when to stop waiting. `token` comes back with the answer unchanged.
 */
export interface Transport {
  /**
   * `askedAtMs`: when the provider meant the attempt to go out, for one it held back (see
   * TransportFlow); the send then counts as late, and its deadline counts from that moment.
   */
  send(request: WalletRequest, target: ReplyTarget, token: number, askedAtMs?: number): void;
  /** Present on a transport with a bounded number of connections (HTTP); absent: never busy. */
  readonly flow?: TransportFlow;
}

/**
 * Flow control between the provider and a transport whose connections are all busy. A send
 * then waits in the transport with its logical operation, which under overload is every new
 * round: tens of thousands of operations kept alive only to wait, which the garbage collector
 * copies and the load generator pays for. Instead the provider holds the first attempts of new
 * operations (bets, and the wins of rounds whose game ended) back as numbers (wrk2 keeps its
 * schedule the same way), and the transport takes them as connections free, in one order with
 * its own waiting sends: the time each was asked for. Their latency still counts from then.
 */
export interface TransportFlow {
  /** True while a send now would have to wait for a connection. */
  busy(): boolean;
  /**
   * The provider's held attempts, which the transport then sends (one `sendOldest` at a time)
   * whenever a connection frees and the oldest held one was asked for before its own oldest
   * waiting send. It calls them synchronously, while it handles the end of the attempt that
   * freed the connection (before that attempt's answer is delivered). One source per transport.
   */
  attach(held: HeldSends): void;
}

/**
 * Told of each answer a transport loses on purpose (the responseLoss fault), with the token its
 * attempt was sent with. A trace listens; nothing else needs to know, so a transport without a
 * listener pays nothing.
 */
export type AnswerLostListener = (request: WalletRequest, token: number, response: WalletResponse, nowMs: number) => void;

/**
 * Why a transport never sent an attempt it was handed: it waited for a connection (in the
 * transport, or held back by the provider) until its attempt had timed out, the wait list was
 * full, or the transport had stopped sending (the end of the run).
 */
export type DropReason = 'waited-past-timeout' | 'wait-list-full' | 'stopped';

/**
 * Told of each attempt a transport drops without sending it, with the token it was handed: the
 * provider has counted it as sent, and its own timeout will end it. A trace listens, so as not to
 * show it as sent; a transport without a listener pays nothing.
 */
export type AttemptDroppedListener = (request: WalletRequest, token: number, why: DropReason, nowMs: number) => void;

/** What a transport sees of the provider's held attempts (see TransportFlow). */
export interface HeldSends {
  /** When the oldest held attempt was meant to go out; Infinity when none is held. */
  oldestAtMs(): number;
  /**
   * Takes the oldest held attempt out of the hold and sends it now, through Transport.send
   * with the time it was held (asked for) as `askedAtMs`.
   */
  sendOldest(): void;
}

/**
 * One request at the wallet and where its answer goes: the record a transport already keeps for
 * it (a message in flight, an HTTP exchange), so that waiting for a worker costs nothing more.
 */
export interface Exchange {
  readonly request: WalletRequest;
  reply(response: WalletResponse): void;
}

/** The wallet side of a transport: one request in, one answer out, at the model's pace. */
export interface WalletHandler {
  handle(exchange: Exchange): void;
}

/** A function as a ReplyTarget, for callers off the hot path (tests, one-off requests). */
export function replyTo(fn: (response: WalletResponse) => void): ReplyTarget {
  return { replied: (_token, response) => fn(response) };
}
