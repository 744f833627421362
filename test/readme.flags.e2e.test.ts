import { describe, expect, it } from 'vitest';
import { walletstorm } from './support/cli.js';

// README: "Errors name the problem and where it is". --wallet is checked as --target is.
describe('load: a bad --wallet is named as --wallet', () => {
  it('not as --target, whatever is wrong with it', () => {
    for (const wallet of ['ftp://127.0.0.1:1', 'http://127.0.0.1:1/x', 'nonsense']) {
      const r = walletstorm(['load', 'steady', '--target', 'kafka://127.0.0.1:9092', '--wallet', wallet]);
      expect(r.status, wallet).toBe(2);
      expect(r.stderr, wallet).toContain('E_BAD_TARGET');
      expect(r.stderr, wallet).toMatch(/^walletstorm: --wallet /m);
      expect(r.stderr, wallet).not.toContain('--target');
    }
  });

  it('a --target of another scheme is told every kind of target load takes', () => {
    const r = walletstorm(['load', 'steady', '--target', 'ftp://127.0.0.1:1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--target must be "local", an http:// URL or kafka://HOST:PORT, got "ftp://127.0.0.1:1"');
  });
});

// README, Commands: each command's --help says what the README says, and no default that contradicts it.
describe('--help of every command', () => {
  const commands = ['simulate', 'compare', 'scenarios', 'swarm', 'serve', 'load', 'diff', 'merge'];

  it('shows no empty-list default, which beside --max-regression "10% (the default)" read as another default', () => {
    for (const command of commands) {
      const r = walletstorm([command, '--help']);
      expect(r.status, command).toBe(0);
      expect(r.stdout, command).not.toContain('(default: [])');
    }
    expect(walletstorm(['diff', '--help']).stdout).toMatch(/regression: 10% \(the default\)/);
  });

  it('lists the commands the README lists', () => {
    const help = walletstorm(['--help']).stdout;
    for (const command of commands) expect(help).toMatch(new RegExp(`^ {2}${command}\\b`, 'm'));
  });
});

// README, Commands: swarm --replay and --emit-scenario take one seed, and say so beside the flags that would be ignored.
describe('swarm: one seed beside the flags of many is refused (exit 2), as the README lists them', () => {
  it.each([
    ['--replay', '3', '--seeds', '5'],
    ['--replay', '3', '--from', '5'],
    ['--replay', '3', '--emit-scenario', '4'],
    ['--emit-scenario', '3', '--seeds', '5'],
    ['--emit-scenario', '3', '--from', '5'],
    ['--emit-scenario', '3', '--model', 'request'],
    ['--emit-scenario', '3', '--shrink'],
    ['--emit-scenario', '3', '--out', 'x.yaml'],
  ])('%s %s %s %s', (...args) => {
    const r = walletstorm(['swarm', ...args]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot be used with option/);
  });
});
