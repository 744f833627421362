import { mkdirSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

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
 */
export function makeDirectories(dir: string): void {
  const missing: string[] = [];
  for (let at = resolve(dir); statOrUndefined(at) === undefined; at = dirname(at)) {
    missing.push(at);
    if (dirname(at) === at) break;
  }
  for (const level of missing.reverse()) mkdirSync(level);
}
