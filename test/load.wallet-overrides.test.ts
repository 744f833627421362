/**
 * `--set wallet.*` changes the wallet that load starts (--target local, kafka:// without --wallet);
 * a wallet at a URL runs the settings it was started with. Said on stderr, as the faults a target
 * does not apply are: without it `load retry-storm --target http://... --set wallet.idempotency=off`
 * reports 0 duplicates and the report lists the override as if it had acted.
 * A closed port stands for the wallet: the note comes before the run, which then exits 3.
 */
import { describe, expect, it } from 'vitest';
import { walletstorm } from './support/cli.js';

const NOTE = 'does not change the wallet at';

describe('load --set wallet.* against a wallet it does not start', () => {
  it('a URL target: a note names the overrides, and says where they belong', () => {
    const r = walletstorm(['load', 'steady', '--target', 'http://127.0.0.1:1', '--duration', '1', '--set', 'wallet.idempotency=off', '--set', 'wallet.request.workers=4', '--set', 'players.count=500', '--no-color'], 30_000);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain(
      'walletstorm: note: --set wallet.idempotency=off, wallet.request.workers=4 does not change the wallet at http://127.0.0.1:1: it runs the settings it was started with (give them to its serve --set)',
    );
    // Not a wallet field: no note about it.
    expect(r.stderr).not.toContain('players.count=500 does');
  });

  it("a URL target: the players' starting balances are the wallet's too", () => {
    const r = walletstorm(['load', 'steady', '--target', 'http://127.0.0.1:1', '--duration', '1', '--set', 'players.initialBalance=5', '--no-color'], 30_000);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain('walletstorm: note: --set players.initialBalance=5 does not change the wallet at http://127.0.0.1:1');
  });

  it('kafka:// with --wallet: the same note', () => {
    const r = walletstorm(['load', 'steady', '--target', 'kafka://127.0.0.1:1', '--wallet', 'http://127.0.0.1:1', '--duration', '1', '--set', 'wallet.inbox=off', '--no-color'], 30_000);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stderr).toContain('walletstorm: note: --set wallet.inbox=off does not change the wallet at http://127.0.0.1:1');
  });

  it('no wallet override, or a wallet load starts itself: no note', () => {
    const url = walletstorm(['load', 'steady', '--target', 'http://127.0.0.1:1', '--duration', '1', '--set', 'players.count=500', '--no-color'], 30_000);
    expect(url.status, url.stderr).toBe(3);
    expect(url.stderr).not.toContain(NOTE);
    const kafka = walletstorm(['load', 'steady', '--target', 'kafka://127.0.0.1:1', '--duration', '1', '--set', 'wallet.inbox=off', '--no-color'], 30_000);
    expect(kafka.status, kafka.stderr).toBe(3);
    expect(kafka.stderr).not.toContain(NOTE);
  });
});
