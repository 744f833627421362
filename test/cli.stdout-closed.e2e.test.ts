/** Standard output whose reader left (`| head`, `grep -m1`): the run goes on and keeps its exit code. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from './support/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'walletstorm-stdout-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The CLI with its standard output (and, asked, its standard error) closed at once, as a reader that left does. */
function withStdoutClosed(args: readonly string[], whileRunning?: (child: ReturnType<typeof spawn>) => void, closeStderr = false): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined } });
    child.stdout.destroy();
    let stderr = '';
    if (closeStderr) child.stderr.destroy();
    else child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stderr });
    });
    whileRunning?.(child);
  });
}

describe('standard output closed by its reader', () => {
  it('simulate runs to its end, writes its report and exits with its own verdict, without a stack trace', async () => {
    const json = join(tmp, 'run.json');
    const args = ['simulate', 'steady', '--model', 'request', '--set', 'traffic.phases.0.durationSec=1', '--report', 'terminal', '--trace', 'p0', '--trace-limit', '0', '--json', json];
    const r = await withStdoutClosed(args);
    expect(r.stderr).not.toContain('EPIPE');
    expect(r.stderr).not.toContain('Unhandled');
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(json)).toBe(true);
  });

  it('with standard error closed too (2>&1 | head), an error keeps its exit code (2, not a crash with 1)', async () => {
    const r = await withStdoutClosed(['simulate', 'no-such-scenario'], undefined, true);
    expect(r.status).toBe(2);
    const run = await withStdoutClosed(['simulate', 'steady', '--model', 'request', '--set', 'traffic.phases.0.durationSec=1', '--no-ui'], undefined, true);
    expect(run.status).toBe(0);
  });

  it('serve keeps serving, and shuts down cleanly on SIGTERM', async () => {
    const r = await withStdoutClosed(['serve', '--port', '0'], (child) => {
      setTimeout(() => {
        // Still up after its start-up lines went nowhere.
        expect(child.exitCode).toBeNull();
        child.kill('SIGTERM');
      }, 3000);
    });
    expect(r.stderr).not.toContain('EPIPE');
    expect(r.status, r.stderr).toBe(0);
  });
});
