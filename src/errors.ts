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

/**
 * Every usage problem of one command line, reported at once: the user fixes them all in one go
 * instead of meeting them one run at a time. Each keeps its own code and hint; the process
 * reports the first one's code (the one a check-at-a-time command line would have stopped at).
 */
export class UsageProblems extends WalletstormError {
  constructor(readonly problems: readonly WalletstormError[]) {
    super(problems[0]!.code, formatUsageProblems(problems), EXIT.invalidInput);
    this.name = 'UsageProblems';
  }
}

function formatUsageProblems(problems: readonly WalletstormError[]): string {
  const hinted = new Set<string>();
  const blocks = problems.map((p) => {
    const [first, ...rest] = p.message.split('\n');
    // Said once: two bad thresholds share their hint.
    const hint = p.hint === undefined || hinted.has(p.hint) ? [] : [`hint: ${p.hint}`];
    if (p.hint !== undefined) hinted.add(p.hint);
    return [`  ${p.code}  ${first}`, ...[...rest, ...hint].map((line) => `    ${line}`)].join('\n');
  });
  return `${problems.length} problems in this command line:\n${blocks.join('\n')}`;
}

/** Runs `check`; a usage error (exit 2) is kept in `problems` instead of thrown, anything else is thrown. */
function attempt<T>(check: () => T, problems: WalletstormError[]): T | undefined {
  try {
    return check();
  } catch (error) {
    if (!(error instanceof WalletstormError) || error.exitCode !== EXIT.invalidInput) throw error;
    problems.push(...(error instanceof UsageProblems ? error.problems : [error]));
    return undefined;
  }
}

function throwProblems(problems: readonly WalletstormError[]): void {
  if (problems.length === 1) throw problems[0]!;
  if (problems.length > 1) throw new UsageProblems(problems);
}

/**
 * Runs every check, in order, whatever the others found: their values by name, or one error
 * listing every usage problem (a single problem is thrown as it is). A check that needs another's
 * value belongs after this call, or inside one check with it.
 */
export function checkAll<T extends Record<string, () => unknown>>(checks: T): { [K in keyof T]: ReturnType<T[K]> } {
  const problems: WalletstormError[] = [];
  const values = Object.fromEntries(Object.entries(checks).map(([name, check]) => [name, attempt(check, problems)]));
  throwProblems(problems);
  return values as { [K in keyof T]: ReturnType<T[K]> };
}

/** `parse` on each value, every problem reported (two bad --threshold flags: both). */
export function checkEach<V, T>(values: readonly V[], parse: (value: V) => T): T[] {
  const problems: WalletstormError[] = [];
  const parsed = values.map((value) => attempt(() => parse(value), problems));
  throwProblems(problems);
  return parsed as T[];
}
