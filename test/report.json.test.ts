import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WalletstormError } from '../src/errors.js';
import { writeFileAtomic } from '../src/report/reporters/json.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'walletstorm-json-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The error writeFileAtomic threw, or a failure when it threw none. */
function failure(write: () => void): unknown {
  try {
    write();
  } catch (error) {
    return error;
  }
  throw new Error('writeFileAtomic did not fail');
}

function expectReportWriteError(error: unknown): WalletstormError {
  expect(error).toBeInstanceOf(WalletstormError);
  expect(error).toMatchObject({ code: 'E_REPORT_WRITE', exitCode: 3 });
  return error as WalletstormError;
}

describe('writeFileAtomic', () => {
  it('writes the content, and leaves no temporary file', () => {
    writeFileAtomic(join(dir, 'a', 'b', 'report.json'), '{}\n');
    expect(readFileSync(join(dir, 'a', 'b', 'report.json'), 'utf8')).toBe('{}\n');
    expect(readdirSync(join(dir, 'a', 'b'))).toEqual(['report.json']);
  });

  it('a failed rename (the target is a directory) removes the temporary file; E_REPORT_WRITE, exit 3', () => {
    mkdirSync(join(dir, 'report.json'));
    const error = failure(() => writeFileAtomic(join(dir, 'report.json'), '{}\n'));
    expect(readdirSync(dir)).toEqual(['report.json']);
    expect(readdirSync(join(dir, 'report.json'))).toEqual([]);
    expect(expectReportWriteError(error).message).toMatch(new RegExp(`^could not write the report ${join(dir, 'report.json')}: EISDIR: .*rename`));
  });

  it('a parent that is a file: E_REPORT_WRITE, nothing created', () => {
    writeFileSync(join(dir, 'file'), 'x');
    const error = failure(() => writeFileAtomic(join(dir, 'file', 'sub', 'report.json'), '{}\n'));
    expect(readdirSync(dir)).toEqual(['file']);
    expectReportWriteError(error);
  });

  it.skipIf(process.platform !== 'linux')('under /proc fails at once instead of looping in mkdir', () => {
    expectReportWriteError(failure(() => writeFileAtomic('/proc/walletstorm-nowhere/report.json', '{}\n')));
  });
});
