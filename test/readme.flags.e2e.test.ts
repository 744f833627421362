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
