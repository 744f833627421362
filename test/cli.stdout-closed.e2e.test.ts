/**
 * Standard output whose reader left (`| head`, `grep -m1`): the run goes on and keeps its exit
 * code. Standard output that fails (a full disk, `> /dev/full`): the run goes on, writes its
 * files and exits 3.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from './support/cli.js';
import { freePorts } from './support/ports.js';

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

  it('with --json -, a reader that leaves loses the run\'s only report: exit 3 and one line on standard error, not exit 0', async () => {
    const r = await withStdoutClosed(['simulate', 'steady', '--model', 'request', '--set', 'traffic.phases.0.durationSec=1', '--no-ui', '--json', '-']);
    expect(r.stderr).toContain('the JSON report (--json -) is lost (E_STDIO_WRITE, exit 3)');
    expect(r.stderr).not.toContain('Unhandled');
    expect(r.status, r.stderr).toBe(3);
  });

  it('serve keeps serving, and shuts down cleanly on SIGTERM', async () => {
    // Its start-up lines (and so its port) go nowhere: it listens on a port chosen here, and the
    // SIGTERM waits until it answers. A fixed 3 s wait sent it, on a loaded machine, before the
    // server had started, and the signal's default action killed it (status null).
    // Below the kernel's ephemeral range (freePorts): a port the OS picked for a listen on port 0
    // is one it may give, before serve binds it, to any client connecting elsewhere.
    const [port] = await freePorts(1);
    let answered = false;
    const r = await withStdoutClosed(['serve', '--port', String(port)], (child) => {
      void (async () => {
        answered = await answers(`http://127.0.0.1:${port}/healthz`, 30_000);
        if (!answered) return void child.kill('SIGKILL');
        // Still up a moment after its start-up lines went nowhere.
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(child.exitCode).toBeNull();
        child.kill('SIGTERM');
      })();
    });
    expect(answered).toBe(true);
    expect(r.stderr).not.toContain('EPIPE');
    expect(r.status, r.stderr).toBe(0);
  });
});

/** Whether `url` answers 200 within `timeoutMs`, asked every 100 ms. */
async function answers(url: string, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).status === 200) return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** The CLI with standard output, standard error or both on /dev/full: every write fails with ENOSPC, as on a full disk. */
function toFullDevice(args: readonly string[], full: 'stdout' | 'stderr' | 'both'): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const device = openSync('/dev/full', 'w');
    const out = full === 'stderr' ? 'pipe' : device;
    const err = full === 'stdout' ? 'pipe' : device;
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', out, err], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined } });
    closeSync(device);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr?.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const FAILED = /^walletstorm: could not write to standard (output|error) \(ENOSPC: no space left on device\); the rest of its text is lost, report files are still written \(E_STDIO_WRITE, exit 3\)\n$/;

describe.runIf(existsSync('/dev/full'))('standard output or error that fails (a full disk, > /dev/full)', () => {
  it('simulate writes its report files and exits 3 with one line on standard error, no stack trace (it crashed with exit 1: a failed check)', async () => {
    const json = join(tmp, 'full.json');
    const args = ['simulate', 'steady', '--model', 'request', '--set', 'traffic.phases.0.durationSec=1', '--json', json, '--report', 'summary,junit', '--out-dir', tmp, '--name', 'full'];
    const r = await toFullDevice(args, 'stdout');
    expect(r.stderr).toMatch(FAILED);
    expect(r.stderr).toContain('standard output');
    expect(r.status).toBe(3);
    expect(JSON.parse(readFileSync(json, 'utf8')).runs[0].consistency.ok).toBe(true);
    expect(existsSync(join(tmp, 'full.junit.xml'))).toBe(true);
  });

  it('standard error failing: the line goes to standard output, exit 3; both failing: exit 3 all the same', async () => {
    const usage = await toFullDevice(['simulate', 'no-such-scenario'], 'stderr');
    expect(usage.stdout).toMatch(FAILED);
    expect(usage.stdout).toContain('standard error');
    expect(usage.status).toBe(3);
    const both = await toFullDevice(['simulate', 'steady', '--model', 'request', '--set', 'traffic.phases.0.durationSec=1'], 'both');
    expect(both.status).toBe(3);
  });

  it('with --json -: standard error failing leaves the JSON on standard output intact; standard output failing says the report is lost', async () => {
    const args = ['simulate', 'steady', '--model', 'request', '--set', 'traffic.phases.0.durationSec=1', '--json', '-'];
    const errFull = await toFullDevice(args, 'stderr');
    expect(JSON.parse(errFull.stdout).runs[0].model).toBe('request');
    expect(errFull.status).toBe(3);
    const outFull = await toFullDevice(args, 'stdout');
    expect(outFull.stderr).toContain('walletstorm: could not write to standard output (ENOSPC: no space left on device); the JSON report (--json -) is lost (E_STDIO_WRITE, exit 3)\n');
    expect(outFull.status).toBe(3);
  });

  it('load writes its report and exits 3 when its summary cannot be written', async () => {
    const json = join(tmp, 'full-load.json');
    const r = await toFullDevice(['load', 'steady', '--target', 'local', '--duration', '1', '--rate-scale', '0.05', '--set', 'players.count=500', '--connections', '4', '--json', json], 'stdout');
    expect(r.stderr).not.toMatch(/internal error|    at /);
    expect(r.stderr.split('\n').filter((l) => l.includes('E_STDIO_WRITE'))).toHaveLength(1);
    expect(r.status, r.stderr).toBe(3);
    expect(JSON.parse(readFileSync(json, 'utf8')).runs[0]).toMatchObject({ world: 'real', completed: true });
  }, 60_000);
});
