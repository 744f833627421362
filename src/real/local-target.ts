import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { EXIT, WalletstormError } from '../errors.js';
import { packageRoot } from '../util/package-root.js';
import type { ServeReady } from '../cli/serve-command.js';

export interface LocalTarget {
  readonly url: string;
  readonly pid: number;
  /** SIGTERM, then SIGKILL if it has not gone within graceMs. */
  stop(graceMs?: number): Promise<void>;
}

export interface LocalTargetOptions {
  readonly model: string;
  readonly scenarioFile: string;
  readonly overrides: readonly string[];
  readonly seed: number;
  readonly startTimeoutMs?: number;
  /** More serve flags, e.g. --brokers for a wallet whose log is on Kafka. */
  readonly extraArgs?: readonly string[];
  /** Gets each whole line the server writes on stderr (it is otherwise kept for a failed start only). */
  readonly onStderrLine?: (line: string) => void;
}

/**
 * `--target local`: the reference server in a child process on 127.0.0.1 and a free port, with
 * the same scenario and overrides (its capacity settings and players). The child gets its own
 * process group, so a Ctrl-C in the terminal reaches only the load generator, which still needs
 * the server to drain and to read the audit; it goes when the parent does (IPC disconnect).
 */
export async function startLocalTarget(options: LocalTargetOptions): Promise<LocalTarget> {
  const args = [join(packageRoot(), 'bin', 'walletstorm.js'), 'serve', '--model', options.model, '--host', '127.0.0.1', '--port', '0'];
  args.push('--scenario', options.scenarioFile, '--seed', String(options.seed));
  for (const s of options.overrides) args.push('--set', s);
  args.push(...(options.extraArgs ?? []));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], detached: true });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (t: string) => (stderr = (stderr + t).slice(-4000)));
  if (options.onStderrLine !== undefined) splitLines(child, options.onStderrLine);
  const startTimeoutMs = options.startTimeoutMs ?? 15_000;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new WalletstormError('E_LOCAL_TARGET', `the local wallet server did not start within ${startTimeoutMs / 1000} s\n${stderr}`, EXIT.unreachable));
    }, startTimeoutMs);
    child.on('message', (m: ServeReady) => {
      if (m?.type !== 'walletstorm-serve-ready') return;
      clearTimeout(timer);
      resolve(m.url);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      // The child validated the same scenario and flags: its exit code says whose fault it is.
      const exitCode = code === EXIT.invalidInput ? EXIT.invalidInput : EXIT.unreachable;
      reject(new WalletstormError('E_LOCAL_TARGET', `the local wallet server exited (code ${code}) before listening:\n${stderr.trim()}`, exitCode));
    });
  });
  child.removeAllListeners('exit');
  child.unref();
  (child.stderr as { unref?: () => void } | null)?.unref?.();
  return { url, pid: child.pid!, stop: (graceMs = 5000) => stopChild(child, graceMs) };
}

function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

function splitLines(child: ChildProcess, onLine: (line: string) => void): void {
  let partial = '';
  child.stderr?.on('data', (t: string) => {
    const lines = (partial + t).split('\n');
    partial = lines.pop()!;
    lines.forEach(onLine);
  });
}
