/**
 * README, "Scenario format": the table of fields against the one schema (src/scenario/schema.ts)
 * that gives every field its default and its bounds. A field added to the schema, a default
 * changed or a bound moved shows here, instead of in a user's refused scenario.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseScenario } from '../src/scenario/load.js';
import { MAX_AMOUNT_MINOR, MAX_CONSUMER_STOPS, MAX_ROUNDS_PER_RUN, scenarioSchema } from '../src/scenario/schema.js';
import { ROOT } from './support/cli.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The text of a README section: from its heading to the next heading of its level or above. */
function section(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  expect(start, heading).toBeGreaterThan(0);
  const level = heading.indexOf(' ');
  const rest = README.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`\\n#{1,${level}} `));
  return end === -1 ? rest : rest.slice(0, end);
}

const FORMAT = section('## Scenario format');
const FAULTS = section('### Faults');

interface Row {
  /** The field names of the first cell, braces expanded: `a.{b, c}` is a.b and a.c. */
  readonly fields: readonly string[];
  readonly defaults: string;
  readonly text: string;
}

/** Splits a Markdown table row on the bars that are not escaped (`steady\|spike`). */
const cells = (line: string) => line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());

function fieldNames(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].flatMap(([, name]) => {
    const brace = /^(.*)\{(.*)\}$/.exec(name!);
    return brace === null ? [name!] : brace[2]!.split(',').map((part) => `${brace[1]}${part.trim()}`);
  });
}

/** The table of fields: | field | default | meaning |. */
const ROWS: readonly Row[] = FORMAT.slice(FORMAT.indexOf('| field | default | meaning |'))
  .split('\n\n')[0]!
  .split('\n')
  .slice(2)
  .map((line) => {
    const [field, defaults] = cells(line);
    return { fields: fieldNames(field!), defaults: defaults!, text: line };
  });

interface Leaf {
  readonly path: string;
  readonly schema: Record<string, unknown>;
}

/** Every field of the schema as a file gives it (phases of any kind, list items as `[]`). */
function leaves(schema: Record<string, unknown>, path = ''): Leaf[] {
  const properties = schema['properties'] as Record<string, Record<string, unknown>> | undefined;
  if (schema['type'] === 'object' && properties !== undefined) {
    return Object.entries(properties).flatMap(([key, value]) => leaves(value, path === '' ? key : `${path}.${key}`));
  }
  // The list itself too, for its bound on items (narration: at most 100 notes).
  if (schema['type'] === 'array' && schema['items'] !== undefined) return [{ path: `${path}[]`, schema }, ...leaves(schema['items'] as Record<string, unknown>, `${path}[]`)];
  const options = schema['oneOf'] as Record<string, unknown>[] | undefined;
  if (options?.every((o) => o['type'] === 'object')) {
    const all = options.flatMap((o) => leaves(o, path));
    return all.filter((leaf, i) => all.findIndex((other) => other.path === leaf.path) === i);
  }
  return [{ path, schema }];
}

const LEAVES = leaves(z.toJSONSchema(scenarioSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>);

/** The row documenting a field: its own, or the one of the object it is in (`provider.retry`). */
function rowOf(path: string): Row | undefined {
  const bare = path.replace(/\[\]/g, '');
  return (
    ROWS.find((r) => r.fields.some((f) => f.replace(/\[\]/g, '') === bare)) ??
    ROWS.filter((r) => r.fields.some((f) => bare.startsWith(`${f.replace(/\[\]/g, '')}.`))).sort((a, b) => b.fields[0]!.length - a.fields[0]!.length)[0]
  );
}

const lastName = (path: string) => path.split('.').at(-1)!.replace(/\[\]$/, '');

/** A number as the README may write it: 100000 or 100,000. */
const spellings = (n: number) => [String(n), n.toLocaleString('en-US')];

/** Where the README states a bound of a field: its row, or a row that names the field (`maxAttempts (1–1000)`). */
function statesBound(leaf: Leaf, n: number, text: readonly string[]): boolean {
  const name = lastName(leaf.path);
  const places = [rowOf(leaf.path)?.text ?? '', ...text.filter((t) => t.includes(name))];
  return places.some((place) => spellings(n).some((s) => new RegExp(`(^|[^\\d.,])${s.replace(/[.,]/g, '\\$&')}(?![\\d]|,\\d)`).test(place)));
}

describe('README scenario format: every field of the schema, with its default and bounds', () => {
  const scenarioLeaves = LEAVES.filter((l) => !l.path.startsWith('faults.'));

  it('every field has a row (its own, or its object’s, which names it)', () => {
    const missing = scenarioLeaves.filter((leaf) => {
      const row = rowOf(leaf.path);
      if (row === undefined) return true;
      // An object's row names its fields (`{workers, serviceTimeMs, …}`), itself or through the row it says it is like.
      if (row.fields.includes(leaf.path) || row.fields.includes(leaf.path.replace(/\[\]$/, '') + '[]')) return false;
      return !ROWS.some((r) => r.text.includes(lastName(leaf.path)));
    });
    expect(missing.map((l) => l.path)).toEqual([]);
  });

  it('a default written as a value is the schema’s default', () => {
    const wrong: string[] = [];
    for (const row of ROWS) {
      const values = [...row.defaults.matchAll(/`([^`]*)`/g)].map(([, v]) => v!);
      // One value per field (`5`, `2000`, `5` for three fields), else plain numbers in the field's order (16, 4, …, 100).
      const given = values.length === row.fields.length ? values : row.defaults.split(', ').length === row.fields.length ? row.defaults.split(', ') : [];
      row.fields.forEach((field, i) => {
        const value = given[i];
        if (value === undefined || !/^(`.*`|[\w.'[\]-]+)$/.test(value)) return;
        const leaf = LEAVES.find((l) => l.path === field);
        if (leaf === undefined || leaf.schema['default'] === undefined) return;
        const expected = leaf.schema['default'];
        const readme = value === "''" ? '' : value === '[]' ? [] : typeof expected === 'number' ? Number(value) : value;
        if (JSON.stringify(readme) !== JSON.stringify(expected)) wrong.push(`${field}: README ${value}, schema ${JSON.stringify(expected)}`);
      });
    }
    expect(wrong).toEqual([]);
  });

  it('every upper bound (and a count of items or characters) is stated beside the field', () => {
    const text = FORMAT.split('\n');
    const unstated: string[] = [];
    for (const leaf of scenarioLeaves) {
      for (const key of ['maximum', 'maxLength', 'maxItems'] as const) {
        const n = leaf.schema[key];
        // MAX_SAFE_INTEGER is no bound a user meets.
        if (typeof n !== 'number' || n === Number.MAX_SAFE_INTEGER) continue;
        if (!statesBound(leaf, n, text)) unstated.push(`${leaf.path} ${key} ${n}`);
      }
    }
    expect(unstated).toEqual([]);
  });

  it('bounds across fields are stated too: consumer stops, rounds in all, the largest amount', () => {
    const row = (field: string) => rowOf(field)?.text ?? '';
    expect(row('traffic.phases')).toContain(MAX_ROUNDS_PER_RUN.toLocaleString('en-US'));
    expect(FAULTS).toContain(`at most ${MAX_CONSUMER_STOPS.toLocaleString('en-US')} consumer stops`);
    for (const field of ['round.betAmount', 'round.winMultiplier']) expect(row(field)).toContain(MAX_AMOUNT_MINOR.toLocaleString('en-US'));
  });

  it('the narration example parses', () => {
    const example = /```yaml\n(narration:\n[\s\S]*?)```/.exec(README)![1]!;
    expect(() => parseScenario(`name: n\ntraffic: { phases: [{ kind: steady, durationSec: 1, roundsPerSec: 1 }] }\n${example}`, 'readme.yaml')).not.toThrow();
  });
});

describe('README faults: every fault and parameter of the schema, with its default', () => {
  const faults = [...new Set(LEAVES.filter((l) => l.path.startsWith('faults.')).map((l) => l.path.split('.')[1]!))];
  const rows = new Map(
    FAULTS.split('\n')
      .filter((line) => /^\| `\w+` \|/.test(line))
      .map((line) => [/^\| `(\w+)`/.exec(line)![1]!, cells(line)[1]!] as const),
  );

  it('has a row per fault, naming its parameters (windows are said once for all)', () => {
    expect([...rows.keys()].sort()).toEqual([...faults].sort());
    const unnamed = LEAVES.filter((l) => l.path.startsWith('faults.') && !['fromSec', 'toSec'].includes(lastName(l.path)))
      .filter((l) => !new RegExp(`\\b${lastName(l.path)}\\b`).test(rows.get(l.path.split('.')[1]!) ?? ''))
      .map((l) => l.path);
    expect(unnamed).toEqual([]);
    expect(FAULTS).toContain('`fromSec` (default 0)');
  });

  it('a parameter’s default, where the row gives one (`restartAfterSec (5)`), is the schema’s', () => {
    const wrong: string[] = [];
    for (const leaf of LEAVES.filter((l) => l.path.startsWith('faults.') && typeof l.schema['default'] === 'number')) {
      const given = new RegExp(`\\b${lastName(leaf.path)} \\(([\\d.]+)\\)`).exec(rows.get(leaf.path.split('.')[1]!) ?? '')?.[1];
      if (given !== undefined && Number(given) !== leaf.schema['default']) wrong.push(`${leaf.path}: README ${given}, schema ${String(leaf.schema['default'])}`);
    }
    expect(wrong).toEqual([]);
  });
});
