/**
 * UTF-8 that must be valid: a lenient decoder turns bad bytes into U+FFFD, so two different
 * inputs (two txIds) could read as one. Throws a TypeError on invalid bytes.
 */
const STRICT = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8Strict(bytes: Uint8Array): string {
  return STRICT.decode(bytes);
}

/** Where the first byte that is not UTF-8 sits: line and column (in characters), the byte and its offset. */
export interface InvalidUtf8 {
  readonly line: number;
  readonly column: number;
  /** The byte, as two hex digits. */
  readonly byte: string;
  readonly offset: number;
}

/** The first byte that starts no valid UTF-8 sequence (or cuts one short), placed; undefined when all is valid. */
export function firstInvalidUtf8(bytes: Uint8Array): InvalidUtf8 | undefined {
  const offset = invalidOffset(bytes);
  if (offset === undefined) return undefined;
  const lineStart = bytes.lastIndexOf(0x0a, offset - 1) + 1;
  let line = 1;
  for (let i = 0; i < lineStart; i++) if (bytes[i] === 0x0a) line++;
  // What comes before it on its line is valid: its characters give the column.
  const column = [...decodeUtf8Strict(bytes.subarray(lineStart, offset))].length + 1;
  return { line, column, byte: bytes[offset]!.toString(16).toUpperCase().padStart(2, '0'), offset };
}

function invalidOffset(bytes: Uint8Array): number | undefined {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let need: number;
    let low = 0x80;
    let high = 0xbf;
    if (b < 0x80) need = 0;
    else if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) low = 0xa0; // no overlong forms
      if (b === 0xed) high = 0x9f; // no surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) low = 0x90;
      if (b === 0xf4) high = 0x8f; // nothing past U+10FFFF
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < (k === 1 ? low : 0x80) || c > (k === 1 ? high : 0xbf)) return i;
    }
    i += need + 1;
  }
  return undefined;
}
