import type { PlayerAccount } from '../domain/ledger.js';
import { type ControlClient, type Health, whyReadFailed } from '../drivers/http/audit.js';
import { EXIT, WalletstormError } from '../errors.js';

/** What a real target holds as a run starts, read before any traffic. */
export interface TargetStart {
  /** Its /healthz, or undefined for a target without one. */
  readonly health: Health | undefined;
  /** The audit's last seq before the run (this run's entries come after it); undefined: no audit endpoint. */
  readonly auditStartSeq: number | undefined;
  /** The refusals' last seq before the run; undefined: the wallet does not list its refusals (or the run is over Kafka). */
  readonly refusalsStartSeq: number | undefined;
  /** The scenario's players at the balances the target holds now. */
  readonly players: PlayerAccount[];
}

/**
 * Reads the target before the run: reachable, its audit and refusals where they start, and the
 * players' balances. A target that cannot be checked against the scenario is refused here.
 */
export async function readTargetStart(control: ControlClient, origin: string, accounts: readonly PlayerAccount[], overKafka: boolean): Promise<TargetStart> {
  const health = await preflight(control, origin);
  const auditStart = await control.transactions(-1, 0).catch((e: Error) => {
    throw new WalletstormError('E_TARGET_PROTOCOL', `the target's audit endpoint is broken: ${e.message}`, EXIT.unreachable);
  });
  // Over HTTP the audit lists only what was applied: an operation accepted and refused when
  // applied (a late rejection) shows in the wallet's list of refusals, where it keeps one. Over
  // Kafka the results topic carries every application, refused ones too.
  const refusalsStart =
    auditStart === undefined || overKafka
      ? undefined
      : await control.refusals(-1, 0).catch((e: Error) => {
          throw new WalletstormError('E_TARGET_PROTOCOL', `the target's refusals endpoint is broken: ${e.message}`, EXIT.unreachable, 'see docs/protocol.md');
        });
  // Balances as the run starts: a server that served an earlier run is not at the scenario's
  // initial balances any more, and what counts is what this run did.
  const before = await control.allBalances().catch((e: Error) => {
    throw new WalletstormError('E_TARGET_PROTOCOL', `the target's balances endpoint is broken: ${e.message}`, EXIT.unreachable, 'see docs/protocol.md');
  });
  refuseUnfitTarget(origin, accounts, before, auditStart?.lastSeq);
  return {
    health,
    auditStartSeq: auditStart?.lastSeq,
    refusalsStartSeq: refusalsStart?.lastSeq,
    players: accounts.map((p) => ({ ...p, initialBalance: before?.get(p.id) ?? p.initialBalance })),
  };
}

async function preflight(control: ControlClient, origin: string): Promise<Health | undefined> {
  try {
    return await control.health(3000);
  } catch (cause) {
    const why = whyReadFailed(cause, '/healthz', 3000);
    throw new WalletstormError(
      'E_TARGET_UNREACHABLE',
      `cannot reach the wallet at ${origin} (${why})`,
      EXIT.unreachable,
      'start it with `walletstorm serve` (or use --target local), and check the port',
      { cause },
    );
  }
}

/**
 * A target that cannot be checked against this scenario, refused before any traffic: one that
 * lists its balances without some of the scenario's players, or one that has applied entries
 * already and does not list its balances, so that where its players start is unknown (the
 * check would count an earlier run's money as this run's and fail for no fault of the wallet).
 */
function refuseUnfitTarget(origin: string, accounts: readonly PlayerAccount[], before: ReadonlyMap<string, number> | undefined, auditLastSeq: number | undefined): void {
  if (before !== undefined) {
    const missing = accounts.filter((p) => !before.has(p.id));
    if (missing.length === 0) return;
    throw new WalletstormError(
      'E_TARGET_PLAYERS',
      `the target at ${origin} lists ${before.size} players but not ${missing.length} of the scenario's ${accounts.length}, such as ${missing[0]!.id}`,
      EXIT.invalidInput,
      'set the wallet up with the scenario\'s players (docs/protocol.md, "Players"), or lower players.count with --set',
    );
  }
  if (auditLastSeq === undefined || auditLastSeq < 0) return;
  throw new WalletstormError(
    'E_TARGET_NOT_FRESH',
    `the target at ${origin} has applied ${auditLastSeq + 1} entries before this run and does not list its balances (GET /wallet/balances): where this run's players start is unknown`,
    EXIT.invalidInput,
    'restart the wallet before each run, or implement GET /wallet/balances (docs/protocol.md)',
  );
}
