/**
 * vitest globalSetup: end-to-end tests run the built CLI, so build once, before any test file,
 * when a source is newer than its output (npm test builds anyway; this covers `npx vitest`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function stale(): boolean {
  const walk = (dir: string): boolean =>
    readdirSync(dir).some((name) => {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) return walk(path);
      if (!/\.tsx?$/.test(name) || /\.test\.tsx?$/.test(name) || name.endsWith('.d.ts')) return false;
      const built = join(ROOT, 'dist', relative(ROOT, path).replace(/\.tsx?$/, '.js'));
      return !existsSync(built) || statSync(built).mtimeMs < statSync(path).mtimeMs;
    });
  return walk(join(ROOT, 'src'));
}

export default function setup(): void {
  if (!stale()) return;
  const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], { cwd: ROOT, encoding: 'utf8' });
  if (tsc.status !== 0) throw new Error(`build failed:\n${tsc.stdout}${tsc.stderr}`);
}
