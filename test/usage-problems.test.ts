import { describe, expect, it } from 'vitest';
import { checkAll, checkEach, EXIT, UsageProblems, usageError, WalletstormError } from '../src/errors.js';

const bad = (code: string, message: string, hint?: string) => () => {
  throw usageError(code, message, hint);
};

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('checkAll and checkEach: every usage problem of a command line at once', () => {
  it('returns every value by name when nothing is wrong', () => {
    expect(checkAll({ a: () => 1, b: () => 'two', c: () => undefined })).toEqual({ a: 1, b: 'two', c: undefined });
    expect(checkEach(['1', '2'], Number)).toEqual([1, 2]);
  });

  it('one problem is thrown as it is, message and code unchanged', () => {
    const one = usageError('E_BAD_SEED', '--seed must be a whole number');
    const e = caught(() => checkAll({ a: () => 1, seed: () => { throw one; } }));
    expect(e).toBe(one);
  });

  it('several are one UsageProblems, in check order, nested lists flattened, with the first code and exit 2', () => {
    const e = caught(() =>
      checkAll({
        model: bad('E_UNKNOWN_MODEL', 'unknown model "nope"', 'use one of request, event, hybrid or all'),
        fine: () => 3,
        thresholds: () => checkEach(['x', 'y'], (t) => bad('E_THRESHOLD_INVALID', `invalid threshold "${t}"\n  ${t}\n  ^`, 'a threshold compares')()),
      }),
    ) as UsageProblems;
    expect(e).toBeInstanceOf(UsageProblems);
    expect([e.code, e.exitCode, e.hint]).toEqual(['E_UNKNOWN_MODEL', EXIT.invalidInput, undefined]);
    expect(e.problems.map((p) => p.code)).toEqual(['E_UNKNOWN_MODEL', 'E_THRESHOLD_INVALID', 'E_THRESHOLD_INVALID']);
    expect(e.message).toBe(
      [
        '3 problems in this command line:',
        '  E_UNKNOWN_MODEL  unknown model "nope"',
        '    hint: use one of request, event, hybrid or all',
        '  E_THRESHOLD_INVALID  invalid threshold "x"',
        '      x',
        '      ^',
        '    hint: a threshold compares',
        '  E_THRESHOLD_INVALID  invalid threshold "y"',
        '      y',
        '      ^',
      ].join('\n'),
    );
  });

  it('an error that is not a usage error is thrown at once: the checks after it do not run', () => {
    let ran = false;
    const broken = new WalletstormError('E_LISTEN', 'cannot listen', EXIT.unreachable);
    const e = caught(() => checkAll({ a: bad('E_BAD_FLAG', 'x'), b: () => { throw broken; }, c: () => (ran = true) }));
    expect(e).toBe(broken);
    expect(ran).toBe(false);
    const bug = new TypeError('a bug');
    expect(caught(() => checkEach([1], () => { throw bug; }))).toBe(bug);
  });
});
