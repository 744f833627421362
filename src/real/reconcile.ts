import type { Auditor, RunEnd } from '../check/auditor.js';
import type { LedgerSnapshot } from '../check/consistency.js';
import type { VerdictSink } from '../check/verdicts.js';
import { entryListOf } from '../domain/journal.js';
import type { LedgerEntry, PlayerAccount } from '../domain/ledger.js';
import type { MoneyRequest } from '../domain/operations.js';
import type { ResultCode } from '../domain/results.js';
import type { ControlClient } from '../drivers/http/audit.js';
import { fromWireEntry } from '../drivers/http/protocol.js';
import type { RealClock } from '../drivers/real-clock.js';
import type { WalletProbe } from '../models/probe.js';
import type { RunReport } from '../report/model.js';
import { judgeBalances } from './balance-check.js';

/**
 * The end of a real run: the wallet's final state read back (its audit, or its balances alone)
 * and judged with the simulator's checker.
 */

/** The report once the wallet's final state was read, with the audit's entries when it has an audit. */
export interface Reconciled {
  readonly report: RunReport;
  readonly entries?: readonly LedgerEntry[];
}

/** What the ledger audit reads and judges with. */
export interface AuditInputs {
  readonly auditor: Auditor;
  /** Where the settlements read back from the audit go: the checker, and a trace's recorder beside it. */
  readonly probe: WalletProbe;
  readonly control: ControlClient;
  readonly clock: RealClock;
  readonly end: RunEnd;
  readonly players: readonly PlayerAccount[];
  /** The audit's last seq before the run: this run's entries come after it. */
  readonly startSeq: number;
  readonly txIdPrefix: string;
  /** A player another load generator drives (--segment): its entries are that run's to audit. */
  readonly othersPlayer: (playerId: string) => boolean;
  /** Over HTTP the wallet's settlements come back through the audit (over Kafka, on the results topic). */
  readonly settleFromAudit: boolean;
  /** The refusals' last seq before the run; undefined: the wallet does not list its refusals. */
  readonly refusalsStartSeq: number | undefined;
  /** The wallet said it was idle after a run that completed. */
  readonly walletIdle: boolean;
  readonly nothingLeftToSettle: boolean;
  readonly verdicts: VerdictSink | undefined;
}

/** The ledger audit through GET /wallet/transactions: every entry this run added. */
export async function auditedReport(a: AuditInputs): Promise<Reconciled> {
  const { auditor, control, players } = a;
  // A wallet that does not keep the op ref: the txId names the operation just as well.
  const byTxId = opsByTxId(auditor);
  const { entries, wrongOpRefs } = await auditEntries(a, byTxId);
  // The wallet's probe lives in the server; over HTTP its settlements come back through the
  // audit (over Kafka they came on the results topic, with the failed ones too).
  const refusedEntries = a.settleFromAudit ? await settleFromAudit(a, entries, byTxId) : undefined;
  const misdated = misdatedEntries(auditor, entries, a.clock.epochMs, a.settleFromAudit);
  // Latencies from a clock that dates an entry before its operation was sent measure nothing.
  if (misdated !== undefined && a.settleFromAudit) auditor.settlementNotMeasured();
  const touched = touchedPlayers(auditor);
  const listed = await finalListing(control, players);
  const balances = listed ?? (await control.balances(touched));
  // An idle wallet that lists its refusals has settled everything it accepted, one way or the other.
  const everySettlementListed = a.settleFromAudit && a.refusalsStartSeq !== undefined && a.walletIdle;
  // Stakes held show only where the settled balances come from the listing: without it they come
  // from GET /wallet/balance, the spendable figure itself, and there is nothing to compare. While
  // something may still settle (busy, cut at the deadline, interrupted) a stake is rightly held,
  // its post still on its way. A read that fails is an unreadable final state, as a failed
  // listing is: the run ends unchecked (exit 3) rather than pass a check it could not make.
  const held = listed !== undefined && a.nothingLeftToSettle ? await heldStakes(control, touched, listed) : undefined;
  const snapshot: LedgerSnapshot = { entries: entryListOf(entries), balances: withUntouched(balances, players), everySettlementListed, held, heldFromReads: true, wrongOpRefs, refusedEntries };
  const report = auditor.report(a.end, players, snapshot, a.verdicts);
  return { report: misdated === undefined ? report : { ...report, consistency: withProblemFirst(report.consistency, misdated) }, entries };
}

/**
 * How far before its operation was meant to be sent an entry may be dated: the wallet's clock
 * and the load generator's, on one host or kept in step by NTP, agree far better than this.
 */
const CLOCK_TOLERANCE_MS = 1000;

/**
 * The problem, if any, of audit entries applied before their operation was first meant to be
 * sent (an entry no attempt sent: before the run started), beyond CLOCK_TOLERANCE_MS: a wallet
 * clock that is wrong, or `appliedAt`/`appliedAtEpochMs` in another unit than ms (seconds). One
 * line for all of them, naming the first and its two times.
 */
function misdatedEntries(auditor: Auditor, entries: readonly LedgerEntry[], epochMs: number, settlesFromAudit: boolean): string | undefined {
  const { ops } = auditor;
  let count = 0;
  let first: { entry: LedgerEntry; sentAtMs: number } | undefined;
  for (const entry of entries) {
    const sentAtMs = ops.has(entry.opRef) ? ops.intendedAtMs(entry.opRef) : 0;
    if (!(entry.appliedAtMs < sentAtMs - CLOCK_TOLERANCE_MS)) continue;
    count++;
    first ??= { entry, sentAtMs };
  }
  if (first === undefined) return undefined;
  const { entry, sentAtMs } = first;
  const more = count === 1 ? 'an audit entry is dated before its operation was' : `${count.toLocaleString('en-US')} audit entries are dated before their operations were`;
  const latency = settlesFromAudit ? ', so settlement latency is not measured' : '';
  return `${more} meant to be sent, such as ${entry.kind} ${entry.txId} of ${entry.playerId}: applied at ${instant(epochMs, entry.appliedAtMs)}, to be sent at ${instant(epochMs, sentAtMs)}; the wallet's clock, or the unit of appliedAt / appliedAtEpochMs (ms since the epoch), is wrong${latency}`;
}

/** A moment of the run as a developer compares it with the wallet's logs: UTC, and ms into the run. */
function instant(epochMs: number, runMs: number): string {
  const date = new Date(epochMs + runMs);
  const utc = Number.isNaN(date.getTime()) ? `${epochMs + runMs} ms since the epoch` : date.toISOString();
  return `${utc} (${Math.round(runMs).toLocaleString('en-US')} ms into the run)`;
}

/** A problem the checker's counts do not hold (the audit's dates): the check fails, and says why first. */
function withProblemFirst(consistency: RunReport['consistency'], problem: string): RunReport['consistency'] {
  return { ...consistency, ok: false, problems: [problem, ...consistency.problems] };
}

/**
 * This run's entries, each with the operation it belongs to, and those whose listed op ref names
 * another operation than their txId does (entry index → the op ref listed).
 */
async function auditEntries(a: AuditInputs, byTxId: ReadonlyMap<string, number>): Promise<{ entries: LedgerEntry[]; wrongOpRefs: Map<number, number> }> {
  // Another segment's entries are left to its own load generator, which audits them.
  const wire = (await a.control.transactionsAfter(a.startSeq)).filter((e) => !a.othersPlayer(e.playerId));
  const epochMs = a.clock.epochMs;
  const wrongOpRefs = new Map<number, number>();
  const entries = wire.map((e, i) => {
    const entry = fromWireEntry(e, epochMs, undefined, a.txIdPrefix);
    const op = operationOf(e.opRef, entry.txId, byTxId);
    const listed = listedOpRef(e.opRef);
    if (listed !== undefined && op !== listed) wrongOpRefs.set(i, listed);
    return { ...entry, opRef: op };
  });
  return { entries, wrongOpRefs };
}

/**
 * The operation an audit row names: by its txId (without the run's prefix) when this run sent it,
 * else by its op ref when the wallet kept a usable one. Every attempt's txId is the run's own and
 * names one operation, so the txId is exact; an op ref that names another operation is the
 * wallet's mistake (the check counts it as a mismatch), and attributing by it would call the
 * entry unexpected and its operation lost, though the wallet applied what it was sent.
 */
function operationOf(opRef: string | number | undefined, txId: string, byTxId: ReadonlyMap<string, number>): number | undefined {
  return byTxId.get(txId) ?? listedOpRef(opRef);
}

/** The op ref a row lists, when it is an integer (a wallet may keep none; the reference server ignores a header that is not one). */
function listedOpRef(opRef: string | number | undefined): number | undefined {
  const ref = opRef === undefined ? undefined : Number(opRef);
  return ref !== undefined && Number.isSafeInteger(ref) ? ref : undefined;
}

/** Every txId an attempt carried, and its operation. */
function opsByTxId(auditor: Auditor): Map<string, number> {
  const byTxId = new Map<string, number>();
  for (let op = 0; op < auditor.ops.length; op++) for (const t of auditor.ops.txIds(op)) byTxId.set(t, op);
  return byTxId;
}

/**
 * The settlements of an HTTP run, told to the checker: the entries applied, and the refusals the
 * wallet lists. Returns the entries (by index) whose txId is among those refusals too, with the
 * code refused (see LedgerSnapshot.refusedEntries).
 */
async function settleFromAudit(a: AuditInputs, entries: readonly LedgerEntry[], byTxId: ReadonlyMap<string, number>): Promise<Map<number, ResultCode>> {
  const { probe, txIdPrefix } = a;
  for (const e of entries) {
    if (e.opRef !== undefined) probe.settled({ opRef: e.opRef } as MoneyRequest, { code: 'OK' }, e.appliedAtMs);
  }
  const refusedEntries = new Map<number, ResultCode>();
  // The refused ones make no entry: the wallet lists them apart, when it does.
  if (a.refusalsStartSeq === undefined) return refusedEntries;
  const refused = new Map<string, ResultCode>();
  for (const r of await a.control.refusalsAfter(a.refusalsStartSeq)) {
    // Another run's refusal (a wallet serving several), or not walletstorm's: not this run's business.
    if (r.code === 'OK' || !r.txId.startsWith(txIdPrefix)) continue;
    const txId = r.txId.slice(txIdPrefix.length);
    const op = operationOf(r.opRef, txId, byTxId);
    if (op === undefined) continue;
    const refusedAtMs = (r.refusedAtEpochMs ?? Date.parse(r.refusedAt)) - a.clock.epochMs;
    probe.settled({ opRef: op, txId } as MoneyRequest, { code: r.code }, refusedAtMs);
    if (!refused.has(txId)) refused.set(txId, r.code);
  }
  // A txId refused and applied: each attempt is applied or refused, never both.
  if (refused.size > 0) entries.forEach((e, i) => refused.has(e.txId) && refusedEntries.set(i, refused.get(e.txId)!));
  return refusedEntries;
}

/**
 * Stakes still held at the end, per player where there are any: the settled balance the wallet
 * lists less what GET /wallet/balance/:playerId says the player can spend. With nothing left to
 * settle every reservation has been posted, voided or has lapsed, so a stake still held is one
 * the wallet never released (below zero: released twice); judgeLedger counts it as a balance
 * mismatch, as the simulator does. A player the listing leaves out is the rest of the check's
 * business (refused before the run, the final state unreadable after it: see finalListing; or
 * unknown: PLAYER_NOT_FOUND).
 */
async function heldStakes(control: ControlClient, playerIds: readonly string[], settled: ReadonlyMap<string, number>): Promise<Map<string, number>> {
  const spendable = await control.balances(playerIds);
  const held = new Map<string, number>();
  for (const [id, canSpend] of spendable) {
    const balance = settled.get(id);
    if (balance !== undefined && balance !== canSpend) held.set(id, balance - canSpend);
  }
  return held;
}

/** No audit endpoint: the final balances of the players this run touched, against their bounds. */
export async function balancesReport(
  auditor: Auditor,
  control: ControlClient,
  end: RunEnd,
  players: readonly PlayerAccount[],
  verdicts: VerdictSink | undefined,
): Promise<RunReport> {
  const touched = touchedPlayers(auditor);
  const balances = (await finalListing(control, players)) ?? (await control.balances(touched));
  const neutral = auditor.report(end, players, { entries: entryListOf([]), balances: new Map(players.map((p) => [p.id, p.initialBalance])) });
  const judged = judgeBalances(auditor.ops, players, withUntouched(balances, players), verdicts);
  return {
    ...neutral,
    duplicates: 0,
    duplicateMinorUnits: 0,
    unrefundedRollbacks: 0,
    lost: 0,
    unexpected: 0,
    refusedButApplied: 0,
    negativeBalances: judged.negativeBalances,
    consistency: judged.consistency,
  };
}

/**
 * PLAYER_NOT_FOUND answers: the wallet does not know some of the scenario's players, so their
 * operations were refused, not checked. A wallet that refused most of its traffic so must not pass.
 */
export function withUnknownPlayers(consistency: RunReport['consistency'], answers: number): RunReport['consistency'] {
  if (answers === 0) return consistency;
  const problem = `the wallet answered PLAYER_NOT_FOUND ${answers} times: it does not know all of the scenario's players (docs/protocol.md, "Players")`;
  return { ...consistency, ok: false, problems: [problem, ...consistency.problems] };
}

/** The run could not read the wallet at the end: nothing was reconciled, and the report says so. */
export function unchecked(report: RunReport, why = 'the target could not be reached at the end of the run'): RunReport {
  return {
    ...report,
    duplicates: 0,
    duplicateMinorUnits: 0,
    unrefundedRollbacks: 0,
    lost: 0,
    unexpected: 0,
    refusedButApplied: 0,
    negativeBalances: 0,
    consistency: {
      ok: false,
      checkedBy: 'none',
      balanceMismatches: 0,
      outOfBounds: 0,
      conservation: { ok: false, initialMinorUnits: report.consistency.conservation.initialMinorUnits, finalMinorUnits: 0 },
      problems: [`not checked: ${why}`],
    },
  };
}

function withUntouched(balances: ReadonlyMap<string, number>, players: readonly PlayerAccount[]): Map<string, number> {
  const out = new Map(balances);
  for (const p of players) if (!out.has(p.id)) out.set(p.id, p.initialBalance);
  return out;
}

/**
 * The settled balances GET /wallet/balances lists at the end, or undefined for a wallet without
 * the listing. It listed every one of the scenario's players before the run (or the run was
 * refused): one it leaves out now has a final balance the run cannot read, and taking it as
 * unchanged (as for a wallet without the listing, whose untouched players are not read) would
 * judge a figure the wallet never gave, and pass a player whose money came back to where it was.
 */
async function finalListing(control: ControlClient, players: readonly PlayerAccount[]): Promise<Map<string, number> | undefined> {
  const listed = await control.allBalances();
  if (listed === undefined) return undefined;
  const missing = players.filter((p) => !listed.has(p.id));
  if (missing.length === 0) return listed;
  throw new Error(
    `GET /wallet/balances leaves out ${missing.length} of the scenario's ${players.length} players at the end of the run, such as ${missing[0]!.id}: their final balances cannot be read (docs/protocol.md, "Players")`,
  );
}

/** The players this run's operations named, in first-use order. */
function touchedPlayers(auditor: Auditor): string[] {
  const touched = new Set<string>();
  for (let op = 0; op < auditor.ops.length; op++) touched.add(auditor.ops.playerId(op));
  return [...touched];
}
