/**
 * A simulated run cut at its drain deadline ends at that deadline, as a real one does: its report
 * said it ended at its last event (the clock never moves past one), so that a request-driven
 * wallet whose one worker was still busy with a 40 s service time read "did not converge:
 * deadline at 15.057 s" for a deadline at 24 s (4 s of traffic, a 20 s drain), while `load` with
 * the same settings said "deadline at 24.007 s".
 */
import { describe, expect, it } from 'vitest';
import { walletstorm } from './support/cli.js';

const ARGS = [
  'simulate', 'steady', '--model', 'request', '--no-ui', '--no-color', '--json', '-',
  '--set', 'traffic.phases.0.durationSec=4', '--set', 'traffic.phases.0.roundsPerSec=100',
  '--set', 'wallet.request.serviceTimeMs.p99=4000', '--set', 'provider.timeoutMs=500', '--set', 'run.drainTimeoutSec=20',
];

describe('a simulated run cut at its drain deadline', () => {
  it('ends at the deadline, in the report and in what it says of its end', () => {
    const r = walletstorm(ARGS, 60_000);
    expect(r.status, r.stderr).toBe(1);
    const run = JSON.parse(r.stdout).runs[0];
    expect(run.stopReason).toBe('deadline');
    // The wallet still had work: a worker busy past the deadline, with no event before it.
    expect(run.convergenceMs).toBeNull();
    expect(run.endMs).toBe(24_000);
    // Its series runs to the deadline, as a real run's does: idle seconds are seconds of the run.
    expect(run.series.intervals.at(-1).tMs).toBe(24_000);
  });
});
