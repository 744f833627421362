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
  send(request: WalletRequest, target: ReplyTarget, token: number): void;
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
