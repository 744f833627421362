/**
 * Time as the core sees it. The virtual world implements it with an event queue, the real
 * world with node timers; the core never reads the wall clock itself.
 */
export interface Clock {
  /** Milliseconds since the run started (may be fractional). */
  now(): number;
  /** Calls fn after delayMs; the returned handle cancels it. */
  after(delayMs: number, fn: () => void): Timer;
  /**
   * Calls fn(arg) after delayMs, with no handle to cancel it. For the simulator's bulk of events
   * (a message in flight, a service time): a long-lived function and its argument instead of a
   * closure and a timer object per event.
   */
  call<A>(delayMs: number, fn: (arg: A) => void, arg: A): void;
  /**
   * call() that can be cancelled: the ticket it returns goes to cancel(). For timers armed by the
   * million and nearly all cancelled (a provider's per-attempt timeout): no object per timer.
   */
  timer<A>(delayMs: number, fn: (arg: A) => void, arg: A): number;
  /**
   * timer() for a wait that began earlier, at startedAtMs (at most now): due at startedAtMs +
   * delayMs, at once if that has passed. For an attempt the provider held back while every
   * connection was busy: its timeout counts from when it was meant to go out.
   */
  timerFrom<A>(startedAtMs: number, delayMs: number, fn: (arg: A) => void, arg: A): number;
  /**
   * Cancels a timer() that has not run yet; a ticket of one that ran or was cancelled is ignored,
   * and so is NaN, which is never a ticket (a halted real clock hands it out; callers use it for "none").
   */
  cancel(ticket: number): void;
}

export interface Timer {
  cancel(): void;
}
