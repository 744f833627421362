/**
 * Time as the core sees it. The virtual world implements it with an event queue, the real
 * world with node timers; the core never reads the wall clock itself.
 */
export interface Clock {
  /** Milliseconds since the run started (may be fractional). */
  now(): number;
  /** Calls fn after delayMs; the returned handle cancels it. */
  after(delayMs: number, fn: () => void): Timer;
}

export interface Timer {
  cancel(): void;
}
