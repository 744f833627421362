import { usageError } from '../errors.js';
import { MODEL_NAMES, type ModelName } from '../models/config.js';

/** `--model`: one name, a comma list, or all. */
export function parseModels(value: string): ModelName[] {
  if (value === 'all') return [...MODEL_NAMES];
  const names = value.split(',').map((s) => s.trim());
  const unknown = names.find((n) => !(MODEL_NAMES as readonly string[]).includes(n));
  if (unknown !== undefined) throw usageError('E_UNKNOWN_MODEL', `unknown model "${unknown}"`, `use one of ${MODEL_NAMES.join(', ')} or all`);
  // A model named twice would run twice and show two identical columns.
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw usageError('E_MODEL_TWICE', `model "${twice}" is named twice in --model ${value}`, 'name each model once');
  return names as ModelName[];
}
