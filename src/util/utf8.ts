/**
 * UTF-8 that must be valid: a lenient decoder turns bad bytes into U+FFFD, so two different
 * inputs (two txIds) could read as one. Throws a TypeError on invalid bytes.
 */
const STRICT = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8Strict(bytes: Uint8Array): string {
  return STRICT.decode(bytes);
}
