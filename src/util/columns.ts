/**
 * Growth for columnar stores: per-key data kept in typed arrays indexed by a dense id (see
 * StringTable) instead of one object per key, so millions of keys cost the garbage collector
 * nothing to scan or copy.
 */

type NumberColumn = Uint8Array | Int32Array | Float64Array;

/**
 * `column` itself if it has a place for `id`, else a copy with at least twice the length (the
 * new tail is zero, which every column here reads as "nothing stored").
 */
export function withRoomFor<C extends NumberColumn>(column: C, id: number): C {
  if (id < column.length) return column;
  let length = Math.max(16, column.length * 2);
  while (length <= id) length *= 2;
  const grown = new (column.constructor as new (length: number) => C)(length);
  grown.set(column);
  return grown;
}

/**
 * Appends `undefined` to a reference column until it has a place for `id`. Appending (rather than
 * writing past the end) keeps the array packed, the fast representation in V8.
 */
export function padTo<T>(column: (T | undefined)[], id: number): void {
  while (column.length <= id) column.push(undefined);
}
