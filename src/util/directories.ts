import { mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, resolve, sep } from 'node:path';

/** stat, or undefined when nothing is there (or a parent is not a directory). */
export function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** The path itself or its nearest ancestor that exists (at worst the root). */
export function nearestExisting(path: string): { path: string; stats: Stats } {
  let at = resolve(path);
  for (;;) {
    const stats = statOrUndefined(at);
    const up = dirname(at);
    if (stats !== undefined || up === at) return { path: at, stats: stats ?? statSync(at) };
    at = up;
  }
}

/**
 * `mkdir -p`, one level at a time. Node's recursive mkdir is not used: under /proc it loops
 * forever (mkdir says ENOENT for a parent that exists, so it retries that parent without end),
 * whereas here each missing level is tried once and its error thrown. Bounded by the depth.
 *
 * The levels are the path as written, not as resolved: the kernel walks `nope/../out` through
 * `nope`, which must therefore exist, as `mkdir -p nope/../out` makes it.
 */
export function makeDirectories(dir: string): void {
  for (const level of literalPrefixes(dir)) {
    if (statOrUndefined(level) === undefined) mkdirSync(level);
  }
}

/** `a/../b` → `a`, `a/..`, `a/../b` (the root and empty or `.` segments are not levels of their own). */
function literalPrefixes(path: string): string[] {
  const root = isAbsolute(path) ? sep : '';
  const segments = path.split(sep).filter((segment) => segment !== '' && segment !== '.');
  return segments.map((_, i) => root + segments.slice(0, i + 1).join(sep));
}
