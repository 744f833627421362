/**
 * Hostile scenario files: any field of a shipped scenario replaced by a value of the wrong kind
 * or range, or removed, in the file or with `--set`. Whatever it is, the result is a scenario
 * that compiles and builds a world for every model, or a ScenarioError (exit 2) whose every
 * problem names its field and (in the file) its line: never a TypeError, a RangeError or a hang.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { isMap, isScalar, isSeq, parseDocument, type Node } from 'yaml';
import { describe, expect, it } from 'vitest';
import { WalletstormError } from '../src/errors.js';
import { MODEL_NAMES } from '../src/models/config.js';
import { compileScenario } from '../src/scenario/compile.js';
import { parseScenario, ScenarioError, SHIPPED_DIR } from '../src/scenario/load.js';
import { VirtualWorld } from '../src/sim/world.js';

const FILES = readdirSync(SHIPPED_DIR).filter((f) => f.endsWith('.yaml')).sort();

/** Every path to a scalar in a YAML node (keys and list indexes). */
function scalarPaths(node: Node | null | undefined, at: (string | number)[] = []): (string | number)[][] {
  if (isMap(node)) return node.items.flatMap((pair) => scalarPaths(pair.value as Node, [...at, String((pair.key as { value: unknown }).value)]));
  if (isSeq(node)) return node.items.flatMap((item, i) => scalarPaths(item as Node, [...at, i]));
  return isScalar(node) ? [at] : [];
}

/** Values a careless or hostile hand puts in a scenario, as YAML text. */
const HOSTILE = [
  '-1', '0', '-0.5', '0.5', '1e308', '-1e308', '.nan', '.inf', '-.inf', '9007199254740993', '1e-320',
  'null', '~', 'true', 'false', '""', '"abc"', '"10"', '[]', '[1, 2]', '{}', '{a: 1}', 'x'.repeat(5000), '"\\u0000"',
];

/** A scenario that passed: it must compile, and every model must run its first 50 ms. */
function expectUsable(text: string, overrides: readonly string[]): void {
  const scenario = parseScenario(text, 'fuzz.yaml', overrides);
  const compiled = compileScenario(scenario);
  for (const model of MODEL_NAMES) new VirtualWorld(compiled, model, 1).advance(50);
}

/** Runs `attempt`; an error must be a ScenarioError (exit 2) whose problems say where. */
function expectUsableOrExplained(attempt: () => void, fromFile: boolean): void {
  try {
    attempt();
  } catch (error) {
    if (!(error instanceof WalletstormError)) throw error;
    expect(error.exitCode, error.message).toBe(2);
    if (!(error instanceof ScenarioError)) return;
    expect(error.problems.length).toBeGreaterThan(0);
    for (const p of error.problems) {
      expect(p.message.length, error.message).toBeGreaterThan(0);
      if (fromFile) expect(p.line, `no line for ${p.path}: ${error.message}`).toBeDefined();
    }
  }
}

describe.each(FILES)('%s with one field made hostile', (file) => {
  const text = readFileSync(join(SHIPPED_DIR, file), 'utf8');
  const paths = scalarPaths(parseDocument(text).contents);

  it('in the file: a usable scenario or exit 2 naming the field and its line', () => {
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.option(fc.constantFrom(...HOSTILE), { nil: undefined }), (path, value) => {
        const doc = parseDocument(text);
        if (value === undefined) doc.deleteIn(path);
        else doc.setIn(path, parseDocument(value).contents);
        expectUsableOrExplained(() => expectUsable(doc.toString(), []), true);
      }),
      { numRuns: 150, seed: 42 },
    );
  });

  it('with --set: a usable scenario or exit 2 naming the field', () => {
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.constantFrom(...HOSTILE), (path, value) => {
        expectUsableOrExplained(() => expectUsable(text, [`${path.join('.')}=${value}`]), false);
      }),
      { numRuns: 150, seed: 42 },
    );
  });
});
