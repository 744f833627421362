/**
 * Module hooks of plant-bug.mjs: one LedgerSafety switch off by default in the built ledger, and
 * a call to the preload's __walletstormTestLedgerMade each time a ledger resolves its switches.
 */
const DEFAULT = 'out[key] = safety?.[key] ?? true;';
const SAFETY_OF = 'function safetyOf(safety) {';
let off;

export function initialize(data) {
  off = data.off;
}

export async function load(url, context, nextLoad) {
  const loaded = await nextLoad(url, context);
  if (!url.endsWith('/dist/src/domain/ledger.js')) return loaded;
  const source = String(loaded.source);
  // A build without these lines would run without the bug: fail loudly instead.
  for (const line of [DEFAULT, SAFETY_OF]) if (!source.includes(line)) throw new Error(`plant-bug: ${line} not found in ${url}`);
  const planted = source
    .replace(DEFAULT, `out[key] = safety?.[key] ?? key !== ${JSON.stringify(off)};`)
    .replace(SAFETY_OF, `${SAFETY_OF} globalThis.__walletstormTestLedgerMade?.();`);
  return { ...loaded, source: planted };
}
