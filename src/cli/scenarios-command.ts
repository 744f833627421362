import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { SHIPPED_DIR } from '../scenario/load.js';

/** One line per shipped scenario: its name and the first sentence of its description. */
export function scenariosCommand(write: (text: string) => void): number {
  const files = readdirSync(SHIPPED_DIR).filter((f) => f.endsWith('.yaml')).sort();
  const rows = files.map((f) => {
    const doc = parse(readFileSync(join(SHIPPED_DIR, f), 'utf8')) as { description?: string };
    const summary = (doc.description ?? '').split(/(?<=\.)\s/)[0]?.trim() ?? '';
    return [f.replace(/\.yaml$/, ''), summary] as const;
  });
  const width = Math.max(...rows.map(([n]) => n.length)) + 2;
  write(rows.map(([n, d]) => `${n.padEnd(width)}${d}`).join('\n') + '\n');
  return 0;
}
