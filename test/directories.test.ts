import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeDirectories } from '../src/util/directories.js';

const tmp = mkdtempSync(join(tmpdir(), 'walletstorm-dirs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('makeDirectories (mkdir -p)', () => {
  it('makes every missing level of a deep path, and is a no-op the second time', () => {
    const deep = join(tmp, 'a', 'b', 'c');
    makeDirectories(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    expect(() => makeDirectories(deep)).not.toThrow();
  });

  it('makes a level that the path goes through before `..`, as the kernel walks it (`nope/../out`)', () => {
    const dir = `${tmp}/nope/../out`;
    makeDirectories(dir);
    expect(statSync(join(tmp, 'nope')).isDirectory()).toBe(true);
    expect(statSync(join(tmp, 'out')).isDirectory()).toBe(true);
    writeFileSync(`${dir}/report.json`, '{}');
    expect(existsSync(join(tmp, 'out', 'report.json'))).toBe(true);
  });

  it('a relative path with `./` and doubled slashes', () => {
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      makeDirectories('./rel//x/./y');
    } finally {
      process.chdir(cwd);
    }
    expect(statSync(join(tmp, 'rel', 'x', 'y')).isDirectory()).toBe(true);
  });

  it('throws where a level is a regular file', () => {
    writeFileSync(join(tmp, 'plain'), 'x');
    expect(() => makeDirectories(join(tmp, 'plain', 'sub'))).toThrow(/ENOTDIR|EEXIST/);
  });
});
