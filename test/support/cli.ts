import { execFileSync, spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'walletstorm.js');

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the built CLI without colour, as CI would. */
export function walletstorm(args: readonly string[], timeoutMs = 120_000): CliRun {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: timeoutMs, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined } });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** As walletstorm(), without blocking this process: for a CLI run against a server in this test. */
export function walletstormAsync(args: readonly string[], timeoutMs = 120_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** A CLI run going on in the background: its output so far, and its exit. */
export interface LiveCli {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  /** Everything written so far, read as it comes. */
  readonly output: { stdout: string; stderr: string };
  readonly exited: Promise<number | null>;
}

/** As walletstormAsync(), for a test that acts while the run goes (a signal, a broker taken away, a record sent to its topic). */
export function walletstormLive(args: readonly string[]): LiveCli {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: undefined } });
  const output = { stdout: '', stderr: '' };
  child.stdout.setEncoding('utf8').on('data', (t: string) => (output.stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (output.stderr += t));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, output, exited };
}

/**
 * CPU seconds (user + system) used by the children this process has waited for: a spawnSync'd
 * CLI's cost, read before and after it. A timing bound on the CPU a command used holds on a
 * shared, loaded machine, where its wall time grows with everything else running (Linux only).
 */
export function childCpuSec(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: the 3rd field first.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[16 - 3]) + Number(fields[17 - 3]);
  return ticks / clockTicksPerSec();
}

let ticksPerSec: number | undefined;
function clockTicksPerSec(): number {
  ticksPerSec ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  return ticksPerSec;
}
