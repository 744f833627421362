import { describe, expect, it } from 'vitest';
import { compileScenario } from '../src/scenario/compile.js';
import { loadScenario } from '../src/scenario/load.js';
import { runVirtual } from '../src/sim/world.js';
import type { Report, RunReport } from '../src/report/model.js';
import { renderJunit } from '../src/report/reporters/junit.js';

const SMALL = ['traffic.phases.0.durationSec=1', 'traffic.phases.0.roundsPerSec=100', 'players.count=100'];
const run = runVirtual(compileScenario(loadScenario('steady', SMALL).scenario), 'request', 1).report;
const junit = (r: RunReport) => {
  const report: Report = { tool: { name: 'walletstorm', version: 'test' }, scenario: { name: 'steady', seed: 1, overrides: SMALL }, runs: [r], timing: { wallMs: 1, simulatedOpsPerSec: 1 } };
  return renderJunit(report);
};

describe('JUnit consistency cases', () => {
  it('a run whose wallet could not be read fails as not checked, not as money lost', () => {
    // As run-real's unchecked() leaves it: a target lost mid-run, or one that is not a wallet.
    const initialMinorUnits = run.consistency.conservation.initialMinorUnits;
    const unchecked: RunReport = {
      ...run,
      world: 'real',
      consistency: { ...run.consistency, ok: false, checkedBy: 'none', conservation: { ok: false, initialMinorUnits, finalMinorUnits: 0 }, problems: ['not checked: the target could not be reached at the end of the run'] },
    };
    const xml = junit(unchecked);
    expect(xml).not.toContain(`final 0 minor units`);
    expect(xml).toMatch(/<testcase classname="walletstorm\.steady\.request\.consistency" name="money is conserved" time="0">\n\s+<skipped message="not checked: /);
    expect(xml).toMatch(/<testcase classname="walletstorm\.steady\.request\.consistency" name="checked by none" time="0">\n\s+<failure message="the consistency check failed"/);
  });

  it('a wallet without the audit (checked by balances): the checks made of entries are skipped, not passed on a 0 never counted', () => {
    const byBalances: RunReport = { ...run, world: 'real', consistency: { ...run.consistency, checkedBy: 'balances' } };
    const xml = junit(byBalances);
    const skipped = 'not checked: the wallet has no audit endpoint (checked by balances)';
    for (const name of ['no duplicates', 'no lost operations', 'no unexpected ledger entries', 'rollbacks refund their bets', 'balances match the ledger', 'money is conserved']) {
      expect(xml, name).toContain(`name="${name}" time="0">\n      <skipped message="${skipped}"/>`);
    }
    // What the balances do show is still judged.
    for (const name of ['balances within bounds', 'no negative balances', 'no mismatches']) expect(xml, name).toContain(`name="${name}" time="0"/>`);
    expect(xml).toContain('failures="0"');
  });

  it('a run that was checked and lost money fails on conservation', () => {
    const initialMinorUnits = run.consistency.conservation.initialMinorUnits;
    const lost: RunReport = { ...run, consistency: { ...run.consistency, ok: false, conservation: { ok: false, initialMinorUnits, finalMinorUnits: initialMinorUnits - 5 } } };
    expect(junit(lost)).toMatch(new RegExp(`name="money is conserved" time="0">\\n\\s+<failure message="initial ${initialMinorUnits}, final ${initialMinorUnits - 5} minor units"`));
  });
});

describe('JUnit cases of a run that ended early', () => {
  const caseOf = (xml: string, name: string) => new RegExp(`name="${name}" time="0">\\n\\s+<(\\w+) message="([^"]*)"`).exec(xml);

  it('interrupted (Ctrl-C, SIGTERM): convergence skipped, as for q, and "run completes" fails, so it is no pass', () => {
    const interrupted: RunReport = { ...run, stopReason: 'interrupted', interrupted: true, completed: false, convergenceMs: null, endMs: 4200 };
    const xml = junit(interrupted);
    expect(caseOf(xml, 'converges after the traffic')?.slice(1)).toEqual(['skipped', 'interrupted at 4.2 s, before it could']);
    expect(caseOf(xml, 'run completes')?.slice(1)).toEqual(['failure', 'interrupted at 4.2 s, before the run completed']);
    // Interrupted after it converged (a real run, while its final state was read): still no pass.
    const converged = junit({ ...interrupted, convergenceMs: 12 });
    expect(caseOf(converged, 'converges after the traffic')).toBeNull();
    expect(caseOf(converged, 'run completes')?.slice(1)).toEqual(['failure', 'interrupted at 4.2 s, before the run completed']);
  });

  it('stopped with q: convergence skipped, the run complete (a normal end); not converged on its own: convergence fails', () => {
    const stopped = junit({ ...run, stopReason: 'stopped', completed: false, convergenceMs: null, endMs: 4200 });
    expect(caseOf(stopped, 'converges after the traffic')?.slice(1)).toEqual(['skipped', 'stopped with q at 4.2 s, before it could']);
    expect(caseOf(stopped, 'run completes')).toBeNull();
    const unconverged = junit({ ...run, stopReason: 'deadline', completed: false, convergenceMs: null, endMs: 4200 });
    expect(caseOf(unconverged, 'converges after the traffic')?.[1]).toBe('failure');
  });
});
