import type { PlayerAccount } from '../domain/ledger.js';
import type { LedgerSnapshot } from './consistency.js';

/**
 * Money is conserved: initial + entries = players' final balances, and players + house = initial.
 * Added up as BigInt: each balance is a safe integer, but their sum over many players need not be
 * (10,000 players holding 10^12 minor units each pass 2^53), and a float sum would report drift
 * that is only rounding. A balance that is not an integer (a broken target) is drift in itself.
 * `initial` and `running`: per player number (see PlayerBook), the balance it started with and
 * that plus its entries.
 */
export function conservation(
  players: readonly PlayerAccount[],
  initial: readonly number[],
  running: readonly number[],
  ledger: Pick<LedgerSnapshot, 'balances' | 'houseBalance'>,
) {
  let integral = true;
  const big = (x: number): bigint => {
    if (Number.isInteger(x)) return BigInt(x);
    integral = false;
    return 0n;
  };
  // Floats too, for the report when some balance is not an integer (its BigInt sum left it out).
  let initialFloat = 0;
  let finalFloat = 0;
  let initialTotal = 0n;
  let finalTotal = 0n;
  for (const p of players) {
    initialTotal += big(p.initialBalance);
    finalTotal += big(ledger.balances.get(p.id) ?? 0);
    initialFloat += p.initialBalance;
    finalFloat += ledger.balances.get(p.id) ?? 0;
  }
  // The entries' sum, per player: each running balance is exact where a sum of them may not be.
  let entries = 0n;
  for (let n = 0; n < running.length; n++) entries += big(running[n]!) - big(initial[n]!);
  const house = ledger.houseBalance === undefined ? -entries : big(ledger.houseBalance);
  if (!integral) {
    const houseFloat = ledger.houseBalance ?? initialFloat - finalFloat;
    return { ok: false, initialMinorUnits: initialFloat, playersMinorUnits: finalFloat, houseMinorUnits: houseFloat, finalMinorUnits: finalFloat + houseFloat };
  }
  const ok = initialTotal + entries === finalTotal && finalTotal + house === initialTotal;
  return { ok, initialMinorUnits: initialTotal, playersMinorUnits: finalTotal, houseMinorUnits: house, finalMinorUnits: finalTotal + house };
}
