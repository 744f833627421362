import { describeChange, describeMissing, type Comparison } from '../diff.js';
import type { Report, RunReport } from '../model.js';
import { convergenceNotMeasured, endProblem, endTime, neverConverged } from '../run-end.js';
import type { Reporter } from '../reporter.js';
import { writeFileAtomic } from './json.js';

/**
 * JUnit XML, so a CI system lists which check failed: per model a test suite with one test case
 * per consistency check, per threshold and per figure compared with the baseline. Failures here
 * are exactly what makes the exit code 1.
 */
export function junitReporter(file: string, comparison?: Comparison): Reporter {
  return {
    name: 'junit',
    onReport(report) {
      writeFileAtomic(file, renderJunit(report, comparison));
    },
  };
}

interface Case {
  readonly classname: string;
  readonly name: string;
  readonly failure?: { readonly message: string; readonly detail?: string };
  readonly error?: { readonly message: string };
  readonly skipped?: string;
}

export function renderJunit(report: Report, comparison?: Comparison): string {
  const prefix = `walletstorm.${report.scenario.name}`;
  const suites = report.runs.map((run) => suite(`${prefix}.${run.model}`, [...consistencyCases(prefix, run), ...thresholdCases(prefix, run), ...baselineCases(prefix, run.model, comparison)]));
  for (const m of comparison?.models ?? []) {
    if (m.status === 'only-baseline') {
      suites.push(suite(`${prefix}.${m.model}`, [{ classname: `${prefix}.${m.model}.baseline`, name: 'model', failure: { message: describeMissing({ model: m.model }) } }]));
    }
  }
  const total = suites.reduce((n, s) => n + s.tests, 0);
  const failures = suites.reduce((n, s) => n + s.failures, 0);
  const errors = suites.reduce((n, s) => n + s.errors, 0);
  const seconds = ((report.timing?.wallMs ?? 0) / 1000).toFixed(3);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${attr(prefix)}" tests="${total}" failures="${failures}" errors="${errors}" time="${seconds}">`,
    ...suites.map((s) => s.xml),
    '</testsuites>',
    '',
  ].join('\n');
}

function suite(name: string, cases: readonly Case[]): { xml: string; tests: number; failures: number; errors: number } {
  const failures = cases.filter((c) => c.failure).length;
  const errors = cases.filter((c) => c.error).length;
  const skipped = cases.filter((c) => c.skipped !== undefined).length;
  const body = cases.map((c) => {
    const open = `    <testcase classname="${attr(c.classname)}" name="${attr(c.name)}" time="0"`;
    if (c.failure) {
      const detail = c.failure.detail === undefined ? '' : text(c.failure.detail);
      return `${open}>\n      <failure message="${attr(c.failure.message)}" type="${attr(c.classname.split('.').pop()!)}">${detail}</failure>\n    </testcase>`;
    }
    if (c.error) return `${open}>\n      <error message="${attr(c.error.message)}" type="run"/>\n    </testcase>`;
    if (c.skipped !== undefined) return `${open}>\n      <skipped message="${attr(c.skipped)}"/>\n    </testcase>`;
    return `${open}/>`;
  });
  const xml = [`  <testsuite name="${attr(name)}" tests="${cases.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="0">`, ...body, '  </testsuite>'].join('\n');
  return { xml, tests: cases.length, failures, errors };
}

/** The checker's verdict, split into the checks it is made of, each a test case. */
function consistencyCases(prefix: string, run: RunReport): Case[] {
  const classname = `${prefix}.${run.model}.consistency`;
  const detail = run.consistency.problems.join('\n') || undefined;
  const c = run.consistency;
  const check = (name: string, count: number, what: string): Case =>
    count === 0 ? { classname, name } : { classname, name, failure: { message: `${count} ${what}`, detail } };
  // A check made of the wallet's entries (and house account) is skipped without them, not passed
  // on a 0 that was never counted: a target without the audit (checked by balances), or whose
  // final state could not be read (none; the `checked by none` case below fails instead).
  const notChecked =
    c.checkedBy === 'balances' ? 'not checked: the wallet has no audit endpoint (checked by balances)' : c.checkedBy === 'none' ? 'not checked: the final state could not be read' : undefined;
  const fromEntries = (name: string, count: number, what: string): Case => (notChecked === undefined || count > 0 ? check(name, count, what) : { classname, name, skipped: notChecked });
  const cases: Case[] = [
    fromEntries('no duplicates', run.duplicates, `logical operations applied more than once (${run.duplicateMinorUnits} minor units)`),
    fromEntries('no lost operations', run.lost, 'operations acknowledged but absent from the ledger'),
    fromEntries('no unexpected ledger entries', run.unexpected, 'ledger entries that no attempt sent'),
    fromEntries('no refused operation applied', run.refusedButApplied, 'ledger entries of operations the wallet refused'),
    check('no mismatches', run.mismatches, 'DUPLICATE_MISMATCH answers or entries that differ from what was sent'),
    check('no negative balances', run.negativeBalances, 'players with a negative balance'),
    fromEntries('rollbacks refund their bets', run.unrefundedRollbacks, 'rollbacks acknowledged whose bet and refunds together still moved money'),
    fromEntries('balances match the ledger', c.balanceMismatches, 'players whose balance differs from their entries'),
    check('balances within bounds', c.outOfBounds, 'players whose balance lies outside what the acknowledged operations allow'),
    notChecked !== undefined
      ? { classname, name: 'money is conserved', skipped: notChecked }
      : c.conservation.ok
        ? { classname, name: 'money is conserved' }
        : { classname, name: 'money is conserved', failure: { message: `initial ${c.conservation.initialMinorUnits}, final ${c.conservation.finalMinorUnits} minor units`, detail } },
  ];
  // A real target must know the scenario's players: what it refused so was never checked.
  if (run.world === 'real') cases.push(check('the wallet knows every player', run.results.PLAYER_NOT_FOUND ?? 0, 'PLAYER_NOT_FOUND answers'));
  // A verdict that failed without any of the counts above (the target could not be read).
  if (!c.ok && cases.every((k) => k.failure === undefined)) {
    cases.push({ classname, name: `checked by ${c.checkedBy}`, failure: { message: 'the consistency check failed', detail } });
  }
  const converges = 'converges after the traffic';
  const at = endTime(run);
  cases.push(
    run.convergenceMs !== null
      ? { classname, name: converges }
      : convergenceNotMeasured(run)
        ? { classname, name: converges, skipped: `${run.stopReason === 'stopped' ? 'stopped with q' : 'interrupted'} at ${at}, before it could` }
        : { classname, name: converges, failure: { message: `work still queued or in the log when the run ended (${run.stopReason} at ${at})` } },
  );
  // The event limit is an error (the run could not complete, exit 3); a drain deadline or an
  // interrupt a failure (an interrupted run is no pass, though its convergence case is skipped).
  // (No convergence has its own case above.)
  const ownCase = neverConverged(run) && run.stopReason !== 'event-limit';
  const ended = ownCase ? undefined : endProblem(run);
  cases.push(
    ended === undefined
      ? { classname, name: 'run completes' }
      : run.stopReason === 'event-limit'
        ? { classname, name: 'run completes', error: { message: ended } }
        : { classname, name: 'run completes', failure: { message: ended } },
  );
  return cases;
}

function thresholdCases(prefix: string, run: RunReport): Case[] {
  const classname = `${prefix}.${run.model}.threshold`;
  return (run.thresholds ?? []).map((t) =>
    t.ok ? { classname, name: t.expression } : { classname, name: t.expression, failure: { message: `${t.metric} = ${t.value === null ? 'no value' : t.value}, needs ${t.expression}` } },
  );
}

function baselineCases(prefix: string, model: string, comparison: Comparison | undefined): Case[] {
  if (comparison === undefined) return [];
  const classname = `${prefix}.${model}.baseline`;
  const status = comparison.models.find((m) => m.model === model)?.status;
  if (status === 'only-current') return [{ classname, name: 'model', skipped: `${model} is not in the baseline` }];
  return comparison.changes
    .filter((c) => c.model === model)
    .map((c): Case => {
      if (c.status === 'regression') return { classname, name: c.figure, failure: { message: `regression: ${describeChange(c)}` } };
      if (c.status === 'missing') return { classname, name: c.figure, failure: { message: describeMissing(c) } };
      if (c.status === 'only-baseline' || c.status === 'only-current') return { classname, name: c.figure, skipped: `${c.status === 'only-baseline' ? 'only in the baseline' : 'not in the baseline'}: ${describeChange(c)}` };
      return { classname, name: c.figure };
    });
}

function attr(s: string): string {
  return text(s).replace(/"/g, '&quot;').replace(/\n/g, '&#10;');
}

function text(s: string): string {
  // XML 1.0 has no escape for most control characters: drop them.
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
