/** Exit codes, as documented in DESIGN.md and the README. */
export const EXIT = {
  ok: 0,
  checkFailed: 1,
  invalidInput: 2,
  unreachable: 3,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/**
 * Every error walletstorm reports on purpose: a stable code to search for, the exit code it
 * maps to, and a hint that says what to do. Anything else is a bug and shows its stack.
 */
export class WalletstormError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: ExitCode,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WalletstormError';
  }
}

export function usageError(code: string, message: string, hint?: string): WalletstormError {
  return new WalletstormError(code, message, EXIT.invalidInput, hint);
}
