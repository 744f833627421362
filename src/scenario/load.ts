import { existsSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';
import { type Alias, Document, isAlias, isCollection, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parse as parseYamlValue, parseDocument, visit, type Node } from 'yaml';
import type { z } from 'zod';
import { EXIT, WalletstormError } from '../errors.js';
import { editDistance, parseThreshold, ThresholdError } from '../report/thresholds.js';
import { packageRoot } from '../util/package-root.js';
import { readAtMost } from '../util/read-bounded.js';
import { decodeUtf8Strict, firstInvalidUtf8 } from '../util/utf8.js';
import { scenarioSchema, type Scenario } from './schema.js';

/** The shipped scenarios live next to the package, whatever the working directory. */
export const SHIPPED_DIR = join(packageRoot(), 'scenarios');

export interface LoadedScenario {
  readonly scenario: Scenario;
  readonly file: string;
  readonly overrides: readonly string[];
}

export interface ScenarioProblem {
  readonly path: string;
  readonly line?: number;
  readonly column?: number;
  readonly message: string;
}

export class ScenarioError extends WalletstormError {
  constructor(
    readonly file: string,
    readonly problems: readonly ScenarioProblem[],
  ) {
    super('E_SCENARIO_INVALID', formatProblems(file, problems), EXIT.invalidInput, 'fix the fields above; `walletstorm scenarios` lists working examples');
  }
}

function formatProblems(file: string, problems: readonly ScenarioProblem[]): string {
  const lines = problems.map((p) => {
    const where = p.line === undefined ? file : `${file}:${p.line}${p.column === undefined ? '' : `:${p.column}`}`;
    return `  ${where}  ${p.path === '' ? '(top level)' : p.path}: ${p.message}`;
  });
  return `invalid scenario ${file} (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${lines.join('\n')}`;
}

/**
 * A path to a file, or the name of a shipped scenario (`peak-traffic`). A reference with a `/` or
 * ending in .yaml/.yml is a path only (./steady that is missing is not the shipped steady); a bare
 * name is a file of that name in the working directory, else the shipped scenario (a directory of
 * that name does not count).
 */
export function resolveScenarioPath(ref: string): string {
  const notFound = (message: string, hint = 'give a path to a YAML file, or a name from `walletstorm scenarios`') => new WalletstormError('E_SCENARIO_NOT_FOUND', message, EXIT.invalidInput, hint);
  if (ref === '') throw notFound('scenario not found: (empty)');
  if (ref.includes('/') || ref.includes(sep) || /\.ya?ml$/i.test(ref)) {
    if (existsSync(ref)) return ref;
    throw notFound(`scenario not found: ${ref} (no such file)`, 'a reference with a / or ending in .yaml or .yml is read as a path only; a shipped scenario is named without either (see `walletstorm scenarios`)');
  }
  const directory = existsSync(ref) && statSync(ref).isDirectory();
  if (existsSync(ref) && !directory) return ref;
  // Only a file counts among the shipped ones ('.' would otherwise name the folder).
  for (const candidate of [join(SHIPPED_DIR, ref), join(SHIPPED_DIR, `${ref}.yaml`)]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  throw notFound(`scenario not found: ${ref}${directory ? ` (./${ref} is a directory, and no shipped scenario has that name)` : ''}`);
}

/**
 * Scenario files are a page or two of settings; YAML parsing slows down sharply with size (a
 * 13 MB file ran for minutes), so anything far beyond that is refused before it is parsed.
 */
const MAX_SCENARIO_BYTES = 1024 * 1024;

export function loadScenario(ref: string, overrides: readonly string[] = []): LoadedScenario {
  const file = resolveScenarioPath(ref);
  let bytes: Buffer | undefined;
  try {
    bytes = readAtMost(file, MAX_SCENARIO_BYTES);
  } catch (cause) {
    throw new WalletstormError(
      'E_SCENARIO_UNREADABLE',
      `cannot read scenario ${file}: ${(cause as Error).message}`,
      EXIT.invalidInput,
      'give a readable YAML file, or a name from `walletstorm scenarios`',
    );
  }
  if (bytes === undefined) {
    throw new WalletstormError('E_SCENARIO_TOO_LARGE', `scenario ${file} is over ${MAX_SCENARIO_BYTES / 1024} KiB`, EXIT.invalidInput, 'a scenario is a page of settings; is this the right file?');
  }
  let text: string;
  try {
    text = decodeUtf8Strict(bytes);
  } catch {
    const bad = firstInvalidUtf8(bytes);
    const message = 'the file is not valid UTF-8';
    throw new ScenarioError(file, [bad === undefined ? { path: '', message } : { path: '', line: bad.line, column: bad.column, message: `${message}: byte 0x${bad.byte} at byte offset ${bad.offset} (save the file as UTF-8)` }]);
  }
  return { scenario: parseScenario(text, file, overrides), file, overrides };
}


/** Parses YAML text, applies `path=value` overrides, validates, and reports every problem at once. */
export function parseScenario(text: string, file: string, overrides: readonly string[] = []): Scenario {
  refuseDeepNesting(text, file);
  const lines = new LineCounter();
  // logLevel error: the library's warnings (a list as a key) went to stderr; they are problems here.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true, logLevel: 'error' });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      file,
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        const duplicate = e.code === 'DUPLICATE_KEY' ? duplicateKeyProblem(text, e.pos[0], lines) : undefined;
        return duplicate ?? { path: '', line: pos?.line, column: pos?.col, message: `YAML: ${yamlMessage(e.message)}` };
      }),
    );
  }
  if (!isMap(doc.contents)) throw new ScenarioError(file, [{ path: '', line: 1, message: 'a scenario is a mapping of fields (name, traffic, wallet, …)' }]);
  const badKeys = keyProblems(doc, lines);
  if (badKeys.length > 0) throw new ScenarioError(file, badKeys);
  // An override that cannot be applied is a problem listed with the file's: the rest still are.
  const { applied: overridden, problems: overrideProblems } = applyOverrides(doc, overrides);
  const input = toPlain(doc, file, lines);
  const result = scenarioSchema.safeParse(input, { reportInput: true });
  // Threshold typos are listed with the schema's problems, so one attempt shows them all.
  const thresholds = result.success ? result.data.thresholds : arrayAt(input, 'thresholds');
  const issues = result.success ? [] : tightestBounds(result.error.issues);
  const problems = [...overrideProblems, ...issues.map((issue) => locate(issue, doc, lines, overridden)), ...thresholdProblems(thresholds, doc, lines, overridden)];
  if (!result.success || problems.length > 0) throw new ScenarioError(file, problems);
  return result.data;
}

/**
 * zod checks an integer against the safe range as well as against the field's own bound, so 1e20
 * for players.count was two problems, "expected int to be <=9007199254740991" and "expected
 * number to be <=1000000": of the bounds a value broke on one side, the field's own is kept.
 */
function tightestBounds(issues: readonly z.core.$ZodIssue[]): z.core.$ZodIssue[] {
  const key = (issue: z.core.$ZodIssue) => `${issue.code}\u0000${issue.path.map(String).join('.')}`;
  const bound = (issue: z.core.$ZodIssue) => (issue.code === 'too_big' ? -Number(issue.maximum) : issue.code === 'too_small' ? Number(issue.minimum) : 0);
  const best = new Map<string, z.core.$ZodIssue>();
  for (const issue of issues) {
    if (issue.code !== 'too_big' && issue.code !== 'too_small') continue;
    const kept = best.get(key(issue));
    if (kept === undefined || bound(issue) > bound(kept)) best.set(key(issue), issue);
  }
  return issues.filter((issue) => (issue.code !== 'too_big' && issue.code !== 'too_small') || best.get(key(issue)) === issue);
}

/**
 * Keys the plain data cannot hold as written: a merge key (`<<: *a`, YAML 1.1, not supported: it
 * became a field named "<<"), a list or a mapping as a key (it became its YAML text). Each makes
 * the schema's messages about its mapping misleading, so they are reported alone.
 */
function keyProblems(doc: Document, lines: LineCounter): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  visit(doc, {
    Pair: (_key, pair, ancestors) => {
      const key = pair.key;
      let message: string | undefined;
      if (isScalar(key) && key.value === '<<') message = 'merge keys (<<) are not supported: write the fields out (an alias *name can stand for a whole value)';
      else if (isCollection(key) || (isAlias(key) && isCollection(key.resolve(doc)))) message = 'a key must be a field name, not a list or a mapping';
      if (message === undefined) return;
      const start = (isNode(key) ? key.range?.[0] : undefined) ?? (isNode(pair.value) ? pair.value.range?.[0] : undefined);
      const pos = start === undefined ? undefined : lines.linePos(start);
      problems.push({ path: pathOf(ancestors.slice(0, -1), ancestors.at(-1)), line: pos?.line, column: pos?.col, message });
    },
  });
  return problems;
}

/**
 * The library says only "Map keys must be unique" at the second key; which field, in which
 * mapping, and where its first occurrence is, are found in the same text read without that rule.
 */
function duplicateKeyProblem(text: string, offset: number, lines: LineCounter): ScenarioProblem | undefined {
  const lenient = parseDocument(text, { uniqueKeys: false, logLevel: 'silent' });
  let problem: ScenarioProblem | undefined;
  visit(lenient, {
    Pair: (_key, pair, ancestors) => {
      if (!isScalar(pair.key) || pair.key.range?.[0] !== offset) return undefined;
      const map = ancestors.at(-1);
      const name = keyName(pair.key);
      const first = isMap(map) ? map.items.find((other) => isScalar(other.key) && keyName(other.key) === name) : undefined;
      const firstStart = isScalar(first?.key) ? first.key.range?.[0] : undefined;
      const firstAt = firstStart === undefined ? undefined : lines.linePos(firstStart);
      const pos = lines.linePos(offset);
      problem = { path: pathOf(ancestors.slice(0, -1), map), line: pos.line, column: pos.col, message: `field "${name}" is given twice${firstAt === undefined ? '' : ` (first on line ${firstAt.line})`}; keep one` };
      return visit.BREAK;
    },
  });
  return problem;
}

/** The document as plain data; aliases that name no anchor, or expand without bound, are input errors. */
const MAX_ALIAS_COUNT = 1000;
function toPlain(doc: Document, file: string, lines: LineCounter): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (cause) {
    const message = (cause as Error).message.split('\n')[0]!;
    const at = aliasAt(doc, /^Excessive alias count/.test(message));
    const where = at?.alias.range ? lines.linePos(at.alias.range[0]) : undefined;
    const problem = { path: at?.path ?? '', line: where?.line, column: where?.col };
    if (at !== undefined && /^Unresolved alias/.test(message)) {
      throw new ScenarioError(file, [{ ...problem, message: `YAML: Unresolved alias *${at.alias.source}: an alias *name needs an anchor &name before it` }]);
    }
    const why = /^Excessive alias count/.test(message) ? ' (aliases may not expand into a huge document)' : /alias/i.test(message) ? ' (an alias *name needs an anchor &name before it)' : '';
    throw new ScenarioError(file, [{ ...problem, message: `YAML: ${message}${why}` }]);
  }
}

/**
 * The alias the yaml library stopped at, with its field path: the first that names no anchor
 * before it, or (`bomb`) the first at which the expansion count passes the bound. Both follow the
 * library's rules (yaml 2, Alias.resolve): an alias names the last anchor of its name before it,
 * and each use of an anchor counts the aliases nested in it.
 */
function aliasAt(doc: Document, bomb: boolean): { alias: Alias; path: string } | undefined {
  const anchors = new Map<string, Node>();
  const sources = new Map<Alias, Node | undefined>();
  const uses = new Map<Node, { count: number; aliasCount: number }>();
  const aliasCount = (node: unknown): number => {
    if (isAlias(node)) {
      const use = uses.get(sources.get(node)!);
      return use === undefined ? 0 : use.count * use.aliasCount;
    }
    if (isCollection(node)) return Math.max(0, ...node.items.map(aliasCount));
    if (isPair(node)) return Math.max(aliasCount(node.key), aliasCount(node.value));
    return 1;
  };
  let found: { alias: Alias; path: string } | undefined;
  visit(doc, {
    Node: (_key, node, ancestors) => {
      if (!isAlias(node)) {
        if (node.anchor === undefined) return undefined;
        anchors.set(node.anchor, node);
        // The library counts the anchored node itself as its first use.
        uses.set(node, { count: 1, aliasCount: 0 });
        return undefined;
      }
      const source = anchors.get(node.source);
      sources.set(node, source);
      if (source === undefined) {
        if (bomb) return undefined;
      } else {
        if (!bomb) return undefined;
        const use = uses.get(source)!;
        use.count += 1;
        if (use.aliasCount === 0) use.aliasCount = aliasCount(source);
        if (use.count * use.aliasCount <= MAX_ALIAS_COUNT) return undefined;
      }
      found = { alias: node, path: pathOf(ancestors, node) };
      return visit.BREAK;
    },
  });
  return found;
}

/** The dotted field path of a node, from the ancestors `visit` gives. */
function pathOf(ancestors: readonly unknown[], node: unknown): string {
  const chain = [...ancestors, node];
  const parts: string[] = [];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    const child = chain[i + 1];
    if (isPair(parent) && child === parent.value) parts.push(keyName(parent.key));
    else if (isSeq(parent)) parts.push(String(parent.items.indexOf(child)));
  }
  return parts.join('.');
}

/** A key as the plain data names it (the yaml library's toJS: null is ""). */
function keyName(key: unknown): string {
  if (isScalar(key)) return key.value === null ? '' : String(key.value);
  return String(key);
}

/** An array field of the raw input, for checks that can run whatever else is wrong. */
function arrayAt(input: unknown, key: string): readonly unknown[] {
  const value = (input as Record<string, unknown> | null)?.[key];
  return Array.isArray(value) ? value : [];
}

/**
 * Flow lists and mappings ([ and {) open at once, at most. A scenario nests a few levels; the
 * yaml library slows down with depth and then overflows its stack: a 1 MB file of [ took 36 s
 * to be refused as "Maximum call stack size exceeded". Brackets inside quotes and comments count
 * too: a hundred left open there is no scenario either.
 */
const MAX_FLOW_DEPTH = 100;

function refuseDeepNesting(text: string, file: string): void {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) depth++;
    else if ((c === 0x5d || c === 0x7d) && depth > 0) depth--;
    if (depth <= MAX_FLOW_DEPTH) continue;
    const before = text.slice(0, i);
    const line = before.split('\n').length;
    const column = i - before.lastIndexOf('\n');
    throw new ScenarioError(file, [{ path: '', line, column, message: `lists and mappings ([ and {) nested more than ${MAX_FLOW_DEPTH} deep: a scenario nests a few levels; is this the right file?` }]);
  }
}

/**
 * The yaml library's first line, for people: the position is shown beside it already, and a
 * stream of several documents is explained instead of naming the library's API.
 */
function yamlMessage(raw: string): string {
  const first = raw.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (/multiple documents/i.test(first)) return 'a scenario is one YAML document, and this file holds several (is there a --- line?)';
  // The library's stack ran out: hundreds of levels of indentation, or of brackets in a --set.
  if (/Maximum call stack size exceeded/.test(first)) return 'nested too deeply to be read (lists or mappings hundreds of levels inside each other); a scenario nests a few levels';
  return first;
}

/** Thresholds are parsed with the scenario, so a typo fails before a long run, not after. */
function thresholdProblems(sources: readonly unknown[], doc: Document, lines: LineCounter, overridden: Map<string, string>): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  sources.forEach((source, i) => {
    // Not a string: the schema says so.
    if (typeof source !== 'string' || source === '') return;
    try {
      parseThreshold(source);
    } catch (error) {
      if (!(error instanceof ThresholdError)) throw error;
      const path = `thresholds.${i}`;
      problems.push(placed(path, path, error.message.replace(/\n/g, '\n      '), nearestNode(doc, ['thresholds', i]), lines, overridden));
    }
  });
  return problems;
}

/**
 * Applies overrides in order; one that cannot be applied is skipped, its problem kept. Returns,
 * per override, the path of the first node it created (or the path it replaced), so that a problem anywhere below it is attributed to that --set (to the
 * deepest such path: a later --set may write inside an object an earlier one created).
 */
function applyOverrides(doc: Document, overrides: readonly string[]): { applied: Map<string, string>; problems: ScenarioProblem[] } {
  const applied = new Map<string, string>();
  const problems: ScenarioProblem[] = [];
  for (const raw of overrides) {
    const eq = raw.indexOf('=');
    if (eq <= 0) {
      problems.push({ path: raw, message: `an override is path=value, e.g. wallet.idempotency=off (from --set ${raw})` });
      continue;
    }
    const path = raw.slice(0, eq).trim();
    const segments = path.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    const gap = indexPastEnd(doc, segments);
    if (gap !== undefined) {
      problems.push({ path, message: `${gap} (from --set ${raw})` });
      continue;
    }
    let value: unknown;
    try {
      value = parseYamlValue(raw.slice(eq + 1), { logLevel: 'error' });
    } catch (cause) {
      problems.push({ path, message: `the value is not valid YAML: ${yamlMessage((cause as Error).message)} (from --set ${raw})` });
      continue;
    }
    try {
      let created = segments.length;
      for (let n = 1; n <= segments.length; n++) {
        if (!doc.hasIn(segments.slice(0, n))) {
          created = n;
          break;
        }
      }
      // As a node: a plain object set into an existing map stays a plain object, and a later
      // --set below it ("faults.x={rate: 0.1}" then "faults.x.fromSec=5") could not reach in.
      doc.setIn(segments, doc.createNode(value));
      // What earlier overrides wrote at or below this path is gone: this one owns it now.
      const full = segments.join('.');
      for (const k of [...applied.keys()]) if (k === full || k.startsWith(`${full}.`)) applied.delete(k);
      applied.set(segments.slice(0, created).join('.'), raw);
    } catch (cause) {
      problems.push({ path, message: `${blockedPath(doc, segments) ?? `cannot set it (${(cause as Error).message.split('\n')[0]})`} (from --set ${raw})` });
    }
  }
  return { applied, problems };
}

/**
 * A list index beyond the next free one (phases.5 of a file with one phase) would fill the gap
 * with empty items, each then reported as missing: say what is wrong instead.
 */
/**
 * Why a path cannot be set, in the file's terms: a part of it is a value with nothing below it,
 * or a list reached with a name instead of an index (the yaml library says "Expected YAML
 * collection at name. Remaining path: foo" or "Expected a valid index, not -1.").
 */
function blockedPath(doc: Document, segments: readonly (string | number)[]): string | undefined {
  for (let n = 1; n < segments.length; n++) {
    const node = doc.getIn(segments.slice(0, n), true);
    if (node === undefined) return undefined;
    const at = segments.slice(0, n).join('.');
    if (isScalar(node) || isAlias(node)) return `${at} is a value (${JSON.stringify(isScalar(node) ? node.toJSON() : node.source)}), with no field ${segments[n]} below it`;
    if (isSeq(node) && typeof segments[n] !== 'number') {
      const range = node.items.length === 0 ? `${at}.0 adds the first` : `${at}.0 to ${at}.${node.items.length - 1}`;
      return `${at} is a list: the part after it is an index from 0 (${range}), not "${segments[n]}"`;
    }
  }
  return undefined;
}

function indexPastEnd(doc: Document, segments: readonly (string | number)[]): string | undefined {
  for (let n = 0; n < segments.length; n++) {
    const index = segments[n];
    if (typeof index !== 'number') continue;
    const list = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
    // A list that is absent would be made with the gap filled too.
    if (!(isSeq(list) || list === undefined)) continue;
    const length = list === undefined ? 0 : list.items.length;
    if (index <= length) continue;
    const at = segments.slice(0, n).join('.');
    if (length === 0) return `${at} has no items${list === undefined ? ' (it is not in the file)' : ''}; ${at}.0 adds the first`;
    return `${at} has ${length} item${length === 1 ? '' : 's'} (${at}.0 to ${at}.${length - 1}); ${at}.${length} adds one`;
  }
  return undefined;
}

function locate(issue: z.core.$ZodIssue, doc: Document, lines: LineCounter, overridden: Map<string, string>): ScenarioProblem {
  const path = issue.path.map(String);
  const dotted = path.join('.');
  let message = issue.message;
  let node: Node | undefined;
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys;
    // A null key (null:, ~: or an empty key) is "" in the plain data: name it as written.
    const named = keys.map((k) => (isNullKey(keyNode(doc, issue.path as (string | number)[], k)) ? 'null' : `"${k}"`));
    const near = keys.length === 1 ? nearFields(keys[0]!, fieldsAt(issue.path as (string | number)[])) : [];
    const hint = named.includes('null') ? ' (a key written null:, ~: or left empty is null; fields have names)' : near.length > 0 ? ` (did you mean ${near.map((k) => `"${k}"`).join(' or ')}?)` : '';
    message = `unknown field${keys.length > 1 ? 's' : ''} ${named.join(', ')}${hint}`;
    node = keyNode(doc, issue.path as (string | number)[], keys[0]!);
  }
  if (issue.code === 'invalid_type' && issue.input === undefined) message = `required field is missing (${issue.expected})`;
  if (issue.code === 'invalid_union') message = discriminatorMessage(issue, doc) ?? message;
  const full = issue.code === 'unrecognized_keys' ? [...path, issue.keys[0]!].join('.') : dotted;
  // A cross-field check sits on the object holding its fields: a --set to any of them is its place.
  const inside = issue.code === 'custom';
  return placed(dotted, full, message, node ?? nearestNode(doc, issue.path as (string | number)[]), lines, overridden, inside);
}

/**
 * The fields the schema knows in the mapping at `path` (every option's, for a union such as a
 * phase or a distribution), read from the zod schema itself so they cannot drift from it.
 */
function fieldsAt(path: readonly (string | number)[]): string[] {
  type Schema = { _zod: { def: { type: string; innerType?: Schema; in?: Schema; shape?: Record<string, Schema>; element?: Schema; options?: Schema[] } } };
  // Objects and lists as themselves; a union as its options; defaults, optionals and pipes as what they hold.
  const expand = (schema: Schema | undefined): Schema[] => {
    if (schema === undefined) return [];
    const def = schema._zod.def;
    if (def.innerType !== undefined) return expand(def.innerType);
    if (def.type === 'pipe') return expand(def.in);
    if (def.type === 'union') return (def.options ?? []).flatMap(expand);
    return def.type === 'object' || def.type === 'array' ? [schema] : [];
  };
  let current = expand(scenarioSchema as unknown as Schema);
  for (const key of path) {
    current = current.flatMap((schema) => {
      const def = schema._zod.def;
      if (def.type === 'object') return expand(def.shape?.[String(key)]);
      return def.type === 'array' && typeof key === 'number' ? expand(def.element) : [];
    });
  }
  return [...new Set(current.flatMap((schema) => Object.keys(schema._zod.def.shape ?? {})))];
}

/** Known fields a typo or two away from an unknown one (one for a short name), or its start (roundsPerSecond). */
function nearFields(word: string, known: readonly string[]): string[] {
  const allowed = word.length >= 5 ? 2 : word.length >= 3 ? 1 : 0;
  const w = word.toLowerCase();
  const near = (k: string) => editDistance(k, w) <= allowed || (k.length >= 4 && w.length >= 4 && (w.startsWith(k) || k.startsWith(w)));
  return known.filter((k) => k !== word && near(k.toLowerCase())).slice(0, 3);
}

/**
 * zod's message for a tagged union (a phase's kind) that matches no option is "Invalid
 * discriminator value", whether the field is missing or holds a wrong value, and its issue
 * carries no value: read it from the document to say which, in the words the other fields use.
 */
function discriminatorMessage(issue: z.core.$ZodIssueInvalidUnion, doc: Document): string | undefined {
  const options = (issue as { options?: unknown[] }).options;
  if (options === undefined || options.length === 0) return undefined;
  const oneOf = `one of ${options.join(', ')}`;
  const value: unknown = doc.getIn(issue.path as (string | number)[]);
  if (value === undefined) return `required field is missing (${oneOf})`;
  return `unknown ${String(issue.path[issue.path.length - 1])} ${typeof value === 'string' ? `'${value}'` : JSON.stringify(value)} (${oneOf})`;
}

/**
 * A problem at `path` (`full`: the field it is about), with its place: the --set that wrote the
 * field, or else the file's line and column. A node a --set created has no place in the file
 * (its range counts characters of the --set's value), so it gets no line there.
 */
function placed(path: string, full: string, message: string, node: Node | undefined, lines: LineCounter, overridden: Map<string, string>, inside = false): ScenarioProblem {
  const keys = [...overridden.keys()];
  // The --set that wrote the field itself or its deepest enclosing object; else, for a check on an object, one inside it.
  const fromSet =
    keys.filter((k) => full === k || full.startsWith(`${k}.`)).sort((a, b) => b.length - a.length)[0] ??
    (inside ? keys.find((k) => k.startsWith(`${full}.`)) : undefined);
  if (fromSet !== undefined) {
    // At the end of the first line: a threshold's message goes on with the expression and a caret.
    const [first, ...rest] = message.split('\n');
    return { path, message: [`${first} (from --set ${overridden.get(fromSet)})`, ...rest].join('\n') };
  }
  const start = node?.range?.[0];
  if (start === undefined) return { path, message };
  const pos = lines.linePos(start);
  return { path, line: pos.line, column: pos.col, message };
}

/** The deepest node that exists along the path, so a missing field points at its parent. */
function nearestNode(doc: Document, path: (string | number)[]): Node | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    if (isNode(node) && node.range) return node;
  }
  return undefined;
}

function keyNode(doc: Document, path: (string | number)[], key: string): Node | undefined {
  const parent = path.length === 0 ? doc.contents : doc.getIn(path, true);
  if (!isMap(parent)) return undefined;
  const pair = parent.items.find((p) => isScalar(p.key) && keyName(p.key) === key);
  return isNode(pair?.key) ? pair.key : undefined;
}

function isNullKey(node: Node | undefined): boolean {
  return isScalar(node) && node.value === null;
}
