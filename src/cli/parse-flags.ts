import { isIP } from 'node:net';
import { usageError } from '../errors.js';

/**
 * Number flags are read as decimal text only. Number() alone would take "" as 0, and "0x10",
 * "1e3" and " 5" as numbers, so a typo would run something else than what was asked.
 */
const WHOLE = /^\d+$/;
const DECIMAL = /^\d+(\.\d+)?$/;

/** A whole decimal number from min to max (digits only: no sign, exponent, hex or blanks). */
export function parseWhole(flag: string, value: string, min: number, max: number, code = 'E_BAD_FLAG'): number {
  const n = Number(value);
  if (!WHOLE.test(value) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw usageError(code, `${flag} must be a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/** A seed, as every command takes it: the PRNG is seeded with 32 bits. */
export function parseSeed(value: string): number {
  return parseWhole('--seed', value, 0, 2 ** 32 - 1, 'E_BAD_SEED');
}

/** A decimal number such as 2, 0.5 or 30.25, from min to max; undefined when the flag is absent. */
export function parseDecimal(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!DECIMAL.test(value) || n < min || n > max) {
    throw usageError('E_BAD_FLAG', `${flag} must be a decimal number from ${min} to ${max} (such as 2 or 0.5), got "${value}"`);
  }
  return n;
}

/**
 * serve --host: an IP literal or localhost. Node would take "" as every interface, and a name it
 * cannot resolve only fails at listen, as if the machine were at fault.
 */
export function parseHost(value: string): string {
  if (value === 'localhost' || isIP(value) !== 0) return value;
  throw usageError(
    'E_BAD_HOST',
    `--host must be an IP address or localhost, got "${value}"`,
    'serve listens on 127.0.0.1 (loopback, this machine only) by default; ::1 is loopback over IPv6; 0.0.0.0 (or ::) listens on every interface, reachable from other machines',
  );
}
