/**
 * A preload for the built CLI (`node --import ./test/support/plant-bug.mjs bin/walletstorm.js …`)
 * that makes a planted-bug build without copying one: the LedgerSafety switch named by
 * WALLETSTORM_TEST_SAFETY_OFF is off by default in dist/src/domain/ledger.js as it loads, as the
 * README's shrink example changes one line of that file. The swarm then finds failing seeds from
 * the command line, which main never does.
 *
 * With WALLETSTORM_TEST_SIGNAL_AT_LEDGER=K it also sends itself SIGTERM then SIGINT (a CI cancel)
 * as the K-th ledger is made, that is in the middle of the K-th run (one ledger a run): a real
 * signal, at a point that does not depend on how fast the machine is.
 */
import { register } from 'node:module';

const off = process.env.WALLETSTORM_TEST_SAFETY_OFF;
if (off !== undefined) register(new URL('./plant-bug-hooks.mjs', import.meta.url), { data: { off } });

const at = process.env.WALLETSTORM_TEST_SIGNAL_AT_LEDGER;
let made = 0;
globalThis.__walletstormTestLedgerMade = () => {
  if (at === undefined || ++made !== Number(at)) return;
  process.kill(process.pid, 'SIGTERM');
  process.kill(process.pid, 'SIGINT');
};
